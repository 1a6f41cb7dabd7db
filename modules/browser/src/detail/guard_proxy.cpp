#include "detail/guard_proxy.hpp"

#include "detail/request_guard.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <mutex>
#include <thread>

namespace tyto::browser::detail {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr auto kConnectTimeout = std::chrono::seconds(15);

// SOCKS5 (RFC 1928) replies.
constexpr unsigned char kSucceeded = 0x00, kGeneralFailure = 0x01, kNotAllowed = 0x02, kHostUnreachable = 0x04,
                        kCommandNotSupported = 0x07, kAddressNotSupported = 0x08;

tcp::endpoint endpoint_of(const http::IpAddress& a, std::uint16_t port) {
  if (a.is_v4()) return {net::ip::address_v4({a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]}), port};
  net::ip::address_v6::bytes_type bytes;
  std::copy(std::begin(a.bytes), std::end(a.bytes), bytes.begin());
  return {net::ip::address_v6(bytes), port};
}

net::awaitable<void> pump(tcp::socket& from, tcp::socket& to) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(net::buffer(buffer), kTuple);
    if (ec) break;
    auto [write_ec, written] = co_await net::async_write(to, net::buffer(buffer.data(), n), kTuple);
    if (write_ec) break;
  }
  boost::system::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct GuardProxy::Impl {
  explicit Impl(const http::OutboundPolicy& p) : policy(p) {
    acceptor.open(tcp::v4());
    acceptor.bind({net::ip::address_v4::loopback(), 0});
    acceptor.listen();
  }

  const http::OutboundPolicy& policy;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::mutex mutex;
  std::function<void(RefusedRequest)> sink;  // guarded by mutex

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }

  static net::awaitable<bool> reply(tcp::socket& client, unsigned char code) {
    const std::array<unsigned char, 10> answer = {0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
    auto [ec, n] = co_await net::async_write(client, net::buffer(answer), kTuple);
    co_return !ec;
  }

  // Reads the greeting and the CONNECT request; returns host and port, or nullopt (after replying).
  static net::awaitable<std::optional<std::pair<std::string, std::uint16_t>>> handshake(tcp::socket& client) {
    std::array<unsigned char, 256> buf;
    if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, 2), kTuple); ec || buf[0] != 0x05)
      co_return std::nullopt;
    if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, buf[1]), kTuple); ec) co_return std::nullopt;
    const std::array<unsigned char, 2> no_authentication = {0x05, 0x00};
    if (auto [ec, n] = co_await net::async_write(client, net::buffer(no_authentication), kTuple); ec)
      co_return std::nullopt;
    if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, 4), kTuple); ec) co_return std::nullopt;
    const unsigned char command = buf[1], type = buf[3];
    std::string host;
    if (type == 0x01 || type == 0x04) {
      const std::size_t size = type == 0x01 ? 4 : 16;
      if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, size), kTuple); ec) co_return std::nullopt;
      http::IpAddress a;
      if (type == 0x01) {
        a.bytes[10] = a.bytes[11] = 0xff;
        std::copy(buf.begin(), buf.begin() + 4, a.bytes + 12);
      } else {
        std::copy(buf.begin(), buf.begin() + 16, a.bytes);
      }
      host = a.to_string();
    } else if (type == 0x03) {
      if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, 1), kTuple); ec) co_return std::nullopt;
      const std::size_t size = buf[0];
      if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, size), kTuple); ec) co_return std::nullopt;
      host.assign(reinterpret_cast<const char*>(buf.data()), size);
    } else {
      co_await reply(client, kAddressNotSupported);
      co_return std::nullopt;
    }
    if (auto [ec, n] = co_await net::async_read(client, net::buffer(buf, 2), kTuple); ec) co_return std::nullopt;
    const auto port = static_cast<std::uint16_t>((buf[0] << 8) | buf[1]);
    if (command != 0x01) {  // only CONNECT: no BIND, no UDP ASSOCIATE
      co_await reply(client, kCommandNotSupported);
      co_return std::nullopt;
    }
    co_return std::make_pair(host, port);
  }

  net::awaitable<void> session(tcp::socket client) {
    auto target = co_await handshake(client);
    if (!target) co_return;
    const auto& [host, port] = *target;
    HostDecision decision = co_await decide(host);
    if (decision.unresolved) {  // Chromium's own traffic offline, or a typo: a failure, not a refusal
      co_await reply(client, kHostUnreachable);
      co_return;
    }
    if (decision.refusal) {
      report({fmt::format("{}:{}", host, port), *decision.refusal, "Connection"});
      co_await reply(client, kNotAllowed);
      co_return;
    }
    boost::beast::tcp_stream upstream(ioc);
    boost::system::error_code ec = net::error::host_unreachable;
    for (const auto& address : decision.addresses) {  // exactly the addresses that were checked
      upstream.expires_after(kConnectTimeout);
      std::tie(ec) = co_await upstream.async_connect(endpoint_of(address, port), kTuple);
      if (!ec) break;
    }
    if (ec) {
      co_await reply(client, ec == net::error::timed_out ? kGeneralFailure : kHostUnreachable);
      co_return;
    }
    upstream.expires_never();
    if (!co_await reply(client, kSucceeded)) co_return;
    co_await (pump(client, upstream.socket()) && pump(upstream.socket(), client));
  }

  // Asio's resolver runs getaddrinfo on its own thread, which the io_context joins when it ends.
  net::awaitable<HostDecision> decide(const std::string& host) {
    if (auto literal = http::IpAddress::parse(host)) co_return judge(policy, host, {*literal});
    tcp::resolver resolver(ioc);
    auto [ec, results] = co_await resolver.async_resolve(host, "", kTuple);
    if (ec) co_return HostDecision{fmt::format("{} does not resolve ({})", host, ec.message()), {}, true};
    std::vector<http::IpAddress> resolved;
    for (const auto& entry : results) {
      const auto address = entry.endpoint().address();
      if (auto parsed = http::IpAddress::parse(address.to_string())) resolved.push_back(*parsed);
    }
    co_return judge(policy, host, resolved);
  }

  void report(RefusedRequest refused) {
    std::lock_guard lock(mutex);
    if (sink) sink(std::move(refused));
  }
};

GuardProxy::GuardProxy(const http::OutboundPolicy& policy) {
  try {
    impl_ = std::make_unique<Impl>(policy);
  } catch (const boost::system::system_error& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("cannot start the outbound guard's proxy: {}", e.what()));
  }
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

GuardProxy::~GuardProxy() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t GuardProxy::port() const noexcept { return impl_->acceptor.local_endpoint().port(); }

void GuardProxy::set_sink(std::function<void(RefusedRequest)> sink) {
  std::lock_guard lock(impl_->mutex);
  impl_->sink = std::move(sink);
}

}  // namespace tyto::browser::detail
