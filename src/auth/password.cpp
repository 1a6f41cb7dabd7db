#include "tyto/auth/password.hpp"

#include "tyto/core/error.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <vector>

namespace tyto::auth {

namespace {

// sodium_init picks the fastest implementations and seeds its RNG; a function-local static makes the
// first call from any thread run it exactly once.
void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) {
    throw Error(ErrorCode::kInternal, "libsodium failed to initialise");
  }
}

// libsodium's verify functions read a NUL-terminated string.
std::optional<std::string> terminated_hash(std::string_view hash) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(hash);
}

// Splits UTF-8 text into code points, each as its bytes; a stray continuation byte stands alone.
std::vector<std::string_view> code_points(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    const bool continuation = i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
    if (!continuation) {
      out.push_back(text.substr(start, i - start));
      start = i;
    }
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, const PasswordParams& params) {
  ensure_sodium();
  if (password.size() > kMaxPasswordBytes) {
    throw validation_error("password too long", {{"password", fmt::format("at most {} bytes", kMaxPasswordBytes)}});
  }
  if (params.ops_limit < crypto_pwhash_OPSLIMIT_MIN || params.ops_limit > crypto_pwhash_OPSLIMIT_MAX ||
      params.mem_limit_bytes < crypto_pwhash_MEMLIMIT_MIN || params.mem_limit_bytes > crypto_pwhash_MEMLIMIT_MAX) {
    throw Error(ErrorCode::kInternal, fmt::format("argon2id parameters out of range (ops {}, memory {} bytes)",
                                                  params.ops_limit, params.mem_limit_bytes));
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit, params.mem_limit_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error(ErrorCode::kInternal, "argon2id hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool verify_password(std::string_view password, std::string_view hash) noexcept {
  try {
    ensure_sodium();
    if (password.size() > kMaxPasswordBytes) {
      return false;
    }
    const auto stored = terminated_hash(hash);
    return stored && crypto_pwhash_str_verify(stored->c_str(), password.data(), password.size()) == 0;
  } catch (...) {
    return false;
  }
}

bool needs_rehash(std::string_view hash, const PasswordParams& params) noexcept {
  try {
    ensure_sodium();
    const auto stored = terminated_hash(hash);
    // 0: argon2id with exactly these parameters; 1: other parameters; -1: not an argon2id hash.
    return !stored || crypto_pwhash_str_needs_rehash(stored->c_str(), params.ops_limit, params.mem_limit_bytes) != 0;
  } catch (...) {
    return true;
  }
}

namespace {

std::string lowercase_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The whole password is one shorter unit written over and over ("abcabcabcabc", "passwordpassword").
bool repeats_a_short_run(const std::vector<std::string_view>& points) {
  for (std::size_t unit = 1; unit <= points.size() / 2; ++unit) {
    if (points.size() % unit != 0) continue;
    bool repeated = true;
    for (std::size_t i = unit; i < points.size() && repeated; ++i) repeated = points[i] == points[i - unit];
    if (repeated) return true;
  }
  return false;
}

// Every character is the one after (or before) the previous: "123456789012", "abcdefghijkl".
bool is_straight_sequence(std::string_view password) {
  auto step = [](char a, char b) -> int {
    if (a == '9' && b == '0') return 1;
    if (a == '0' && b == '9') return -1;
    return static_cast<unsigned char>(b) - static_cast<unsigned char>(a);
  };
  const std::string lower = lowercase_ascii(password);
  const int first = step(lower[0], lower[1]);
  if (first != 1 && first != -1) return false;
  for (std::size_t i = 2; i < lower.size(); ++i) {
    if (step(lower[i - 1], lower[i]) != first) return false;
  }
  return true;
}

}  // namespace

std::optional<PasswordBlocklist> PasswordBlocklist::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  PasswordBlocklist list;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#!comment:", 0) == 0) continue;
    list.add(line);
  }
  return list;
}

void PasswordBlocklist::add(std::string_view password) { entries_.insert(lowercase_ascii(password)); }

bool PasswordBlocklist::contains(std::string_view password) const {
  return entries_.count(lowercase_ascii(password)) > 0;
}

std::optional<std::string> check_password_policy(std::string_view password, const PasswordBlocklist* blocklist) {
  if (password.size() > kMaxPasswordBytes) {
    return fmt::format("must be at most {} bytes", kMaxPasswordBytes);
  }
  const auto points = code_points(password);
  if (points.size() < kMinPasswordLength) {
    return fmt::format("must be at least {} characters", kMinPasswordLength);
  }
  if (repeats_a_short_run(points)) {
    return std::all_of(points.begin(), points.end(), [&](auto p) { return p == points.front(); })
               ? "must not repeat a single character"
               : "must not repeat a short pattern";
  }
  if (is_straight_sequence(password)) return "must not be a straight sequence of characters";
  if (blocklist) {
    if (blocklist->contains(password)) return "is a commonly used password";
    // A common password with digits or symbols around it ("sunshine2024!") is as easy to guess.
    const auto is_word = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || (c & 0x80); };
    const auto first = std::find_if(password.begin(), password.end(), is_word);
    const auto last = std::find_if(password.rbegin(), password.rend(), is_word).base();
    if (first < last && blocklist->contains(std::string_view(&*first, last - first))) {
      return "is a commonly used password with digits or symbols added";
    }
  }
  return std::nullopt;
}

}  // namespace tyto::auth
