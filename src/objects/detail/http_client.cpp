#include "objects/detail/http_client.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

namespace tyto::objects::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kMaxKeptBody = 8u << 20;
constexpr std::size_t kMaxIdleConnections = 16;

// One connection with its own io_context: each blocking call runs one asynchronous operation to completion
// on it, which is how Beast's per-operation timeouts apply to synchronous use.
struct Connection {
  net::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool reused = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  template <class Fn>
  void with_stream(Fn&& fn) {
    if (secure) {
      fn(*secure);
    } else {
      fn(*plain);
    }
  }

  // Starts an operation through initiate(handler) and runs it to completion; returns its error.
  template <class Initiate>
  beast::error_code run(Initiate&& initiate) {
    beast::error_code result = net::error::operation_aborted;
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

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

std::string Endpoint::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

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
  Endpoint endpoint;
  std::chrono::milliseconds timeout;
  ssl::context tls{ssl::context::tls_client};
  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mutex

  [[noreturn]] void fail(std::string_view what, const beast::error_code& ec, std::uint64_t delivered = 0) const {
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
  void start_tls(Connection& c);
  HttpResponse exchange(Connection& c, const HttpRequest& request, const std::function<void(std::string_view)>* sink,
                        Progress& progress);
  void read_body(Connection& c, http::response_parser<http::buffer_body>& parser, HttpResponse& response,
                 const std::function<void(std::string_view)>* sink, Progress& progress);
};

std::unique_ptr<Connection> HttpClient::Impl::connect() {
  auto c = std::make_unique<Connection>();
  tcp::resolver resolver(c->ioc);
  tcp::resolver::results_type results;
  beast::error_code ec = c->run([&](auto handler) {
    resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                           [&results, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
                             results = std::move(r);
                             handler(e);
                           });
  });
  if (ec) fail("cannot resolve", ec);
  if (endpoint.tls) {
    c->secure.emplace(c->ioc, tls);
  } else {
    c->plain.emplace(c->ioc);
  }
  c->lowest().expires_after(timeout);
  ec = c->run([&](auto handler) { c->lowest().async_connect(results, handler); });
  if (ec) fail("cannot connect to", ec);
  c->lowest().socket().set_option(tcp::no_delay(true), ec);
  if (endpoint.tls) start_tls(*c);
  return c;
}

void HttpClient::Impl::start_tls(Connection& c) {
  // SNI carries names only; certificates are checked against the name or address either way.
  if (!is_ip_address(endpoint.host) && !SSL_set_tlsext_host_name(c.secure->native_handle(), endpoint.host.c_str())) {
    fail("cannot set TLS server name for",
         beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()));
  }
  c.secure->set_verify_mode(ssl::verify_peer);
  c.secure->set_verify_callback(ssl::host_name_verification(endpoint.host));
  c.lowest().expires_after(timeout);
  beast::error_code ec = c.run([&](auto handler) { c.secure->async_handshake(ssl::stream_base::client, handler); });
  if (ec) fail("TLS handshake failed with", ec);
}

HttpResponse HttpClient::Impl::exchange(Connection& c, const HttpRequest& request,
                                        const std::function<void(std::string_view)>* sink, Progress& progress) {
  http::request<http::span_body<const char>> req;
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(request.target);
  req.version(11);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = http::span_body<const char>::value_type(request.body.data(), request.body.size());
  req.prepare_payload();
  c.lowest().expires_after(timeout);
  beast::error_code ec =
      c.run([&](auto handler) { c.with_stream([&](auto& s) { http::async_write(s, req, handler); }); });
  if (ec) fail("cannot send request to", ec);

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.skip(request.head);
  c.lowest().expires_after(timeout);
  ec = c.run(
      [&](auto handler) { c.with_stream([&](auto& s) { http::async_read_header(s, c.buffer, parser, handler); }); });
  if (ec) fail("no response from", ec);
  progress.got_header = true;
  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
  }
  read_body(c, parser, response, sink, progress);
  progress.keep_alive = parser.get().keep_alive();
  return response;
}

void HttpClient::Impl::read_body(Connection& c, http::response_parser<http::buffer_body>& parser,
                                 HttpResponse& response, const std::function<void(std::string_view)>* sink,
                                 Progress& progress) {
  bool to_sink = sink != nullptr && response.status / 100 == 2;
  std::string chunk(kChunkBytes, '\0');
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    c.lowest().expires_after(timeout);
    beast::error_code ec =
        c.run([&](auto handler) { c.with_stream([&](auto& s) { http::async_read(s, c.buffer, parser, handler); }); });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) fail("response body cut short by", ec, progress.delivered);
    std::size_t n = chunk.size() - parser.get().body().size;
    if (n == 0) continue;
    if (to_sink) {
      (*sink)(std::string_view(chunk.data(), n));
      progress.delivered += n;
    } else {
      if (response.body.size() + n > kMaxKeptBody) {
        fail("oversized response body from", beast::error_code(net::error::message_size));
      }
      response.body.append(chunk.data(), n);
    }
  }
}

HttpClient::HttpClient(Endpoint endpoint, std::chrono::milliseconds timeout, const std::string& ca_file)
    : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>()) {
  impl_->endpoint = endpoint_;
  impl_->timeout = timeout;
  boost::system::error_code ec;
  if (ca_file.empty()) {
    impl_->tls.set_default_verify_paths(ec);
  } else {
    impl_->tls.load_verify_file(ca_file, ec);
  }
  if (ec) {
    throw Error(ErrorCode::kInternal, fmt::format("cannot load trusted certificates{}: {}",
                                                  ca_file.empty() ? "" : " from " + ca_file, ec.message()));
  }
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, const std::function<void(std::string_view)>* sink) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> c = impl_->acquire(request.fresh_connection || attempt > 0);
    Progress progress;
    try {
      HttpResponse response = impl_->exchange(*c, request, sink, progress);
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
