#include "tyto/auth/tokens.hpp"

#include "tyto/core/hash.hpp"

#include <openssl/crypto.h>

#include <cstdint>

namespace tyto::auth {

namespace {

constexpr std::string_view kBase32Digits = "abcdefghijklmnopqrstuvwxyz234567";

std::string base32_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Digits[(acc >> bits) & 0x1F]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) {
    out.push_back(kBase32Digits[(acc << (5 - bits)) & 0x1F]);
  }
  return out;
}

std::string generate(std::string_view prefix) {
  std::string secret(prefix);
  secret += base32_encode(random_bytes(kSecretRandomBytes));
  return secret;
}

// 256 bits fill 51 digits and one bit of the 52nd; its four low bits are always zero.
constexpr unsigned kUnusedLastDigitMask = 0x0F;

bool has_shape(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() != prefix.size() + kSecretBodyLength || !text.starts_with(prefix)) {
    return false;
  }
  const std::string_view body = text.substr(prefix.size());
  for (char c : body) {
    if (kBase32Digits.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return (kBase32Digits.find(body.back()) & kUnusedLastDigitMask) == 0;
}

}  // namespace

std::string generate_api_key() { return generate(kApiKeyPrefix); }

std::string generate_refresh_token() { return generate(kRefreshTokenPrefix); }

bool looks_like_api_key(std::string_view text) noexcept { return has_shape(text, kApiKeyPrefix); }

bool looks_like_refresh_token(std::string_view text) noexcept { return has_shape(text, kRefreshTokenPrefix); }

std::optional<std::string> lookup_prefix(std::string_view secret) {
  if (looks_like_api_key(secret)) {
    return std::string(secret.substr(kApiKeyPrefix.size(), kLookupPrefixLength));
  }
  if (looks_like_refresh_token(secret)) {
    return std::string(secret.substr(kRefreshTokenPrefix.size(), kLookupPrefixLength));
  }
  return std::nullopt;
}

std::string hash_secret(std::string_view secret) { return sha256_hex(secret); }

bool secret_matches(std::string_view secret, std::string_view stored_hash) {
  const std::string computed = hash_secret(secret);
  // The length of a hex SHA-256 is public; only the contents are compared in constant time.
  return stored_hash.size() == computed.size() &&
         CRYPTO_memcmp(computed.data(), stored_hash.data(), computed.size()) == 0;
}

}  // namespace tyto::auth
