#include "tyto/auth/password.hpp"

#include "tyto/core/error.hpp"

#include <sodium.h>

#include <fmt/format.h>

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

std::optional<std::string> check_password_policy(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return fmt::format("must be at most {} bytes", kMaxPasswordBytes);
  }
  const auto points = code_points(password);
  if (points.size() < kMinPasswordLength) {
    return fmt::format("must be at least {} characters", kMinPasswordLength);
  }
  for (const auto& point : points) {
    if (point != points.front()) {
      return std::nullopt;
    }
  }
  return "must not repeat a single character";
}

}  // namespace tyto::auth
