// What makes a webhook trustworthy to its receiver: the signing secret, the signature header, the
// encryption of secrets at rest, and which endpoints an event goes to.
//
// Signature: header `Tyto-Signature: t=<unix seconds>,v1=<hex>` where hex is the lowercase hex
// HMAC-SHA256 of "<t>.<raw body>" keyed with the whole secret string ("whsec_…", as shown once at
// creation). A receiver recomputes it over the bytes it received and compares in constant time, and
// refuses a t too far from its clock (replay).
//
// Thread-safety: free functions are pure; a SecretBox is immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::webhooks {

inline constexpr std::string_view kSecretPrefix = "whsec_";

// "whsec_" + 64 lowercase hex characters (32 random bytes from the OS CSPRNG).
std::string generate_secret();

// The Tyto-Signature header value for a body sent at unix time t.
std::string signature_header(std::string_view secret, std::int64_t t, std::string_view body);

// Whether header is a valid signature of body under secret and its t lies within tolerance_s of
// now_s. Any v1 entry may match (a receiver may see several while secrets rotate).
bool verify_signature(std::string_view secret, std::string_view header, std::string_view body, std::int64_t now_s,
                      std::int64_t tolerance_s = 300);

// Encrypts signing secrets at rest with libsodium's crypto_secretbox (XSalsa20-Poly1305). The
// stored form is the 24-byte random nonce followed by the ciphertext with its tag.
class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  // Throws Error(kInternal) unless key is exactly kKeyBytes raw bytes.
  explicit SecretBox(std::string key);

  std::string seal(std::string_view plaintext) const;
  // Throws Error(kInternal) if sealed was not made under this key or was altered.
  std::string open(std::string_view sealed) const;

 private:
  std::string key_;
};

// Event types a webhook can carry. Endpoints subscribe to these, to "<family>.*" or to "*".
// webhook.ping is sent by the ping route whatever the endpoint subscribed to.
inline constexpr std::string_view kEventTypes[] = {"job.succeeded", "job.failed", "job.cancelled", "object.created",
                                                   "webhook.ping"};

// Whether a subscription pattern is one an endpoint may register: a known type (kEventTypes or one of
// `more`, the types the build's products emit), "<family>.*" of a known family, or "*".
bool valid_event_pattern(std::string_view pattern, std::span<const std::string> more = {});

// Whether an endpoint subscribed to `patterns` receives events of `type`.
bool event_matches(const std::vector<std::string>& patterns, std::string_view type);

}  // namespace tyto::webhooks
