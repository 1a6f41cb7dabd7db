// The blocking HTTP/1.1 client machinery under http::OutboundClient (user-chosen URLs, webhooks) and the
// S3 client (src/objects/detail/http_client.hpp): a TLS context that verifies peers, and a connection,
// plain or TLS, on its own io_context whose every step runs one asynchronous operation to completion
// under a timeout, which is how Beast's deadlines apply to synchronous use. Which addresses to connect
// to, pooling, retries, body limits and the errors to throw stay with the callers.
//
// Beast is in this header: it is private to tyto_http_client and the two libraries that link it.
//
// Thread-safety: a ClientConnection belongs to one thread at a time; a TLS context may be shared by
// connections on many threads once it is made.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::http::detail {

using ClientHeaders = std::vector<std::pair<std::string, std::string>>;

// host, "[v6]", plus ":port" unless it is the scheme's default: the Host header of a request.
std::string authority(bool tls, std::string_view host, std::uint16_t port);

// A client context that verifies the peer against the system's trusted certificates, or against those
// of ca_file (PEM) when it is not empty. Throws Error(kInternal) if they cannot be loaded.
boost::asio::ssl::context make_client_tls_context(const std::string& ca_file);

// When a connection's steps time out.
struct ClientTimeout {
  std::optional<std::chrono::steady_clock::time_point> deadline;  // every step by then, if set
  std::chrono::milliseconds per_step{0};                          // else each step within this

  static ClientTimeout at(std::chrono::steady_clock::time_point t) { return {t, {}}; }
  static ClientTimeout each(std::chrono::milliseconds d) { return {std::nullopt, d}; }
};

// One connection. Each step returns the error that ended it (beast::error::timeout when its time ran
// out) instead of throwing; the caller decides what that means.
class ClientConnection {
 public:
  using error_code = boost::system::error_code;
  using tcp = boost::asio::ip::tcp;

  // tls: the context of an https connection (it must outlive the connection), nullptr for plain http.
  ClientConnection(boost::asio::ssl::context* tls, ClientTimeout timeout);
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Resolves host:port (no timeout: the system resolver has its own).
  error_code resolve(const std::string& host, std::uint16_t port, tcp::resolver::results_type& results);
  error_code connect(const tcp::endpoint& endpoint);
  error_code connect(const tcp::resolver::results_type& endpoints);

  // TLS only, after connecting: sends host as SNI unless it is an IP address and checks the certificate
  // against it, then shakes hands.
  error_code set_server_name(const std::string& host);
  error_code handshake();

  // Writes one request; headers are set in order (a later one replaces an earlier one of the same name),
  // and Content-Length follows the body.
  error_code write_request(std::string_view method, std::string_view target, const ClientHeaders& headers,
                           std::string_view body);

  // Reads the head of the response to the request just written; skip_body for the answer to a HEAD.
  // Header names come lowercase.
  error_code read_response_head(bool skip_body, int& status, ClientHeaders& headers);
  // Reads the next piece of the body into chunk; n is how much of it was filled (possibly 0 while only
  // framing was read). Call until body_done().
  error_code read_body_some(std::span<char> chunk, std::size_t& n);
  bool body_done() const { return parser_->is_done(); }
  // Whether the connection may carry another request once this response is read.
  bool keep_alive() const { return parser_->get().keep_alive(); }

  boost::beast::tcp_stream& lowest() { return secure_ ? boost::beast::get_lowest_layer(*secure_) : *plain_; }

 private:
  template <class Fn>
  void with_stream(Fn&& fn) {
    if (secure_) {
      fn(*secure_);
    } else {
      fn(*plain_);
    }
  }

  // Starts an operation through initiate(handler) under the timeout and runs it to completion.
  template <class Initiate>
  error_code run(Initiate&& initiate) {
    if (timeout_.deadline) {
      lowest().expires_at(*timeout_.deadline);
    } else {
      lowest().expires_after(timeout_.per_step);
    }
    return run_untimed(std::forward<Initiate>(initiate));
  }

  template <class Initiate>
  error_code run_untimed(Initiate&& initiate) {
    error_code result = boost::asio::error::operation_aborted;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
  ClientTimeout timeout_;
};

}  // namespace tyto::http::detail
