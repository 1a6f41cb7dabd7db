// The outbound guard's decision for one request of a page: may Chromium fetch this URL?
//
// Only http, https, data, blob and about URLs pass. For http(s), the host is resolved here and the
// request is refused when ANY address it resolves to is refused by the policy: Chromium resolves the
// name again itself and may pick any of them (OutboundClient, which connects itself, needs only one).
#pragma once

#include "tyto/http/outbound_policy.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::browser::detail {

// The guard's verdict on a host: the addresses it resolves to, or why it is refused (when any of them
// is). Blocking (DNS).
struct HostDecision {
  std::optional<std::string> refusal;
  std::vector<http::IpAddress> addresses;
  bool unresolved = false;  // the name does not resolve: nothing to refuse, nothing to connect to
};
HostDecision check_host(const http::OutboundPolicy& policy, const std::string& host);
// The verdict on the addresses a host resolved to (refused when any is, or when there are none).
HostDecision judge(const http::OutboundPolicy& policy, const std::string& host,
                   const std::vector<http::IpAddress>& resolved);

// Why the URL is refused ("10.255.255.1 is private", "scheme ftp is not allowed"), or nullopt when it
// may be fetched. A name that does not resolve here is not refused: Chromium's connection fails at the
// guard's proxy, which resolves it again and connects only to checked addresses. Blocking (DNS): call off I/O threads.
std::optional<std::string> refusal(const http::OutboundPolicy& policy, std::string_view url);

}  // namespace tyto::browser::detail
