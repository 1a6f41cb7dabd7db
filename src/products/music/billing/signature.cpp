// Stripe-Signature headers: HMAC-SHA256 over "{t}.{body}", several v1 signatures, a tolerance on t.
#include "products/music/billing/billing.hpp"

#include "tyto/core/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace tyto::music::billing {
namespace {

constexpr std::size_t kDigestBytes = 32;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A v1 value as 32 raw bytes; false when it is not 64 hex digits.
bool decode_digest(std::string_view hex, unsigned char (&out)[kDigestBytes]) {
  if (hex.size() != 2 * kDigestBytes) return false;
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Keyed HMAC-SHA256 contexts of the secrets this thread used last. Keying a context (fetching the algorithms,
// hashing the key) cost four times as much as hashing a 2 KB body (docs/benchmarks.md); a keyed context restarts
// with EVP_MAC_init(ctx, NULL, …), which keeps its key.
class MacCache {
 public:
  MacCache() = default;
  MacCache(const MacCache&) = delete;
  MacCache& operator=(const MacCache&) = delete;
  ~MacCache() {
    for (auto& entry : entries_) EVP_MAC_CTX_free(entry.second);
  }

  // A context keyed with `secret`, restarted; nullptr when OpenSSL fails.
  EVP_MAC_CTX* keyed(std::string_view secret) {
    for (auto& [key, ctx] : entries_) {
      if (key == secret) return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 ? ctx : nullptr;
    }
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (mac == nullptr) return nullptr;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx == nullptr ||
        EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx);
      return nullptr;
    }
    if (entries_.size() == kMaxEntries) {
      EVP_MAC_CTX_free(entries_.front().second);
      entries_.erase(entries_.begin());
    }
    entries_.emplace_back(std::string(secret), ctx);
    return ctx;
  }

 private:
  static constexpr std::size_t kMaxEntries = 8;
  std::vector<std::pair<std::string, EVP_MAC_CTX*>> entries_;
};

// HMAC-SHA256 of "{t}.{body}" under `secret` into `out`, without copying the body.
bool signed_payload_mac(std::string_view secret, std::string_view t, std::string_view body,
                        unsigned char (&out)[kDigestBytes]) {
  thread_local MacCache cache;
  EVP_MAC_CTX* ctx = cache.keyed(secret);
  if (ctx == nullptr) return false;
  const auto bytes = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  std::size_t len = 0;
  return EVP_MAC_update(ctx, bytes(t), t.size()) == 1 && EVP_MAC_update(ctx, bytes("."), 1) == 1 &&
         EVP_MAC_update(ctx, bytes(body), body.size()) == 1 && EVP_MAC_final(ctx, out, &len, kDigestBytes) == 1 &&
         len == kDigestBytes;
}

std::int64_t unix_seconds(TimePoint at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

std::string_view status_name(SignatureStatus status) noexcept {
  switch (status) {
    case SignatureStatus::kOk:
      return "ok";
    case SignatureStatus::kMalformedHeader:
      return "malformed_header";
    case SignatureStatus::kNoV1:
      return "no_v1";
    case SignatureStatus::kBadSignature:
      return "bad_signature";
    case SignatureStatus::kTimestampTooOld:
      return "timestamp_too_old";
    case SignatureStatus::kTimestampInFuture:
      return "timestamp_in_future";
  }
  return "unknown";
}

SignatureCheck verify_signature(std::string_view header, std::string_view raw_body,
                                std::span<const std::string> secrets, TimePoint now, std::chrono::seconds tolerance) {
  SignatureCheck check;
  std::optional<std::string_view> t;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return check;  // kMalformedHeader
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      if (t) return check;
      t = value;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (!t || t->empty()) return check;
  std::int64_t timestamp = 0;
  const auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), timestamp);
  if (ec != std::errc{} || end != t->data() + t->size() || timestamp < 0) return check;
  check.timestamp = timestamp;
  if (v1.empty()) {
    check.status = SignatureStatus::kNoV1;
    return check;
  }
  std::vector<std::array<unsigned char, kDigestBytes>> given;
  for (const auto value : v1) {
    unsigned char digest[kDigestBytes];
    if (decode_digest(value, digest)) given.emplace_back(std::to_array(digest));
  }
  check.status = SignatureStatus::kBadSignature;
  bool matched = false;
  for (std::size_t s = 0; s < secrets.size() && !matched; ++s) {
    unsigned char expected[kDigestBytes];
    if (!signed_payload_mac(secrets[s], *t, raw_body, expected)) return check;
    for (const auto& digest : given) {
      // Every candidate is compared in full; the loop's only data-dependent exit is after a match.
      if (CRYPTO_memcmp(expected, digest.data(), kDigestBytes) == 0) {
        matched = true;
        check.secret_index = s;
      }
    }
  }
  if (!matched) return check;
  const std::int64_t age = unix_seconds(now) - timestamp;
  if (age > tolerance.count()) {
    check.status = SignatureStatus::kTimestampTooOld;
  } else if (-age > tolerance.count()) {
    check.status = SignatureStatus::kTimestampInFuture;
  } else {
    check.status = SignatureStatus::kOk;
  }
  return check;
}

std::string sign(std::string_view raw_body, std::span<const std::string> secrets, TimePoint at) {
  const std::string t = std::to_string(unix_seconds(at));
  std::string payload = t;
  payload.append(".").append(raw_body);
  std::string header = "t=" + t;
  for (const auto& secret : secrets) header += ",v1=" + hex_encode(hmac_sha256(secret, payload));
  return header;
}

std::string sign(std::string_view raw_body, std::string_view secret, TimePoint at) {
  const std::string one(secret);
  return sign(raw_body, std::span<const std::string>(&one, 1), at);
}

}  // namespace tyto::music::billing
