// Opaque bearer secrets: API keys and refresh tokens.
//
// Format: a type prefix, then 32 bytes from the OS CSPRNG in lowercase RFC 4648 base32 without padding
// (alphabet a–z 2–7): 52 characters, 57 with the prefix, for example
//   tyto_zrioen3xskncinpzwbl7fgs6xxkkg7ufigyrfz4dg5jxt4q5r5jq   (an API key; refresh tokens start "tytr_")
// The 52nd digit carries the last bit and four zero bits, so it is always 'a' or 'q'.
// Base32 is URL-safe, survives case-folding and double-click selection, and maps bytes to digits without
// the bias or big-number arithmetic of base62. The prefix lets secret scanners and humans tell what leaked.
//
// Storage: the server keeps only lookup_prefix(secret) (the first 8 characters after the type prefix, 40
// bits: enough to find the row, useless for guessing the remaining 216) and hash_secret(secret). A fast
// SHA-256 is right here, unlike for passwords: a secret carries 256 bits of entropy, so no amount of
// hashing speed makes guessing it from a stolen hash feasible, and a slow hash would only make every
// API request pay tens of milliseconds for nothing.
//
// Thread-safety: every function may be called from any thread at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tyto::auth {

inline constexpr std::string_view kApiKeyPrefix = "tyto_";
inline constexpr std::string_view kRefreshTokenPrefix = "tytr_";
inline constexpr std::size_t kSecretRandomBytes = 32;
inline constexpr std::size_t kSecretBodyLength = 52;  // base32 digits for kSecretRandomBytes
inline constexpr std::size_t kLookupPrefixLength = 8;

// A fresh "tyto_…" API key. Throws std::runtime_error only if the CSPRNG fails.
std::string generate_api_key();

// A fresh "tytr_…" refresh token. Throws std::runtime_error only if the CSPRNG fails.
std::string generate_refresh_token();

// True if text has the exact shape of an API key (prefix, 52 base32 digits, canonical last digit) or of a
// refresh token. Shape only: says nothing about whether the secret exists.
bool looks_like_api_key(std::string_view text) noexcept;
bool looks_like_refresh_token(std::string_view text) noexcept;

// The 8 characters after the type prefix, to store in clear and look the row up by; nullopt if secret is
// neither an API key nor a refresh token.
std::optional<std::string> lookup_prefix(std::string_view secret);

// Lowercase hex SHA-256 of secret: what the database stores.
std::string hash_secret(std::string_view secret);

// True if secret hashes to stored_hash (as hash_secret makes it), compared in constant time.
bool secret_matches(std::string_view secret, std::string_view stored_hash);

}  // namespace tyto::auth
