// The guard's SOCKS5 proxy by itself, through a raw client: names are resolved by the proxy and refused
// when any address is, literal addresses are checked, and an allowed connection is relayed both ways.
#include "detail/guard_proxy.hpp"
#include "browser/page_server.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace tyto;
using namespace tyto::browser;

namespace {

struct Client {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ~Client() { ::close(fd); }

  bool connect_to(std::uint16_t port) {
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0;
  }
  void send_bytes(const std::string& bytes) {
    REQUIRE(::send(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  }
  std::string receive(std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      const ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  std::string receive_all() {
    std::string out;
    char buf[4096];
    for (ssize_t got; (got = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(got));
    return out;
  }

  // Greets the proxy and asks it to CONNECT to a domain name; returns the reply code.
  int connect_via(std::uint16_t proxy, const std::string& host, std::uint16_t port) {
    REQUIRE(connect_to(proxy));
    send_bytes(std::string("\x05\x01\x00", 3));
    REQUIRE(receive(2) == std::string("\x05\x00", 2));
    std::string request("\x05\x01\x00\x03", 4);
    request += static_cast<char>(host.size());
    request += host;
    request += static_cast<char>(port >> 8);
    request += static_cast<char>(port & 0xff);
    send_bytes(request);
    const std::string reply = receive(10);
    REQUIRE(reply.size() == 10);
    return static_cast<unsigned char>(reply[1]);
  }
};

}  // namespace

TEST_CASE("The guard's proxy refuses names and addresses the policy refuses, and relays the allowed ones",
          "[browser]") {
  test::PageServer server;
  server.page("/", "through the tunnel");
  const http::OutboundPolicy policy({"127.0.0.1/32"});
  detail::GuardProxy proxy(policy);
  std::vector<RefusedRequest> refused;
  std::mutex mutex;
  proxy.set_sink([&](RefusedRequest r) {
    std::lock_guard lock(mutex);
    refused.push_back(std::move(r));
  });
  const auto port = static_cast<std::uint16_t>(std::stoi(server.origin().substr(server.origin().rfind(':') + 1)));

  {  // the proxy resolves names itself: with nothing allowlisted, localhost is loopback and refused
    const http::OutboundPolicy strict;
    detail::GuardProxy strict_proxy(strict);
    strict_proxy.set_sink([&](RefusedRequest r) {
      std::lock_guard lock(mutex);
      refused.push_back(std::move(r));
    });
    Client client;
    CHECK(client.connect_via(strict_proxy.port(), "localhost", port) == 0x02);
  }
  {
    Client client;
    CHECK(client.connect_via(proxy.port(), "127.0.0.2", port) == 0x02);
  }
  {
    Client client;
    CHECK(client.connect_via(proxy.port(), "no-such-host.invalid", port) == 0x04);  // unreachable, not refused
  }
  {
    Client client;
    REQUIRE(client.connect_via(proxy.port(), "127.0.0.1", port) == 0x00);
    client.send_bytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(client.receive_all().find("through the tunnel") != std::string::npos);
  }
  CHECK(server.hits("/") == 1);
  std::lock_guard lock(mutex);
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].url == "localhost:" + std::to_string(port));
  CHECK(refused[0].reason.find("localhost resolves to") == 0);
  CHECK(refused[0].reason.find("loopback") != std::string::npos);
  CHECK(refused[1].reason == "127.0.0.2 is loopback");
  CHECK(refused[1].resource_type == "Connection");
}
