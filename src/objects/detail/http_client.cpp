#include "objects/detail/http_client.hpp"

#include "http/detail/client_core.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

namespace tyto::objects::detail {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using http::detail::ClientConnection;

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kMaxKeptBody = 8u << 20;
constexpr std::size_t kMaxIdleConnections = 16;

// A connection of the pool; reused says it served an earlier request (the server may have closed it since).
struct Connection {
  Connection(net::ssl::context* tls, std::chrono::milliseconds timeout)
      : io(tls, http::detail::ClientTimeout::each(timeout)) {}
  ClientConnection io;
  bool reused = false;
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

[[noreturn]] void throw_endpoint(std::string_view url, std::string_view problem) {
  throw validation_error(fmt::format("S3 endpoint \"{}\" {}", url, problem), {{"endpoint", std::string(problem)}});
}

// What one exchange got to before it failed, for the caller's retry decision.
struct Progress {
  bool got_header = false;
  bool keep_alive = false;
  std::uint64_t delivered = 0;
};

}  // namespace

std::string Endpoint::authority() const { return http::detail::authority(tls, host, port); }

Endpoint parse_endpoint(std::string_view url) {
  Endpoint endpoint;
  std::string lower = lowercase(url);
  std::string_view rest = url;
  if (lower.starts_with("https://")) {
    endpoint.tls = true;
    rest.remove_prefix(8);
  } else if (lower.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw_endpoint(url, "must start with http:// or https://");
  }
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos && slash + 1 != rest.size()) throw_endpoint(url, "must not have a path");
  std::string_view authority = rest.substr(0, slash);
  std::string_view port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw_endpoint(url, "has an unterminated IPv6 address");
    endpoint.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw_endpoint(url, "has a malformed port");
      port_text = authority.substr(close + 2);
    }
  } else {
    std::size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty() || endpoint.host.find_first_of("@ \t/?#") != std::string::npos) {
    throw_endpoint(url, "has no valid host");
  }
  endpoint.port = endpoint.tls ? 443 : 80;
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      throw_endpoint(url, "has a malformed port");
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

struct HttpClient::Impl {
  Impl(Endpoint endpoint, std::chrono::milliseconds timeout, const std::string& ca_file)
      : endpoint(std::move(endpoint)), timeout(timeout), tls(http::detail::make_client_tls_context(ca_file)) {}

  Endpoint endpoint;
  std::chrono::milliseconds timeout;
  net::ssl::context tls;
  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mutex

  [[noreturn]] void fail(std::string_view what, const error_code& ec, std::uint64_t delivered = 0) const {
    throw TransportError(fmt::format("{} {}: {}", what, endpoint.authority(), ec.message()), delivered);
  }

  std::unique_ptr<Connection> acquire(bool fresh) {
    if (!fresh) {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        std::unique_ptr<Connection> c = std::move(idle.back());
        idle.pop_back();
        c->reused = true;
        return c;
      }
    }
    return connect();
  }

  void release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex);
    if (idle.size() < kMaxIdleConnections) idle.push_back(std::move(c));
  }

  std::unique_ptr<Connection> connect();
  HttpResponse exchange(ClientConnection& c, const HttpRequest& request,
                        const std::function<void(std::string_view)>* sink, Progress& progress);
  void read_body(ClientConnection& c, HttpResponse& response, const std::function<void(std::string_view)>* sink,
                 Progress& progress);
};

std::unique_ptr<Connection> HttpClient::Impl::connect() {
  auto c = std::make_unique<Connection>(endpoint.tls ? &tls : nullptr, timeout);
  tcp::resolver::results_type results;
  error_code ec = c->io.resolve(endpoint.host, endpoint.port, results);
  if (ec) fail("cannot resolve", ec);
  ec = c->io.connect(results);
  if (ec) fail("cannot connect to", ec);
  c->io.lowest().socket().set_option(tcp::no_delay(true), ec);
  if (endpoint.tls) {
    if (ec = c->io.set_server_name(endpoint.host); ec) fail("cannot set TLS server name for", ec);
    if (ec = c->io.handshake(); ec) fail("TLS handshake failed with", ec);
  }
  return c;
}

HttpResponse HttpClient::Impl::exchange(ClientConnection& c, const HttpRequest& request,
                                        const std::function<void(std::string_view)>* sink, Progress& progress) {
  error_code ec = c.write_request(request.method, request.target, request.headers, request.body);
  if (ec) fail("cannot send request to", ec);
  HttpResponse response;
  ec = c.read_response_head(request.head, response.status, response.headers);
  if (ec) fail("no response from", ec);
  progress.got_header = true;
  read_body(c, response, sink, progress);
  progress.keep_alive = c.keep_alive();
  return response;
}

void HttpClient::Impl::read_body(ClientConnection& c, HttpResponse& response,
                                 const std::function<void(std::string_view)>* sink, Progress& progress) {
  bool to_sink = sink != nullptr && response.status / 100 == 2;
  std::string chunk(kChunkBytes, '\0');
  while (!c.body_done()) {
    std::size_t n = 0;
    if (error_code ec = c.read_body_some(chunk, n); ec) fail("response body cut short by", ec, progress.delivered);
    if (n == 0) continue;
    if (to_sink) {
      (*sink)(std::string_view(chunk.data(), n));
      progress.delivered += n;
    } else {
      if (response.body.size() + n > kMaxKeptBody) {
        fail("oversized response body from", error_code(net::error::message_size));
      }
      response.body.append(chunk.data(), n);
    }
  }
}

HttpClient::HttpClient(Endpoint endpoint, std::chrono::milliseconds timeout, const std::string& ca_file)
    : endpoint_(endpoint), impl_(std::make_unique<Impl>(std::move(endpoint), timeout, ca_file)) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, const std::function<void(std::string_view)>* sink) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> c = impl_->acquire(request.fresh_connection || attempt > 0);
    Progress progress;
    try {
      HttpResponse response = impl_->exchange(c->io, request, sink, progress);
      if (progress.keep_alive) impl_->release(std::move(c));
      return response;
    } catch (const TransportError&) {
      // A pooled connection the server has closed meanwhile fails before any response: use a new one.
      if (c->reused && !progress.got_header && attempt == 0) continue;
      throw;
    }
  }
}

}  // namespace tyto::objects::detail
