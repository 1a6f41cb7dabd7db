// An HTTP(S) client for requests Tyto makes on a user's behalf (webhooks, later marketplace images
// and pages to audit), where the user chooses the URL: every connection goes through OutboundPolicy.
//
// send() resolves the host once through the policy and connects to exactly the addresses it
// returned, in order, moving to the next only when a connection cannot be made; it never resolves
// the name again, so DNS rebinding cannot slip a refused address past the check. HTTPS verifies the
// certificate chain and the host name and sends SNI. Redirects are never followed (a 3xx is returned
// like any response). The whole exchange must finish within the request's timeout; the response body
// is read up to max_response_bytes and the rest is left unread (the connection is then closed).
// Every request uses a fresh connection.
//
// Thread-safety: send() may be called from many threads at once. It blocks (DNS, network): never call
// it on an I/O thread.
#pragma once

#include "tyto/http/outbound_policy.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::http {

struct OutboundUrl {
  bool tls = false;
  std::string host;  // a name, or an IP address (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"

  std::string authority() const;  // the Host header: host, [v6], plus ":port" unless the default
};

// Parses an absolute http:// or https:// URL. Refuses (Error(kValidationFailed) with details.fields.url
// saying why) other schemes, user information, a missing host, a bad port, whitespace or control
// characters, and URLs over 2,048 characters. A fragment is dropped.
OutboundUrl parse_outbound_url(std::string_view url);

struct OutboundRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Host and Content-Length are set by send()
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // connect + TLS + send + receive, all together
  std::size_t max_response_bytes = 64 * 1024;
};

struct OutboundResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;                                          // at most max_response_bytes
  bool truncated = false;                                    // the body was longer than that
  std::string address;                                       // the address it connected to
};

class OutboundClient {
 public:
  // ca_file: trusted certificates in PEM instead of the system's (tests). The policy must outlive
  // the client. Throws Error(kInternal) if the certificates cannot be loaded.
  explicit OutboundClient(const OutboundPolicy& policy, const std::string& ca_file = {});
  ~OutboundClient();
  OutboundClient(const OutboundClient&) = delete;
  OutboundClient& operator=(const OutboundClient&) = delete;

  // Throws Error(kValidationFailed) for a bad URL, Error(kForbidden) when the policy refuses every
  // address the host resolves to, and Error(kUnavailable) naming what failed when the host does not
  // resolve, no address accepts a connection, TLS fails (certificate, host name), the timeout passes
  // or the response is malformed. Any HTTP status is a response, not an error.
  OutboundResponse send(const OutboundRequest& request) const;

 private:
  struct Impl;
  const OutboundPolicy& policy_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::http
