#include "tyto/http/outbound_client.hpp"

#include "http/detail/client_core.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace tyto::http {
namespace {

namespace net = boost::asio;
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

std::string describe(const boost::system::error_code& ec) {
  if (ec == boost::beast::error::timeout) return "timed out";
  return ec.message();
}

}  // namespace

std::string OutboundUrl::authority() const { return detail::authority(tls, host, port); }

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
  explicit Impl(const std::string& ca_file) : tls(detail::make_client_tls_context(ca_file)) {}
  net::ssl::context tls;
};

OutboundClient::OutboundClient(const OutboundPolicy& policy, const std::string& ca_file)
    : policy_(policy), impl_(std::make_unique<Impl>(ca_file)) {}

OutboundClient::~OutboundClient() = default;

OutboundResponse OutboundClient::send(const OutboundRequest& request) const {
  const OutboundUrl url = parse_outbound_url(request.url);
  const auto addresses = policy_.resolve(url.host);  // throws when refused or unresolvable
  const auto timeout = detail::ClientTimeout::at(Clock::now() + request.timeout);
  auto fail = [&](std::string_view what, const boost::system::error_code& ec) -> Error {
    return Error(ErrorCode::kUnavailable, fmt::format("{} {}: {}", what, url.authority(), describe(ec)),
                 {{"host", url.host}});
  };

  // Connect to the checked addresses only, in resolver order, each on a fresh connection.
  OutboundResponse response;
  std::optional<detail::ClientConnection> c;
  boost::system::error_code ec;
  for (const auto& address : addresses) {
    c.emplace(url.tls ? &impl_->tls : nullptr, timeout);
    ec = c->connect(tcp::endpoint(to_asio(address), url.port));
    if (!ec) {
      response.address = address.to_string();
      break;
    }
    if (Clock::now() >= *timeout.deadline) break;
  }
  if (ec) throw fail("cannot connect to", ec);

  if (url.tls) {
    if (ec = c->set_server_name(url.host); ec) throw fail("cannot set the TLS server name for", ec);
    if (ec = c->handshake(); ec) throw fail("TLS handshake failed with", ec);
  }

  detail::ClientHeaders headers = {{"Host", url.authority()}};
  headers.insert(headers.end(), request.headers.begin(), request.headers.end());
  headers.emplace_back("Connection", "close");
  ec = c->write_request(request.method, url.target, headers, request.body);
  if (ec) throw fail("cannot send the request to", ec);

  ec = c->read_response_head(request.method == "HEAD", response.status, response.headers);
  if (ec) throw fail("no valid response from", ec);
  std::array<char, 16 * 1024> chunk;
  while (!c->body_done()) {
    std::size_t n = 0;
    ec = c->read_body_some(chunk, n);
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
