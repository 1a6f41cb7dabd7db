#include "tyto/http/outbound_policy.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

using tyto::http::Cidr;
using tyto::http::IpAddress;
using tyto::http::OutboundPolicy;

namespace {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  REQUIRE(a);
  return *a;
}

}  // namespace

TEST_CASE("Outbound policy refuses private, loopback, link-local and other non-public addresses", "[outbound]") {
  OutboundPolicy policy;
  for (const char* refused : {"127.0.0.1",
                              "127.5.6.7",
                              "10.1.2.3",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "224.0.0.1",
                              "255.255.255.255",
                              "::1",
                              "::",
                              "fe80::1",
                              "fc00::1",
                              "fd12:3456::1",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1",
                              "64:ff9b::7f00:1",
                              "2002:7f00:1::",
                              "2001:db8::1",
                              "[::1]"}) {
    INFO(refused);
    CHECK_FALSE(policy.allowed(ip(refused)));
    CHECK(policy.refusal(ip(refused)).has_value());
  }
  for (const char* allowed : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111",
                              "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    INFO(allowed);
    CHECK(policy.allowed(ip(allowed)));
  }
  CHECK(*policy.refusal(ip("169.254.169.254")) == "link-local");
  CHECK(*policy.refusal(ip("::1")) == "loopback");
}

TEST_CASE("Outbound allowlist admits the listed ranges only", "[outbound]") {
  OutboundPolicy policy({"127.0.0.0/8", "fd00:1::/32", "10.1.2.3"});
  CHECK(policy.allowed(ip("127.0.0.1")));
  CHECK(policy.allowed(ip("fd00:1:2::3")));
  CHECK(policy.allowed(ip("10.1.2.3")));
  CHECK_FALSE(policy.allowed(ip("10.1.2.4")));
  CHECK_FALSE(policy.allowed(ip("::1")));
  CHECK_THROWS_AS(OutboundPolicy({"not-a-cidr"}), tyto::Error);
  CHECK_THROWS_AS(OutboundPolicy({"10.0.0.0/33"}), tyto::Error);
  CHECK_THROWS_AS(OutboundPolicy({"::/129"}), tyto::Error);
}

TEST_CASE("CIDRs parse both families and ignore host bits", "[outbound]") {
  auto c = Cidr::parse("10.1.2.3/8");
  REQUIRE(c);
  CHECK(c->contains(ip("10.200.0.1")));
  CHECK_FALSE(c->contains(ip("11.0.0.0")));
  CHECK(Cidr::parse("::/0")->contains(ip("8.8.8.8")));
  CHECK_FALSE(Cidr::parse("10.0.0.0/"));
  CHECK_FALSE(IpAddress::parse("999.1.1.1"));
  CHECK_FALSE(IpAddress::parse("example.com"));
  CHECK(ip("::ffff:1.2.3.4") == ip("1.2.3.4"));
  CHECK(ip("1.2.3.4").to_string() == "1.2.3.4");
  CHECK(ip("2001:db8::1").to_string() == "2001:db8::1");
}

TEST_CASE("Outbound resolution checks the resolved addresses, not the name", "[outbound]") {
  OutboundPolicy strict;
  // localhost resolves to loopback: refused, whatever the name looks like.
  CHECK_THROWS_MATCHES(
      strict.resolve("localhost"), tyto::Error,
      Catch::Predicate<tyto::Error>([](const tyto::Error& e) { return e.code() == tyto::ErrorCode::kForbidden; }));
  CHECK_THROWS_AS(strict.resolve("127.0.0.1"), tyto::Error);
  OutboundPolicy loopback({"127.0.0.0/8", "::1/128"});
  const auto addresses = loopback.resolve("localhost");
  REQUIRE_FALSE(addresses.empty());
  for (const auto& a : addresses) CHECK(loopback.allowed(a));
  CHECK_THROWS_AS(loopback.resolve("no-such-host.invalid"), tyto::Error);
}
