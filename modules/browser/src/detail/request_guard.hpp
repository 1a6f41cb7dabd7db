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

namespace tyto::browser::detail {

// Why the URL is refused ("10.255.255.1 is private", "scheme ftp is not allowed"), or nullopt when it
// may be fetched. Blocking (DNS): call off I/O threads.
std::optional<std::string> refusal(const http::OutboundPolicy& policy, std::string_view url);

// Why a connection to this literal address is refused, or nullopt (for addresses Chromium reports it
// connected to).
std::optional<std::string> address_refusal(const http::OutboundPolicy& policy, std::string_view address);

}  // namespace tyto::browser::detail
