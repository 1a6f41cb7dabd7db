#include "detail/request_guard.hpp"

#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"

#include <fmt/format.h>

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace tyto::browser::detail {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

}  // namespace

HostDecision judge(const http::OutboundPolicy& policy, const std::string& host,
                   const std::vector<http::IpAddress>& resolved) {
  HostDecision out;
  const bool literal = http::IpAddress::parse(host).has_value();
  for (const auto& a : resolved) {
    if (auto why = policy.refusal(a)) {
      out.refusal = literal ? fmt::format("{} is {}", a.to_string(), *why)
                            : fmt::format("{} resolves to {}, which is {}", host, a.to_string(), *why);
      out.addresses.clear();
      return out;
    }
    if (std::find(out.addresses.begin(), out.addresses.end(), a) == out.addresses.end()) out.addresses.push_back(a);
  }
  if (out.addresses.empty()) out.refusal = host + " has no usable address";
  return out;
}

HostDecision check_host(const http::OutboundPolicy& policy, const std::string& host) {
  if (auto literal = http::IpAddress::parse(host)) return judge(policy, host, {*literal});
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw); rc != 0)
    return {fmt::format("{} does not resolve ({})", host, ::gai_strerror(rc)), {}, true};
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, ::freeaddrinfo);
  std::vector<http::IpAddress> resolved;
  for (auto* ai = list.get(); ai; ai = ai->ai_next) {
    http::IpAddress a;
    if (ai->ai_family == AF_INET) {
      a.bytes[10] = a.bytes[11] = 0xff;
      std::memcpy(a.bytes + 12, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      std::memcpy(a.bytes, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    resolved.push_back(a);
  }
  return judge(policy, host, resolved);
}

std::optional<std::string> refusal(const http::OutboundPolicy& policy, std::string_view url) {
  const auto colon = url.find(':');
  const std::string scheme = lowercase(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (scheme == "data" || scheme == "blob" || scheme == "about") return std::nullopt;
  if (scheme != "http" && scheme != "https")
    return fmt::format("scheme {} is not allowed", scheme.empty() ? std::string("(none)") : scheme);
  http::OutboundUrl parsed;
  try {
    parsed = http::parse_outbound_url(url);
  } catch (const Error& e) {
    return std::string(e.what());
  }
  HostDecision decision = check_host(policy, parsed.host);
  if (decision.unresolved) return std::nullopt;
  return decision.refusal;
}

}  // namespace tyto::browser::detail
