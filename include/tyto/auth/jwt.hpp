// JSON Web Tokens for short-lived access tokens: compact JWS (RFC 7515) with HS256 only (RFC 7519, 7518).
//
// A token is base64url(header) "." base64url(claims) "." base64url(HMAC-SHA256), without padding. The
// header is {"alg":"HS256","typ":"JWT"} plus "kid" naming the signing key, so keys can be rotated: sign
// with the newest key, verify against every key still accepted.
//
// verify_jwt is strict, because whatever it lets through is trusted. It rejects, each with a stable reason:
//   - tokens over kMaxJwtBytes, anything but exactly three base64url parts, padding, non-canonical base64;
//   - a header or payload that is not a JSON object, or that repeats a field name at any depth;
//   - any "alg" but "HS256" (so "none", RS256 and every algorithm-confusion trick), and a "crit" header,
//     since we implement no extension; a "typ" other than "JWT" (any case), a "kid" that is not a string;
//   - a signature that does not match (compared in constant time), a "kid" no key carries;
//   - top-level numeric claims that are not integers, exp/nbf/iat outside [0, year 9999];
//   - a missing "exp", an expired token, one not yet valid ("nbf"), and, when required, the wrong "iss" or
//     "aud". exp and nbf are honoured with the given leeway for clock skew.
// The payload is parsed only after the signature is checked.
//
// Thread-safety: pure functions; call them from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tyto::auth {

// Longest token verify_jwt reads; headers of this size are already suspicious.
inline constexpr std::size_t kMaxJwtBytes = 8 * 1024;

// RFC 7518 §3.2: an HS256 key must have at least as many bits as the hash output.
inline constexpr std::size_t kMinJwtKeyBytes = 32;

// A verification key. `kid` may be empty for a deployment that has never rotated.
struct JwtKey {
  std::string kid;
  std::string secret;  // raw bytes, at least kMinJwtKeyBytes
};

// Why verify_jwt refused a token. Names (jwt_error_name) are stable: log them, count them; tell the
// client only "unauthorized".
enum class JwtError {
  kMalformed,       // "malformed": not three base64url parts of JSON objects, duplicate fields, bad claim types
  kTooLarge,        // "too_large": longer than kMaxJwtBytes
  kWrongAlgorithm,  // "wrong_algorithm": alg is not HS256 (none, RS256 …), or a crit header is present
  kUnknownKey,      // "unknown_key": the header's kid names no key we hold
  kBadSignature,    // "bad_signature"
  kMissingExpiry,   // "missing_exp"
  kExpired,         // "expired": now ≥ exp + leeway
  kNotYetValid,     // "not_yet_valid": now < nbf − leeway
  kWrongIssuer,     // "wrong_issuer"
  kWrongAudience,   // "wrong_audience"
};

std::string_view jwt_error_name(JwtError error) noexcept;

// What verify_jwt requires beyond a valid signature and an unexpired "exp".
struct JwtVerifyOptions {
  std::chrono::seconds leeway{30};      // tolerated clock skew for exp and nbf
  std::optional<std::string> issuer;    // when set, "iss" must equal it
  std::optional<std::string> audience;  // when set, "aud" must equal it or be an array holding it
};

struct JwtVerifyResult {
  std::optional<JwtError> error;  // nullopt when the token is valid
  nlohmann::json claims;          // the payload (an object) when valid; null otherwise

  bool ok() const noexcept { return !error; }
};

// The compact token for claims under key, naming kid in the header when it is not empty. The caller puts
// "exp" (and usually "iat", "sub", "iss", "aud") into claims as integers of seconds since the epoch.
// Throws tyto::Error (kInternal) if claims is not an object, holds anything verify_jwt would call a bad
// claim type, or cannot be serialised (invalid UTF-8), or if key is shorter than kMinJwtKeyBytes.
std::string sign_jwt(const nlohmann::json& claims, std::string_view key, std::string_view kid = {});

// Checks token against keys at time now_micros (microseconds since the epoch). A token naming a kid is
// checked against the keys with that kid only; a token without one against every key. Expected failures
// are returned, never thrown; throws tyto::Error (kInternal) only for a key shorter than kMinJwtKeyBytes,
// a configuration mistake.
JwtVerifyResult verify_jwt(std::string_view token, std::span<const JwtKey> keys, std::int64_t now_micros,
                           const JwtVerifyOptions& options = {});

}  // namespace tyto::auth
