// Which addresses Tyto may connect to when it fetches something on a user's behalf (webhooks,
// marketplace images, pages to audit): the guard against server-side request forgery.
//
// By default every public unicast address is allowed and everything else is refused: loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16 — cloud metadata —, fe80::/10), carrier-grade
// NAT (100.64/10), multicast, unspecified, broadcast, documentation and benchmark ranges, and the
// IPv4-mapped/compatible forms of all of them. Operators allow specific ranges with
// `outbound.allow` (TYTO_OUTBOUND_ALLOW), a list of CIDRs; tests allow loopback.
//
// The check applies to the addresses a host name RESOLVES to, and the caller must connect to the
// address it checked (not resolve again), so DNS rebinding cannot slip a private address past it.
//
// Thread-safety: immutable after construction; share one instance freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::http {

// An IPv4 or IPv6 address in network byte order; IPv4 is stored as IPv4-mapped IPv6.
struct IpAddress {
  std::uint8_t bytes[16] = {};
  bool operator==(const IpAddress&) const = default;

  static std::optional<IpAddress> parse(std::string_view text);  // "10.0.0.1", "::1", "[::1]"
  bool is_v4() const noexcept;
  std::string to_string() const;
};

struct Cidr {
  IpAddress network;
  int prefix = 0;  // in IPv6 bits (an IPv4 /8 is stored as /104)

  static std::optional<Cidr> parse(std::string_view text);  // "127.0.0.0/8", "::1/128", "10.1.2.3"
  bool contains(const IpAddress& a) const noexcept;
};

class OutboundPolicy {
 public:
  // Throws Error(kValidationFailed) naming a malformed CIDR.
  explicit OutboundPolicy(const std::vector<std::string>& allow_cidrs = {});

  // Allowed: an allowlisted range, or a public unicast address.
  bool allowed(const IpAddress& address) const noexcept;

  // Why an address is refused ("loopback", "private", "link-local", …), or nullopt if allowed.
  std::optional<std::string> refusal(const IpAddress& address) const;

  // Resolves host (blocking: call off I/O threads) and returns the allowed addresses to connect to,
  // in resolver order. Throws Error(kForbidden) if every address is refused (naming the reason) and
  // Error(kUnavailable) if the name does not resolve.
  std::vector<IpAddress> resolve(const std::string& host) const;

 private:
  std::vector<Cidr> allow_;
};

}  // namespace tyto::http
