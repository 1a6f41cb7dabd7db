// A small blocking HTTP/1.1 client for the S3 store (the client core of http/detail/client_core.hpp
// underneath, kept out of this header): keep-alive connections in a pool, TLS with certificate and host
// name verification, a timeout on connecting and on every read and write, and response bodies streamed to
// a sink.
//
// Thread-safety: send() may be called from many threads at once; each call has a connection to itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::objects::detail {

struct Endpoint {
  bool tls = false;
  std::string host;  // a name or an address; IPv6 without brackets
  std::uint16_t port = 0;

  // host[:port] as the Host header carries it (the port only when it is not the scheme's default).
  std::string authority() const;
  std::string scheme() const { return tls ? "https" : "http"; }
};

// Parses "http://host[:port]" or "https://host[:port]" (a trailing '/' is allowed, any other path is not).
// Throws Error(kValidationFailed) naming the problem.
Endpoint parse_endpoint(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "PUT", …
  std::string target;  // encoded path and query
  Headers headers;     // sent as given, Host among them; Content-Length is added
  std::string_view body;
  bool head = false;              // the response has no body whatever its headers say
  bool fresh_connection = false;  // never reuse a pooled connection (requests that must not be resent)
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names lowercase
  std::string body;  // the body, unless a sink took it
  // The value of the first header with this (lowercase) name, or "".
  std::string header(std::string_view name) const;
};

// The connection failed (refused, reset, timed out, a TLS failure). body_bytes tells how much of a
// streamed body had reached the sink, after which the request cannot simply be repeated.
class TransportError : public std::runtime_error {
 public:
  TransportError(const std::string& message, std::uint64_t body_bytes)
      : std::runtime_error(message), body_bytes_(body_bytes) {}
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  std::uint64_t body_bytes_;
};

class HttpClient {
 public:
  // ca_file: a PEM bundle to trust instead of the system store (empty: the system store).
  HttpClient(Endpoint endpoint, std::chrono::milliseconds timeout, const std::string& ca_file);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request and its response. With a sink, a 2xx body goes to it in chunks instead of into
  // response.body; other bodies (errors) are always kept, up to 8 MiB. A pooled connection that turns out
  // to be closed is replaced once, transparently. Throws TransportError; whatever the sink throws passes
  // through.
  HttpResponse send(const HttpRequest& request, const std::function<void(std::string_view)>* sink = nullptr);

  const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  struct Impl;
  Endpoint endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::objects::detail
