// Webhook building blocks without a database: signatures, secrets at rest, event matching, URLs,
// response excerpts.
#include "webhooks/detail/excerpt.hpp"

#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/webhooks/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace tyto;
using namespace tyto::webhooks;

namespace {

// HMAC-SHA256 straight from OpenSSL, as a receiver would compute it.
std::string independent_hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

template <class Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no tyto::Error thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("The signature header is t=<seconds>,v1=<hex HMAC-SHA256 of t.body>", "[webhooks][signing]") {
  const std::string secret = "whsec_0123456789abcdef";
  const std::string body = R"({"id":"d1","type":"webhook.ping"})";
  const auto header = signature_header(secret, 1700000000, body);
  // Computed with Python's hmac module.
  CHECK(header == "t=1700000000,v1=9c88f9c90ff7e20739cc6b64a0f1301d3962cf702a31bb422c7370f251ed06ff");
  CHECK(header == "t=1700000000,v1=" + independent_hmac_hex(secret, "1700000000." + body));

  const auto fresh = generate_secret();
  const auto another = signature_header(fresh, 1234, "{}");
  CHECK(std::regex_match(another, std::regex("t=1234,v1=[0-9a-f]{64}")));
  CHECK(another == "t=1234,v1=" + independent_hmac_hex(fresh, "1234.{}"));
}

TEST_CASE("A signature verifies only for its secret, its body and a recent time", "[webhooks][signing]") {
  const std::string secret = generate_secret();
  const std::string body = R"({"data":{"n":1}})";
  const auto header = signature_header(secret, 1000, body);
  CHECK(verify_signature(secret, header, body, 1000));
  CHECK(verify_signature(secret, header, body, 1299));
  CHECK_FALSE(verify_signature(secret, header, body, 1301));  // replayed too late
  CHECK_FALSE(verify_signature(secret, header, body, 699));
  CHECK_FALSE(verify_signature(secret, header, body + " ", 1000));
  CHECK_FALSE(verify_signature(generate_secret(), header, body, 1000));
  CHECK_FALSE(verify_signature(secret, "v1=" + header.substr(header.find("v1=") + 3), body, 1000));
  CHECK_FALSE(verify_signature(secret, "t=1000", body, 1000));
  CHECK_FALSE(verify_signature(secret, "", body, 1000));
  CHECK_FALSE(verify_signature(secret, "t=abc,v1=00", body, 1000));
  // Several v1 entries (a receiver during rotation): any may match.
  CHECK(verify_signature(secret, "t=1000,v1=" + std::string(64, '0') + "," + header.substr(7), body, 1000));
}

TEST_CASE("Signing secrets are whsec_ and 64 hex characters, never the same twice", "[webhooks][signing]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto s = generate_secret();
    CHECK(std::regex_match(s, std::regex("whsec_[0-9a-f]{64}")));
    seen.insert(s);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("Secrets sealed at rest open only under their key and unaltered", "[webhooks][signing]") {
  const SecretBox box(std::string(32, 'k'));
  const std::string secret = generate_secret();
  const auto sealed = box.seal(secret);
  CHECK(sealed.size() == 24 + 16 + secret.size());
  CHECK(sealed.find(secret) == std::string::npos);
  CHECK(box.open(sealed) == secret);
  CHECK(box.seal(secret) != sealed);  // a fresh nonce each time

  CHECK_THROWS_AS(SecretBox(std::string(32, 'x')).open(sealed), Error);
  std::string altered = sealed;
  altered.back() ^= 1;
  CHECK_THROWS_AS(box.open(altered), Error);
  CHECK_THROWS_AS(box.open(sealed.substr(0, 30)), Error);
  CHECK_THROWS_AS(SecretBox(std::string(31, 'k')), Error);
}

TEST_CASE("Endpoints receive the event types they subscribed to, families and * included", "[webhooks]") {
  CHECK(event_matches({"job.succeeded"}, "job.succeeded"));
  CHECK_FALSE(event_matches({"job.succeeded"}, "job.failed"));
  CHECK(event_matches({"job.*"}, "job.failed"));
  CHECK(event_matches({"job.*"}, "job.cancelled"));
  CHECK_FALSE(event_matches({"job.*"}, "object.created"));
  CHECK_FALSE(event_matches({"job.*"}, "jobs.x"));
  CHECK(event_matches({"*"}, "object.created"));
  CHECK(event_matches({"object.created", "job.failed"}, "job.failed"));
  CHECK_FALSE(event_matches({}, "job.failed"));

  for (const char* ok :
       {"job.succeeded", "job.failed", "job.cancelled", "object.created", "webhook.ping", "job.*", "object.*", "*"}) {
    CHECK(valid_event_pattern(ok));
  }
  for (const char* bad : {"", "job", "job.", "job.started", "jobs.*", "*.*", ".*", "JOB.SUCCEEDED"}) {
    INFO(bad);
    CHECK_FALSE(valid_event_pattern(bad));
  }
}

TEST_CASE("Event types a product emits can be subscribed to, alone or by family", "[unit][webhooks]") {
  const std::vector<std::string> more = {"brand.listing_flagged"};
  CHECK(valid_event_pattern("brand.listing_flagged", more));
  CHECK(valid_event_pattern("brand.*", more));
  CHECK(valid_event_pattern("job.*", more));
  CHECK_FALSE(valid_event_pattern("brand.listing_flagged"));
  CHECK_FALSE(valid_event_pattern("brand.listing_dismissed", more));
  CHECK_FALSE(valid_event_pattern("bran.*", more));
}

TEST_CASE("Outbound URLs must be plain http or https with a host", "[webhooks][outbound]") {
  auto u = http::parse_outbound_url("https://Example.COM/hooks/tyto?x=1#frag");
  CHECK(u.tls);
  CHECK(u.host == "example.com");
  CHECK(u.port == 443);
  CHECK(u.target == "/hooks/tyto?x=1");
  CHECK(u.authority() == "example.com");

  u = http::parse_outbound_url("http://127.0.0.1:8080");
  CHECK_FALSE(u.tls);
  CHECK(u.port == 8080);
  CHECK(u.target == "/");
  CHECK(u.authority() == "127.0.0.1:8080");

  u = http::parse_outbound_url("http://[::1]:9000/x");
  CHECK(u.host == "::1");
  CHECK(u.authority() == "[::1]:9000");

  u = http::parse_outbound_url("http://h?q");
  CHECK(u.target == "/?q");

  for (const char* bad : {"ftp://example.com/", "example.com", "http://", "http://user:pw@example.com/",
                          "http://example.com:0/", "http://example.com:70000/", "http://example.com:/",
                          "http://exa mple.com/", "http://example.com/\n", "http://[::1/", "http://[nothex]/"}) {
    INFO(bad);
    const auto e = error_of([&] { http::parse_outbound_url(bad); });
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(e.details()["fields"].contains("url"));
  }
  CHECK_THROWS(http::parse_outbound_url("http://example.com/" + std::string(2100, 'a')));
}

TEST_CASE("Response excerpts are at most 1 KiB of valid UTF-8 without control characters", "[webhooks]") {
  using detail::excerpt;
  CHECK(excerpt("ok") == "ok");
  CHECK(excerpt(std::string("a\0b\x01"
                            "c\n",
                            6)) == "abc\n");
  CHECK(excerpt("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(excerpt("bad \xff\xfe end") == "bad \xef\xbf\xbd\xef\xbf\xbd end");
  CHECK(excerpt("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate is not UTF-8
  CHECK(excerpt(std::string(5000, 'x')).size() == 1024);
  // A character that would straddle the limit is left out whole.
  const auto cut = excerpt(std::string(1023, 'x') + "\xc3\xa9");
  CHECK(cut == std::string(1023, 'x'));
}
