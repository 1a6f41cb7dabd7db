#include "tyto/http/outbound_client.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace tyto::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxUrlBytes = 2048;

[[noreturn]] void bad_url(std::string_view why) {
  throw validation_error(fmt::format("bad URL: {}", why), {{"url", std::string(why)}});
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

net::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return net::ip::address_v4({a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]});
  net::ip::address_v6::bytes_type bytes;
  std::copy(std::begin(a.bytes), std::end(a.bytes), bytes.begin());
  return net::ip::address_v6(bytes);
}

// One exchange on its own io_context: each blocking step runs one asynchronous operation to
// completion, which is how Beast's deadlines apply to synchronous use.
struct Exchange {
  net::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  Clock::time_point deadline;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  template <class Fn>
  void with_stream(Fn&& fn) {
    if (secure) {
      fn(*secure);
    } else {
      fn(*plain);
    }
  }

  template <class Initiate>
  beast::error_code run(Initiate&& initiate) {
    beast::error_code result = net::error::operation_aborted;
    lowest().expires_at(deadline);
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

}  // namespace

std::string OutboundUrl::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

OutboundUrl parse_outbound_url(std::string_view url) {
  if (url.size() > kMaxUrlBytes) bad_url("longer than 2048 characters");
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) bad_url("contains whitespace or control characters");
  }
  OutboundUrl out;
  const std::string lower = lowercase(url.substr(0, 8));
  if (lower.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (lower.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    bad_url("must start with http:// or https://");
  }
  if (auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto end_of_authority = url.find_first_of("/?");
  const std::string_view authority = url.substr(0, end_of_authority);
  out.target = end_of_authority == std::string_view::npos ? "/" : std::string(url.substr(end_of_authority));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) bad_url("must not contain user information");
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url("has an unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') bad_url("has a malformed port");
      has_port = true;
      port_text = authority.substr(close + 2);
    }
    if (!IpAddress::parse(out.host)) bad_url("has a malformed IPv6 address");
  } else {
    const auto colon = authority.find(':');
    out.host = lowercase(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (out.host.empty()) bad_url("has no host");
  out.port = out.tls ? 443 : 80;
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      bad_url("has a malformed port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

struct OutboundClient::Impl {
  ssl::context tls{ssl::context::tls_client};
};

OutboundClient::OutboundClient(const OutboundPolicy& policy, const std::string& ca_file)
    : policy_(policy), impl_(std::make_unique<Impl>()) {
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
  impl_->tls.set_verify_mode(ssl::verify_peer);
}

OutboundClient::~OutboundClient() = default;

OutboundResponse OutboundClient::send(const OutboundRequest& request) const {
  const OutboundUrl url = parse_outbound_url(request.url);
  const auto addresses = policy_.resolve(url.host);  // throws when refused or unresolvable
  Exchange x;
  x.deadline = Clock::now() + request.timeout;
  auto fail = [&](std::string_view what, const beast::error_code& ec) -> Error {
    return Error(ErrorCode::kUnavailable, fmt::format("{} {}: {}", what, url.authority(), describe(ec)),
                 {{"host", url.host}});
  };

  // Connect to the checked addresses only, in resolver order.
  OutboundResponse response;
  beast::error_code ec;
  for (const auto& address : addresses) {
    x.plain.reset();
    x.secure.reset();
    if (url.tls) {
      x.secure.emplace(x.ioc, impl_->tls);
    } else {
      x.plain.emplace(x.ioc);
    }
    const tcp::endpoint endpoint(to_asio(address), url.port);
    ec = x.run([&](auto handler) { x.lowest().async_connect(endpoint, handler); });
    if (!ec) {
      response.address = address.to_string();
      break;
    }
    if (Clock::now() >= x.deadline) break;
  }
  if (ec) throw fail("cannot connect to", ec);

  if (url.tls) {
    // SNI carries names only; the certificate is checked against the name or the address either way.
    const bool literal = IpAddress::parse(url.host).has_value();
    if (!literal && !SSL_set_tlsext_host_name(x.secure->native_handle(), url.host.c_str())) {
      throw fail("cannot set the TLS server name for",
                 beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()));
    }
    x.secure->set_verify_callback(ssl::host_name_verification(url.host));
    ec = x.run([&](auto handler) { x.secure->async_handshake(ssl::stream_base::client, handler); });
    if (ec) throw fail("TLS handshake failed with", ec);
  }

  bhttp::request<bhttp::string_body> req;
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(url.target);
  req.version(11);
  req.set(bhttp::field::host, url.authority());
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.set(bhttp::field::connection, "close");
  req.body() = request.body;
  req.prepare_payload();
  ec = x.run([&](auto handler) { x.with_stream([&](auto& s) { bhttp::async_write(s, req, handler); }); });
  if (ec) throw fail("cannot send the request to", ec);

  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  ec = x.run(
      [&](auto handler) { x.with_stream([&](auto& s) { bhttp::async_read_header(s, x.buffer, parser, handler); }); });
  if (ec) throw fail("no valid response from", ec);
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
  }
  std::array<char, 16 * 1024> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    ec = x.run([&](auto handler) { x.with_stream([&](auto& s) { bhttp::async_read(s, x.buffer, parser, handler); }); });
    if (ec == bhttp::error::need_buffer) ec = {};
    const std::size_t n = chunk.size() - parser.get().body().size;
    const std::size_t room = request.max_response_bytes - response.body.size();
    response.body.append(chunk.data(), std::min(n, room));
    if (n > room) {
      response.truncated = true;
      break;
    }
    if (ec) throw fail("response body cut short by", ec);
  }
  return response;
}

}  // namespace tyto::http
