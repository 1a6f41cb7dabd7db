#include "tyto/auth/jwt.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using tyto::auth::JwtError;
using tyto::auth::JwtKey;
using tyto::auth::JwtVerifyOptions;
using tyto::auth::sign_jwt;
using tyto::auth::verify_jwt;

constexpr std::int64_t kNow = 1'800'000'000;  // seconds
constexpr std::int64_t kNowMicros = kNow * 1'000'000;
const std::string kSecret(32, 'k');
const std::string kOtherSecret(32, 'o');
const std::vector<JwtKey> kKeys = {{"", kSecret}};

// An independent base64url encoder, so the tests do not trust the code under test to build forgeries.
std::string b64url(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) chunk |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) chunk |= static_cast<unsigned char>(bytes[i + 2]);
    const std::size_t digits = std::min<std::size_t>(4, (bytes.size() - i) * 4 / 3 + 1);
    for (std::size_t d = 0; d < digits; ++d) out.push_back(kDigits[(chunk >> (18 - 6 * d)) & 0x3F]);
  }
  return out;
}

// A token with exactly these header and payload texts, HMAC-SHA256-signed under key.
std::string forge(std::string_view header, std::string_view payload, std::string_view key = kSecret) {
  const std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + b64url(tyto::hmac_sha256(key, input));
}

std::optional<JwtError> error_of(std::string_view token, const JwtVerifyOptions& options = {}) {
  return verify_jwt(token, kKeys, kNowMicros, options).error;
}

json claims_expiring_in(std::int64_t seconds) { return {{"sub", "user-1"}, {"iat", kNow}, {"exp", kNow + seconds}}; }

}  // namespace

TEST_CASE("A signed token verifies and returns its claims", "[auth]") {
  const json claims = {{"sub", "user-1"}, {"tenant", 7}, {"roles", {"admin"}}, {"exp", kNow + 600}};
  const std::string token = sign_jwt(claims, kSecret);
  CHECK(std::count(token.begin(), token.end(), '.') == 2);
  CHECK(token.find('=') == std::string::npos);
  const auto result = verify_jwt(token, kKeys, kNowMicros);
  REQUIRE(result.ok());
  CHECK(result.claims == claims);
}

TEST_CASE("The test encoder and the library agree on the token bytes", "[auth]") {
  const json claims = claims_expiring_in(60);
  CHECK(sign_jwt(claims, kSecret) == forge(R"({"alg":"HS256","typ":"JWT"})", claims.dump()));
}

TEST_CASE("Keys rotate by kid - a token without kid is tried against every key", "[auth]") {
  const std::vector<JwtKey> keys = {{"2025", kOtherSecret}, {"2026", kSecret}};
  const std::string with_kid = sign_jwt(claims_expiring_in(60), kSecret, "2026");
  CHECK(verify_jwt(with_kid, keys, kNowMicros).ok());
  CHECK(verify_jwt(with_kid, std::span(keys).first(1), kNowMicros).error == JwtError::kUnknownKey);
  const std::string wrong_kid = sign_jwt(claims_expiring_in(60), kSecret, "2025");
  CHECK(verify_jwt(wrong_kid, keys, kNowMicros).error == JwtError::kBadSignature);
  CHECK(verify_jwt(sign_jwt(claims_expiring_in(60), kOtherSecret), keys, kNowMicros).ok());
  CHECK(verify_jwt(sign_jwt(claims_expiring_in(60), kSecret), std::span<const JwtKey>(), kNowMicros).error ==
        JwtError::kUnknownKey);
}

TEST_CASE("A tampered payload or signature fails the signature check", "[auth]") {
  const std::string token = sign_jwt(claims_expiring_in(60), kSecret);
  const auto first_dot = token.find('.');
  const auto second_dot = token.rfind('.');
  json elevated = claims_expiring_in(60);
  elevated["sub"] = "admin";
  const std::string new_payload = token.substr(0, first_dot + 1) + b64url(elevated.dump()) + token.substr(second_dot);
  CHECK(error_of(new_payload) == JwtError::kBadSignature);

  std::string flipped = token;
  flipped[second_dot + 1] = flipped[second_dot + 1] == 'A' ? 'B' : 'A';
  CHECK(error_of(flipped) == JwtError::kBadSignature);
  CHECK(verify_jwt(token, std::vector<JwtKey>{{"", kOtherSecret}}, kNowMicros).error == JwtError::kBadSignature);
}

TEST_CASE("Only HS256 is accepted: none, RS256 and crit headers are refused", "[auth]") {
  const std::string payload = claims_expiring_in(60).dump();
  const std::string unsigned_token = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload) + ".";
  CHECK(error_of(unsigned_token) == JwtError::kWrongAlgorithm);
  CHECK(error_of(forge(R"({"alg":"none"})", payload)) == JwtError::kWrongAlgorithm);
  CHECK(error_of(forge(R"({"alg":"RS256","typ":"JWT"})", payload)) == JwtError::kWrongAlgorithm);
  CHECK(error_of(forge(R"({"alg":"hs256"})", payload)) == JwtError::kWrongAlgorithm);
  CHECK(error_of(forge(R"({"alg":"HS256","crit":["exp"]})", payload)) == JwtError::kWrongAlgorithm);
  CHECK(error_of(forge(R"({"typ":"JWT"})", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":256})", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256","typ":"jwt"})", payload)) == std::nullopt);
  CHECK(error_of(forge(R"({"alg":"HS256","typ":"refresh+jwt"})", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256","kid":7})", payload)) == JwtError::kMalformed);
}

TEST_CASE("Expiry is enforced with the leeway", "[auth]") {
  CHECK(error_of(sign_jwt(claims_expiring_in(-60), kSecret)) == JwtError::kExpired);
  CHECK(error_of(sign_jwt(claims_expiring_in(-10), kSecret)) == std::nullopt);  // within 30 s
  CHECK(error_of(sign_jwt(claims_expiring_in(-30), kSecret)) == JwtError::kExpired);
  const JwtVerifyOptions strict{.leeway = std::chrono::seconds(0)};
  CHECK(error_of(sign_jwt(claims_expiring_in(-10), kSecret), strict) == JwtError::kExpired);
  CHECK(error_of(sign_jwt(claims_expiring_in(0), kSecret), strict) == JwtError::kExpired);  // now == exp
  CHECK(error_of(sign_jwt(claims_expiring_in(1), kSecret), strict) == std::nullopt);
  const std::string token = sign_jwt(claims_expiring_in(1), kSecret);
  CHECK(verify_jwt(token, kKeys, kNowMicros + 999'999, strict).ok());
  CHECK(verify_jwt(token, kKeys, kNowMicros + 1'000'000, strict).error == JwtError::kExpired);
}

TEST_CASE("A token is refused before its nbf, allowing for the leeway", "[auth]") {
  json claims = claims_expiring_in(600);
  claims["nbf"] = kNow + 120;
  CHECK(error_of(sign_jwt(claims, kSecret)) == JwtError::kNotYetValid);
  claims["nbf"] = kNow + 10;
  CHECK(error_of(sign_jwt(claims, kSecret)) == std::nullopt);
  CHECK(error_of(sign_jwt(claims, kSecret), {.leeway = std::chrono::seconds(0)}) == JwtError::kNotYetValid);
  claims["nbf"] = kNow;
  CHECK(error_of(sign_jwt(claims, kSecret), {.leeway = std::chrono::seconds(0)}) == std::nullopt);
}

TEST_CASE("A token without exp is refused", "[auth]") {
  CHECK(error_of(sign_jwt(json{{"sub", "user-1"}}, kSecret)) == JwtError::kMissingExpiry);
}

TEST_CASE("Non-integer numeric claims and out-of-range times are malformed", "[auth]") {
  const auto with_exp = [](std::string_view exp) {
    return forge(R"({"alg":"HS256"})", R"({"exp":)" + std::string(exp) + "}");
  };
  CHECK(error_of(with_exp(std::to_string(kNow + 60))) == std::nullopt);
  CHECK(error_of(with_exp(std::to_string(kNow + 60) + ".5")) == JwtError::kMalformed);
  CHECK(error_of(with_exp(std::to_string(kNow + 60) + ".0")) == JwtError::kMalformed);
  CHECK(error_of(with_exp("1.9e9")) == JwtError::kMalformed);
  CHECK(error_of(with_exp("\"1900000000\"")) == JwtError::kMalformed);
  CHECK(error_of(with_exp("-1")) == JwtError::kMalformed);
  CHECK(error_of(with_exp("18446744073709551615")) == JwtError::kMalformed);
  CHECK(error_of(with_exp("null")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", R"({"exp":1900000000,"score":0.5})")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", R"({"exp":1900000000,"iat":"yesterday"})")) == JwtError::kMalformed);
  CHECK_THROWS_AS(sign_jwt(json{{"exp", 1.9e9}}, kSecret), tyto::Error);
}

TEST_CASE("Duplicate fields and non-object JSON are malformed", "[auth]") {
  const std::string payload = claims_expiring_in(60).dump();
  CHECK(error_of(forge(R"({"alg":"HS256","alg":"HS256"})", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"none","alg":"HS256"})", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", R"({"exp":1900000000,"sub":"a","sub":"b"})")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", R"({"exp":1900000000,"x":{"a":1,"a":2}})")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", R"({"exp":1900000000,"x":[{"a":1},{"a":2}]})")) == std::nullopt);
  CHECK(error_of(forge(R"(["alg","HS256"])", payload)) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", "[1900000000]")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", "1900000000")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", "{\"exp\":1900000000")) == JwtError::kMalformed);
  CHECK(error_of(forge(R"({"alg":"HS256"})", "{\"exp\":1900000000,\"sub\":\"\xff\"}")) == JwtError::kMalformed);
  CHECK_THROWS_AS(sign_jwt(json::array({1, 2}), kSecret), tyto::Error);
}

// Found by tests/fuzz/fuzz_json_text: nlohmann takes a NUL byte for the end of the text.
TEST_CASE("A header or payload with bytes after a NUL is malformed, not cut short", "[auth]") {
  const std::string payload = claims_expiring_in(60).dump();
  CHECK(error_of(forge(R"({"alg":"HS256"})", payload)) == std::nullopt);
  CHECK(error_of(forge(R"({"alg":"HS256"})", payload + '\0' + R"({"admin":true})")) == JwtError::kMalformed);
  CHECK(error_of(forge(std::string(R"({"alg":"HS256"})") + '\0', payload)) == JwtError::kMalformed);
}

TEST_CASE("Truncated, padded and garbled tokens are refused", "[auth]") {
  const std::string token = sign_jwt(claims_expiring_in(60), kSecret);
  CHECK(error_of("") == JwtError::kMalformed);
  CHECK(error_of("abc") == JwtError::kMalformed);
  CHECK(error_of(token.substr(0, token.rfind('.'))) == JwtError::kMalformed);
  CHECK(error_of(token + ".") == JwtError::kMalformed);
  CHECK(error_of(token.substr(0, token.size() - 1)).has_value());
  CHECK(error_of(token.substr(0, token.size() - 3)) == JwtError::kBadSignature);  // 40 digits: 30 bytes
  CHECK(error_of(token.substr(0, token.find('.') + 5)) == JwtError::kMalformed);
  CHECK(error_of(token + "=") == JwtError::kMalformed);
  CHECK(error_of("=" + token) == JwtError::kMalformed);
  CHECK(error_of(token.substr(0, 3) + "+" + token.substr(4)) == JwtError::kMalformed);
  CHECK(error_of(" " + token) == JwtError::kMalformed);
}

TEST_CASE("Tokens over 8 KiB are refused before any parsing", "[auth]") {
  CHECK(error_of(std::string(tyto::auth::kMaxJwtBytes + 1, 'a')) == JwtError::kTooLarge);
  json claims = claims_expiring_in(60);
  claims["padding"] = std::string(7000, 'p');
  const std::string big = sign_jwt(claims, kSecret);
  REQUIRE(big.size() > tyto::auth::kMaxJwtBytes);
  CHECK(error_of(big) == JwtError::kTooLarge);
  claims["padding"] = std::string(5000, 'p');
  CHECK(error_of(sign_jwt(claims, kSecret)) == std::nullopt);
}

TEST_CASE("Issuer and audience are checked when required", "[auth]") {
  json claims = claims_expiring_in(60);
  claims["iss"] = "tyto";
  claims["aud"] = json::array({"console", "api"});
  const std::string token = sign_jwt(claims, kSecret);
  CHECK(error_of(token, {.issuer = "tyto", .audience = "api"}) == std::nullopt);
  CHECK(error_of(token, {.issuer = "someone-else"}) == JwtError::kWrongIssuer);
  CHECK(error_of(token, {.audience = "billing"}) == JwtError::kWrongAudience);
  claims["aud"] = "api";
  CHECK(error_of(sign_jwt(claims, kSecret), {.audience = "api"}) == std::nullopt);
  claims.erase("iss");
  claims.erase("aud");
  CHECK(error_of(sign_jwt(claims, kSecret), {.issuer = "tyto"}) == JwtError::kWrongIssuer);
  CHECK(error_of(sign_jwt(claims, kSecret), {.audience = "api"}) == JwtError::kWrongAudience);
}

TEST_CASE("Keys shorter than 32 bytes are a configuration error", "[auth]") {
  CHECK_THROWS_AS(sign_jwt(claims_expiring_in(60), "short"), tyto::Error);
  const std::vector<JwtKey> weak = {{"", "short"}};
  CHECK_THROWS_AS(verify_jwt("a.b.c", weak, kNowMicros), tyto::Error);
}

TEST_CASE("JWT error names are stable", "[auth]") {
  using tyto::auth::jwt_error_name;
  CHECK(jwt_error_name(JwtError::kMalformed) == "malformed");
  CHECK(jwt_error_name(JwtError::kTooLarge) == "too_large");
  CHECK(jwt_error_name(JwtError::kWrongAlgorithm) == "wrong_algorithm");
  CHECK(jwt_error_name(JwtError::kUnknownKey) == "unknown_key");
  CHECK(jwt_error_name(JwtError::kBadSignature) == "bad_signature");
  CHECK(jwt_error_name(JwtError::kMissingExpiry) == "missing_exp");
  CHECK(jwt_error_name(JwtError::kExpired) == "expired");
  CHECK(jwt_error_name(JwtError::kNotYetValid) == "not_yet_valid");
  CHECK(jwt_error_name(JwtError::kWrongIssuer) == "wrong_issuer");
  CHECK(jwt_error_name(JwtError::kWrongAudience) == "wrong_audience");
}
