// Bearer tokens through tyto::auth::verify_jwt with a fixed key set. The first byte picks the mode:
//   even: the rest is the token as a client sends it;
//   odd:  the rest is "header JSON\nclaims JSON", which the harness encodes and signs with one of the keys
//         (bit 1 picks which), so the fuzzer reaches the header and claims checks behind the signature.
// Bit 2 requires an issuer and an audience. Asserts: verify_jwt never throws; what it accepts carries a
// valid HS256 signature by one of the keys and claims that satisfy every documented rule; re-signing
// accepted claims with sign_jwt gives a token that verifies to the same claims.
#include "fuzz_check.hpp"
#include "tyto/auth/jwt.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/json_text.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace {

using nlohmann::json;
using tyto::auth::JwtKey;

constexpr std::int64_t kNowSeconds = 1'700'000'000;  // November 2023: seeds' exp and nbf are around it
constexpr std::int64_t kNowMicros = kNowSeconds * 1'000'000 + 123'456;

const std::array<JwtKey, 2> kKeys = {JwtKey{"k1", std::string(32, 'a')}, JwtKey{"", std::string(40, 'b')}};

std::string base64url(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kDigits[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kDigits[(acc << (6 - bits)) & 0x3F]);
  return out;
}

// Whether a time claim is an integer in [0, year 9999], as verify_jwt requires.
std::optional<std::int64_t> seconds(const json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  FUZZ_CHECK(it->is_number_integer());
  const auto value = it->get<std::int64_t>();
  FUZZ_CHECK(value >= 0 && value <= 253'402'300'799);
  return value;
}

void check_accepted(std::string_view token, const json& claims, const tyto::auth::JwtVerifyOptions& options) {
  // A valid signature by one of the keys over the first two parts.
  const auto second_dot = token.rfind('.');
  bool signed_by_key = false;
  for (const JwtKey& key : kKeys) {
    signed_by_key |=
        token.substr(second_dot + 1) == base64url(tyto::hmac_sha256(key.secret, token.substr(0, second_dot)));
  }
  FUZZ_CHECK(signed_by_key);

  FUZZ_CHECK(claims.is_object());
  for (const auto& value : claims) FUZZ_CHECK(!value.is_number_float());
  const auto exp = seconds(claims, "exp");
  FUZZ_CHECK(exp.has_value());
  FUZZ_CHECK(kNowSeconds < *exp + options.leeway.count());
  if (const auto nbf = seconds(claims, "nbf")) FUZZ_CHECK(kNowSeconds >= *nbf - options.leeway.count());
  seconds(claims, "iat");
  if (options.issuer) FUZZ_CHECK(claims.contains("iss") && claims["iss"] == *options.issuer);
  if (options.audience) {
    const json& aud = claims.at("aud");
    FUZZ_CHECK(aud == *options.audience ||
               (aud.is_array() && std::find(aud.begin(), aud.end(), *options.audience) != aud.end()));
  }

  // Accepted claims are signable, and verify again unchanged.
  const std::string again = tyto::auth::sign_jwt(claims, kKeys[0].secret, kKeys[0].kid);
  const auto result = tyto::auth::verify_jwt(again, kKeys, kNowMicros, options);
  FUZZ_CHECK(result.ok());
  FUZZ_CHECK(result.claims == claims);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view rest = tyto::fuzz::as_text(data + 1, size - 1);

  std::string token;
  std::string_view header, payload;  // the JSON texts, in the signing mode
  if (mode & 1) {
    header = tyto::fuzz::take_line(rest);
    payload = rest;
    const JwtKey& key = kKeys[(mode >> 1) & 1];
    token = base64url(header) + "." + base64url(rest);
    token += "." + base64url(tyto::hmac_sha256(key.secret, token));
  } else {
    token = std::string(rest);
  }

  tyto::auth::JwtVerifyOptions options;
  if (mode & 4) {
    options.issuer = "https://tyto.example";
    options.audience = "tyto";
  }
  const auto result = tyto::auth::verify_jwt(token, kKeys, kNowMicros, options);
  if (!result.ok()) {
    FUZZ_CHECK(result.claims.is_null());
    FUZZ_CHECK(!tyto::auth::jwt_error_name(*result.error).empty());
    return 0;
  }
  check_accepted(token, result.claims, options);
  if (mode & 1) {
    // What was accepted is exactly one JSON text each, not a prefix of one.
    FUZZ_CHECK(tyto::parse_json_text(header, tyto::kDefaultJsonDepth).has_value());
    FUZZ_CHECK(tyto::parse_json_text(payload, tyto::kDefaultJsonDepth) == result.claims);
  }
  return 0;
}
