#include "tyto/webhooks/signing.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>

namespace tyto::webhooks {
namespace {

// sodium_init picks implementations and seeds the RNG; once per process, thread-safe as a static.
void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw Error(ErrorCode::kInternal, "libsodium failed to initialise");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string generate_secret() { return std::string(kSecretPrefix) + hex_encode(random_bytes(32)); }

std::string signature_header(std::string_view secret, std::int64_t t, std::string_view body) {
  const std::string signed_payload = fmt::format("{}.{}", t, body);
  return fmt::format("t={},v1={}", t, hex_encode(hmac_sha256(secret, signed_payload)));
}

bool verify_signature(std::string_view secret, std::string_view header, std::string_view body, std::int64_t now_s,
                      std::int64_t tolerance_s) {
  std::optional<std::int64_t> t;
  std::vector<std::string_view> candidates;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto part = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.starts_with("t=")) {
      std::int64_t value = 0;
      const auto digits = part.substr(2);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || end != digits.data() + digits.size() || t) return false;
      t = value;
    } else if (part.starts_with("v1=")) {
      candidates.push_back(part.substr(3));
    }
  }
  if (!t || candidates.empty() || *t < now_s - tolerance_s || *t > now_s + tolerance_s) return false;
  const std::string expected = hex_encode(hmac_sha256(secret, fmt::format("{}.{}", *t, body)));
  return std::any_of(candidates.begin(), candidates.end(), [&](std::string_view c) {
    return c.size() == expected.size() && CRYPTO_memcmp(c.data(), expected.data(), expected.size()) == 0;
  });
}

SecretBox::SecretBox(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) {
    throw Error(ErrorCode::kInternal, fmt::format("the webhook secret key must be {} bytes", kKeyBytes));
  }
  ensure_sodium();
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  return out;
}

std::string SecretBox::open(std::string_view sealed) const {
  constexpr std::size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) throw Error(ErrorCode::kInternal, "webhook secret ciphertext is truncated");
  std::string out(sealed.size() - kOverhead, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, nonce,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    throw Error(ErrorCode::kInternal, "webhook secret cannot be decrypted (wrong key or altered ciphertext)");
  }
  return out;
}

bool valid_event_pattern(std::string_view pattern, std::span<const std::string> more) {
  if (pattern == "*") return true;
  const auto matches = [&](std::string_view type) {
    return pattern == type || (pattern.ends_with(".*") && type.starts_with(pattern.substr(0, pattern.size() - 1)));
  };
  for (auto type : kEventTypes) {
    if (matches(type)) return true;
  }
  for (const auto& type : more) {
    if (matches(type)) return true;
  }
  return false;
}

bool event_matches(const std::vector<std::string>& patterns, std::string_view type) {
  return std::any_of(patterns.begin(), patterns.end(), [type](std::string_view p) {
    if (p == "*" || p == type) return true;
    return p.size() > 2 && p.ends_with(".*") && type.starts_with(p.substr(0, p.size() - 1));
  });
}

}  // namespace tyto::webhooks
