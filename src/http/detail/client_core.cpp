#include "http/detail/client_core.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <boost/asio/connect.hpp>

#include <algorithm>

namespace tyto::http::detail {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::string authority(bool tls, std::string_view host, std::uint16_t port) {
  std::string out = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]" : std::string(host);
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

ssl::context make_client_tls_context(const std::string& ca_file) {
  ssl::context tls(ssl::context::tls_client);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    tls.set_default_verify_paths(ec);
  } else {
    tls.load_verify_file(ca_file, ec);
  }
  if (ec) {
    throw Error(ErrorCode::kInternal, fmt::format("cannot load trusted certificates{}: {}",
                                                  ca_file.empty() ? "" : " from " + ca_file, ec.message()));
  }
  tls.set_verify_mode(ssl::verify_peer);
  return tls;
}

ClientConnection::ClientConnection(ssl::context* tls, ClientTimeout timeout) : timeout_(timeout) {
  if (tls != nullptr) {
    secure_.emplace(ioc_, *tls);
  } else {
    plain_.emplace(ioc_);
  }
}

ClientConnection::error_code ClientConnection::resolve(const std::string& host, std::uint16_t port,
                                                       tcp::resolver::results_type& results) {
  tcp::resolver resolver(ioc_);
  return run_untimed([&](auto handler) {
    resolver.async_resolve(host, std::to_string(port),
                           [&results, handler](error_code e, tcp::resolver::results_type r) mutable {
                             results = std::move(r);
                             handler(e);
                           });
  });
}

ClientConnection::error_code ClientConnection::connect(const tcp::endpoint& endpoint) {
  return run([&](auto handler) { lowest().async_connect(endpoint, handler); });
}

ClientConnection::error_code ClientConnection::connect(const tcp::resolver::results_type& endpoints) {
  return run([&](auto handler) { lowest().async_connect(endpoints, handler); });
}

ClientConnection::error_code ClientConnection::set_server_name(const std::string& host) {
  // SNI carries names only; the certificate is checked against the name or the address either way.
  if (!is_ip_address(host) && !SSL_set_tlsext_host_name(secure_->native_handle(), host.c_str())) {
    return error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
  }
  secure_->set_verify_mode(ssl::verify_peer);
  secure_->set_verify_callback(ssl::host_name_verification(host));
  return {};
}

ClientConnection::error_code ClientConnection::handshake() {
  return run([&](auto handler) { secure_->async_handshake(ssl::stream_base::client, handler); });
}

ClientConnection::error_code ClientConnection::write_request(std::string_view method, std::string_view target,
                                                             const ClientHeaders& headers, std::string_view body) {
  bhttp::request<bhttp::span_body<const char>> req;
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = bhttp::span_body<const char>::value_type(body.data(), body.size());
  req.prepare_payload();
  return run([&](auto handler) { with_stream([&](auto& s) { bhttp::async_write(s, req, handler); }); });
}

ClientConnection::error_code ClientConnection::read_response_head(bool skip_body, int& status, ClientHeaders& headers) {
  parser_.emplace();
  parser_->body_limit(boost::none);  // the callers limit what they keep
  parser_->skip(skip_body);
  const error_code ec = run(
      [&](auto handler) { with_stream([&](auto& s) { bhttp::async_read_header(s, buffer_, *parser_, handler); }); });
  if (ec) return ec;
  status = static_cast<int>(parser_->get().result_int());
  for (const auto& field : parser_->get())
    headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
  return {};
}

ClientConnection::error_code ClientConnection::read_body_some(std::span<char> chunk, std::size_t& n) {
  parser_->get().body().data = chunk.data();
  parser_->get().body().size = chunk.size();
  error_code ec =
      run([&](auto handler) { with_stream([&](auto& s) { bhttp::async_read(s, buffer_, *parser_, handler); }); });
  if (ec == bhttp::error::need_buffer) ec = {};
  n = chunk.size() - parser_->get().body().size;
  return ec;
}

}  // namespace tyto::http::detail
