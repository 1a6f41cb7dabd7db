#include "http/detail/connection_limits.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <vector>

using tyto::http::detail::ConnectionLimiter;
using Verdict = ConnectionLimiter::Verdict;
namespace ip = boost::asio::ip;

TEST_CASE("ConnectionLimiter serves up to its limit, then monitoring only, then refuses", "[http][limits]") {
  ConnectionLimiter limiter(2, 0);
  const auto a = ip::make_address("10.0.0.1");
  std::vector<ConnectionLimiter::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto [verdict, ticket] = limiter.admit(a);
    CHECK(verdict == Verdict::kServe);
    held.push_back(std::move(ticket));
  }
  for (std::size_t i = 0; i < ConnectionLimiter::kMonitoringReserve; ++i) {
    auto [verdict, ticket] = limiter.admit(a);
    CHECK(verdict == Verdict::kMonitoringOnly);
    held.push_back(std::move(ticket));
  }
  CHECK(limiter.admit(a).verdict == Verdict::kRefuseServer);
  CHECK(limiter.open() == 2 + ConnectionLimiter::kMonitoringReserve);
  held.clear();
  CHECK(limiter.open() == 0);
  CHECK(limiter.admit(a).verdict == Verdict::kServe);
}

TEST_CASE("ConnectionLimiter counts each address (an IPv6 /64) on its own", "[http][limits]") {
  ConnectionLimiter limiter(100, 2);
  const auto a = ip::make_address("192.0.2.1");
  const auto a_mapped = ip::make_address("::ffff:192.0.2.1");
  const auto b = ip::make_address("192.0.2.2");
  auto t1 = limiter.admit(a);
  auto t2 = limiter.admit(a_mapped);  // the same client over an IPv6 socket
  CHECK(t1.verdict == Verdict::kServe);
  CHECK(t2.verdict == Verdict::kServe);
  CHECK(limiter.admit(a).verdict == Verdict::kRefuseAddress);
  CHECK(limiter.admit(b).verdict == Verdict::kServe);

  auto v6a = limiter.admit(ip::make_address("2001:db8:1:2::1"));
  auto v6b = limiter.admit(ip::make_address("2001:db8:1:2:ffff::9"));
  CHECK(limiter.admit(ip::make_address("2001:db8:1:2::77")).verdict == Verdict::kRefuseAddress);
  CHECK(limiter.admit(ip::make_address("2001:db8:1:3::1")).verdict == Verdict::kServe);

  { auto released = std::move(t1.ticket); }
  CHECK(limiter.admit(a).verdict == Verdict::kServe);
}

TEST_CASE("The automatic connection limit leaves room for files and the database", "[http][limits]") {
  using tyto::http::detail::automatic_max_connections;
  CHECK(automatic_max_connections(1 << 20) > 900'000);
  CHECK(automatic_max_connections(1 << 20) < (1 << 20));
  CHECK(automatic_max_connections(20000) <= 20000 - 2000);
  CHECK(automatic_max_connections(1024) < 1024 - 128);
  CHECK(automatic_max_connections(10) == 16);
}

TEST_CASE("The overloaded answer is a 503 envelope with Retry-After", "[http][limits]") {
  const auto raw = tyto::http::detail::overloaded_http_response("connections");
  CHECK(raw.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(raw.find("\r\nRetry-After: 1\r\n") != std::string::npos);
  CHECK(raw.find("\r\nConnection: close\r\n") != std::string::npos);
  const auto body = nlohmann::json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
  CHECK(body["error"]["code"] == "overloaded");
  CHECK(body["error"]["details"]["limit"] == "connections");
  const auto res = tyto::http::detail::overloaded_response("connections_per_address");
  CHECK(res.status == 503);
  CHECK(res.headers.get("Retry-After") == "1");
}
