#include "tyto/http/outbound_policy.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

namespace tyto::http {
namespace {

struct Blocked {
  Cidr range;
  const char* reason;
};

Cidr cidr(const char* text) { return *Cidr::parse(text); }

// Ranges that are never a public destination. IPv4 ranges are matched in their mapped form.
const std::vector<Blocked>& blocked_ranges() {
  static const std::vector<Blocked> kRanges = {
      {cidr("0.0.0.0/8"), "unspecified"},
      {cidr("10.0.0.0/8"), "private"},
      {cidr("100.64.0.0/10"), "shared address space"},
      {cidr("127.0.0.0/8"), "loopback"},
      {cidr("169.254.0.0/16"), "link-local"},
      {cidr("172.16.0.0/12"), "private"},
      {cidr("192.0.0.0/24"), "protocol assignments"},
      {cidr("192.0.2.0/24"), "documentation"},
      {cidr("192.88.99.0/24"), "6to4 relay"},
      {cidr("192.168.0.0/16"), "private"},
      {cidr("198.18.0.0/15"), "benchmarking"},
      {cidr("198.51.100.0/24"), "documentation"},
      {cidr("203.0.113.0/24"), "documentation"},
      {cidr("224.0.0.0/4"), "multicast"},
      {cidr("240.0.0.0/4"), "reserved"},
      {cidr("::/128"), "unspecified"},
      {cidr("::1/128"), "loopback"},
      {cidr("::/96"), "IPv4-compatible"},
      {cidr("100::/64"), "discard"},
      {cidr("2001:db8::/32"), "documentation"},
      {cidr("fc00::/7"), "private"},
      {cidr("fe80::/10"), "link-local"},
      {cidr("fec0::/10"), "site-local"},
      {cidr("ff00::/8"), "multicast"},
  };
  return kRanges;
}

// The IPv4 address embedded in NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses, as mapped.
std::optional<IpAddress> embedded_v4(const IpAddress& a) {
  static const Cidr kNat64 = cidr("64:ff9b::/96");
  static const Cidr k6to4 = cidr("2002::/16");
  IpAddress v4;
  v4.bytes[10] = v4.bytes[11] = 0xff;
  if (kNat64.contains(a)) {
    std::memcpy(v4.bytes + 12, a.bytes + 12, 4);
    return v4;
  }
  if (k6to4.contains(a)) {
    std::memcpy(v4.bytes + 12, a.bytes + 2, 4);
    return v4;
  }
  return std::nullopt;
}

std::optional<std::string> blocked_reason(const IpAddress& a) {
  for (const auto& b : blocked_ranges()) {
    if (b.range.contains(a)) return std::string(b.reason);
  }
  if (auto inner = embedded_v4(a)) {
    for (const auto& b : blocked_ranges()) {
      if (b.range.contains(*inner)) return std::string(b.reason) + " (embedded IPv4)";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  IpAddress out;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out.bytes[10] = out.bytes[11] = 0xff;
    std::memcpy(out.bytes + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.bytes, &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool IpAddress::is_v4() const noexcept {
  static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes, kMapped, 12) == 0;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  }
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int max = address->is_v4() ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size() || prefix < 0 || prefix > max) {
      return std::nullopt;
    }
  }
  Cidr c{*address, address->is_v4() ? prefix + 96 : prefix};
  // Zero the host bits so "10.1.2.3/8" means 10.0.0.0/8.
  for (int bit = c.prefix; bit < 128; ++bit)
    c.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return c;
}

bool Cidr::contains(const IpAddress& a) const noexcept {
  const int full = prefix / 8;
  if (std::memcmp(network.bytes, a.bytes, static_cast<std::size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (network.bytes[full] & mask) == (a.bytes[full] & mask);
}

OutboundPolicy::OutboundPolicy(const std::vector<std::string>& allow_cidrs) {
  for (const auto& text : allow_cidrs) {
    auto c = Cidr::parse(text);
    if (!c) {
      throw validation_error("bad outbound allowlist entry",
                             {{"outbound.allow", fmt::format("\"{}\" is not a CIDR", text)}});
    }
    allow_.push_back(*c);
  }
}

bool OutboundPolicy::allowed(const IpAddress& address) const noexcept { return !refusal(address).has_value(); }

std::optional<std::string> OutboundPolicy::refusal(const IpAddress& address) const {
  for (const auto& c : allow_) {
    if (c.contains(address)) return std::nullopt;
  }
  return blocked_reason(address);
}

std::vector<IpAddress> OutboundPolicy::resolve(const std::string& host) const {
  if (auto literal = IpAddress::parse(host)) {
    if (auto why = refusal(*literal)) {
      throw Error(ErrorCode::kForbidden,
                  fmt::format("outbound address {} is not allowed ({})", literal->to_string(), *why),
                  {{"host", host}, {"reason", *why}});
    }
    return {*literal};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &raw); rc != 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)),
                {{"host", host}});
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, freeaddrinfo);
  std::vector<IpAddress> out;
  std::optional<std::string> first_refusal;
  for (auto* ai = list.get(); ai; ai = ai->ai_next) {
    IpAddress a;
    if (ai->ai_family == AF_INET) {
      a.bytes[10] = a.bytes[11] = 0xff;
      std::memcpy(a.bytes + 12, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      std::memcpy(a.bytes, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    if (auto why = refusal(a)) {
      if (!first_refusal) first_refusal = a.to_string() + " is " + *why;
      continue;
    }
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) {
    throw Error(ErrorCode::kForbidden,
                fmt::format("outbound fetch to {} refused: {}", host, first_refusal.value_or("no usable address")),
                {{"host", host}});
  }
  return out;
}

}  // namespace tyto::http
