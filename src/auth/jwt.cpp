#include "tyto/auth/jwt.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/json_text.hpp"

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>
#include <vector>

namespace tyto::auth {

namespace {

using json = nlohmann::json;

constexpr std::string_view kAlgorithm = "HS256";
constexpr std::size_t kSignatureBytes = 32;
// 9999-12-31T23:59:59Z: later "times" are garbage, and the bound keeps sums with the leeway from overflowing.
constexpr std::int64_t kMaxTimeSeconds = 253402300799;
constexpr std::string_view kTimeClaims[] = {"exp", "nbf", "iat"};

constexpr char kBase64UrlDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64UrlDigits[(acc >> bits) & 0x3F]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) {
    out.push_back(kBase64UrlDigits[(acc << (6 - bits)) & 0x3F]);
  }
  return out;
}

constexpr std::array<std::int8_t, 256> base64url_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kBase64UrlDigits[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

// Strict: only the URL-safe alphabet, no padding, and the unused low bits of the last digit must be zero, so
// each byte string has exactly one encoding.
std::optional<std::string> base64url_decode(std::string_view text) {
  static constexpr auto kTable = base64url_table();
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : text) {
    const int value = kTable[c];
    if (value < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
    acc &= (1u << bits) - 1;
  }
  if (acc != 0) {
    return std::nullopt;
  }
  return out;
}

// Parses a JSON object, refusing duplicate names at any depth (nlohmann would silently keep the last one,
// and another parser might keep the first).
std::optional<json> parse_strict_object(std::string_view text) {
  constexpr std::size_t kMaxDepth = 16;  // claims are flat; anything deeper is an attack on the serializer
  if (json_nesting_depth(text, kMaxDepth) > kMaxDepth) return std::nullopt;
  // nlohmann ends the text at a NUL byte, which no JSON text holds: "{…}\0junk" would parse as "{…}".
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::vector<std::unordered_set<std::string>> open_objects;
  bool duplicate = false;
  const json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      duplicate = duplicate || !open_objects.back().insert(parsed.get<std::string>()).second;
    }
    return true;
  };
  json value = json::parse(text.begin(), text.end(), track, /*allow_exceptions=*/false);
  if (duplicate || value.is_discarded() || !value.is_object()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string_view> string_field(const json& object, std::string_view name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return std::nullopt;
  }
  return std::string_view(it->get_ref<const std::string&>());
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// The header's verdict: an error, or the kid it names (empty when none).
struct HeaderCheck {
  std::optional<JwtError> error;
  std::optional<std::string> kid;
};

HeaderCheck check_header(std::string_view encoded) {
  const auto decoded = base64url_decode(encoded);
  const auto header = decoded ? parse_strict_object(*decoded) : std::nullopt;
  if (!header) {
    return {JwtError::kMalformed, std::nullopt};
  }
  const auto alg = string_field(*header, "alg");
  if (!alg) {
    return {JwtError::kMalformed, std::nullopt};
  }
  if (*alg != kAlgorithm || header->contains("crit")) {
    return {JwtError::kWrongAlgorithm, std::nullopt};
  }
  if (header->contains("typ") && !equals_ignoring_case(string_field(*header, "typ").value_or(""), "JWT")) {
    return {JwtError::kMalformed, std::nullopt};
  }
  if (!header->contains("kid")) {
    return {};
  }
  const auto kid = string_field(*header, "kid");
  if (!kid) {
    return {JwtError::kMalformed, std::nullopt};
  }
  return {std::nullopt, std::string(*kid)};
}

void require_key_length(std::string_view key) {
  if (key.size() < kMinJwtKeyBytes) {
    throw Error(ErrorCode::kInternal, fmt::format("JWT key shorter than {} bytes", kMinJwtKeyBytes));
  }
}

// kMalformed if the signature is not base64url, kUnknownKey if no key may have signed the token,
// kBadSignature if none did, nullopt if one did.
std::optional<JwtError> check_signature(std::string_view signing_input, std::string_view encoded_signature,
                                        std::span<const JwtKey> keys, const std::optional<std::string>& kid) {
  const auto signature = base64url_decode(encoded_signature);
  if (!signature) {
    return JwtError::kMalformed;
  }
  bool any_candidate = false;
  bool matched = false;
  for (const JwtKey& key : keys) {
    if (kid && key.kid != *kid) {
      continue;
    }
    any_candidate = true;
    const std::string expected = hmac_sha256(key.secret, signing_input);
    // Every candidate is checked so the time taken does not depend on which key matched.
    matched |=
        signature->size() == kSignatureBytes && CRYPTO_memcmp(expected.data(), signature->data(), kSignatureBytes) == 0;
  }
  if (!any_candidate) {
    return JwtError::kUnknownKey;
  }
  return matched ? std::nullopt : std::optional(JwtError::kBadSignature);
}

// A registered time claim as seconds since the epoch; nullopt if it is not an integer in [0, year 9999].
std::optional<std::int64_t> time_value(const json& value) {
  if (value.is_number_unsigned()) {
    const auto seconds = value.get<std::uint64_t>();
    if (seconds > static_cast<std::uint64_t>(kMaxTimeSeconds)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(seconds);
  }
  if (value.is_number_integer()) {
    const auto seconds = value.get<std::int64_t>();
    return seconds >= 0 && seconds <= kMaxTimeSeconds ? std::optional(seconds) : std::nullopt;
  }
  return std::nullopt;
}

// Top-level numbers must be integers, and the registered time claims integers in range.
bool claim_types_valid(const json& claims) {
  if (std::any_of(claims.begin(), claims.end(), [](const json& value) { return value.is_number_float(); })) {
    return false;
  }
  return std::all_of(std::begin(kTimeClaims), std::end(kTimeClaims), [&](std::string_view name) {
    const auto it = claims.find(name);
    return it == claims.end() || time_value(*it).has_value();
  });
}

std::int64_t floor_seconds(std::int64_t micros) {
  constexpr std::int64_t kMicros = 1'000'000;
  return micros >= 0 ? micros / kMicros : -((-(micros + 1)) / kMicros) - 1;
}

bool audience_matches(const json& claims, std::string_view audience) {
  const auto it = claims.find("aud");
  if (it == claims.end()) {
    return false;
  }
  if (it->is_string()) {
    return it->get_ref<const std::string&>() == audience;
  }
  return it->is_array() && std::any_of(it->begin(), it->end(), [&](const json& entry) {
           return entry.is_string() && entry.get_ref<const std::string&>() == audience;
         });
}

std::optional<JwtError> check_claims(const json& claims, std::int64_t now_micros, const JwtVerifyOptions& options) {
  if (!claim_types_valid(claims)) {
    return JwtError::kMalformed;
  }
  if (!claims.contains("exp")) {
    return JwtError::kMissingExpiry;
  }
  const std::int64_t now = floor_seconds(now_micros);
  const std::int64_t leeway = std::clamp<std::int64_t>(options.leeway.count(), 0, kMaxTimeSeconds);
  // RFC 7519 §4.1.4: valid only while now < exp; §4.1.5: only once now ≥ nbf.
  if (now >= *time_value(claims.at("exp")) + leeway) {
    return JwtError::kExpired;
  }
  if (claims.contains("nbf") && now < *time_value(claims.at("nbf")) - leeway) {
    return JwtError::kNotYetValid;
  }
  if (options.issuer && string_field(claims, "iss") != std::optional<std::string_view>(*options.issuer)) {
    return JwtError::kWrongIssuer;
  }
  if (options.audience && !audience_matches(claims, *options.audience)) {
    return JwtError::kWrongAudience;
  }
  return std::nullopt;
}

std::string dump_json(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kInternal, fmt::format("JWT part is not serialisable: {}", e.what()));
  }
}

}  // namespace

std::string_view jwt_error_name(JwtError error) noexcept {
  switch (error) {
    case JwtError::kMalformed:
      return "malformed";
    case JwtError::kTooLarge:
      return "too_large";
    case JwtError::kWrongAlgorithm:
      return "wrong_algorithm";
    case JwtError::kUnknownKey:
      return "unknown_key";
    case JwtError::kBadSignature:
      return "bad_signature";
    case JwtError::kMissingExpiry:
      return "missing_exp";
    case JwtError::kExpired:
      return "expired";
    case JwtError::kNotYetValid:
      return "not_yet_valid";
    case JwtError::kWrongIssuer:
      return "wrong_issuer";
    case JwtError::kWrongAudience:
      return "wrong_audience";
  }
  return "unknown";
}

std::string sign_jwt(const nlohmann::json& claims, std::string_view key, std::string_view kid) {
  require_key_length(key);
  if (!claims.is_object() || !claim_types_valid(claims)) {
    throw Error(ErrorCode::kInternal, "JWT claims must be an object with integer numbers and times");
  }
  json header = {{"alg", kAlgorithm}, {"typ", "JWT"}};
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  std::string token = base64url_encode(dump_json(header));
  token += '.';
  token += base64url_encode(dump_json(claims));
  const std::string signature = hmac_sha256(key, token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

JwtVerifyResult verify_jwt(std::string_view token, std::span<const JwtKey> keys, std::int64_t now_micros,
                           const JwtVerifyOptions& options) {
  for (const JwtKey& key : keys) {
    require_key_length(key.secret);
  }
  if (token.size() > kMaxJwtBytes) {
    return {JwtError::kTooLarge, nullptr};
  }
  const auto first_dot = token.find('.');
  const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return {JwtError::kMalformed, nullptr};
  }
  const HeaderCheck header = check_header(token.substr(0, first_dot));
  if (header.error) {
    return {header.error, nullptr};
  }
  const std::string_view signing_input = token.substr(0, second_dot);
  if (auto error = check_signature(signing_input, token.substr(second_dot + 1), keys, header.kid)) {
    return {error, nullptr};
  }
  const auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  auto claims = payload ? parse_strict_object(*payload) : std::nullopt;
  if (!claims) {
    return {JwtError::kMalformed, nullptr};
  }
  if (auto error = check_claims(*claims, now_micros, options)) {
    return {error, nullptr};
  }
  return {std::nullopt, std::move(*claims)};
}

}  // namespace tyto::auth
