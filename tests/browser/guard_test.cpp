// The outbound guard on every request of a rendered page: subresources, redirects, frames, scripts'
// fetches and WebSockets to addresses the policy refuses are refused, reported, and never reach them.
// The page's own origin (127.0.0.1) is allowlisted; a second server on 127.0.0.2 (loopback, not
// allowlisted) stands for a private address and counts every request that reaches it.
#include "browser/page_server.hpp"
#include "detail/request_guard.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::browser;
using tyto::test::PageRequest;
using tyto::test::PageResponse;
using tyto::test::PageServer;

namespace {

const http::OutboundPolicy& loopback_policy() {
  static const http::OutboundPolicy policy({"127.0.0.1/32"});
  return policy;
}

const RefusedRequest* find(const std::vector<RefusedRequest>& refused, const std::string& url) {
  for (const auto& r : refused)
    if (r.url == url) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("The guard's decision: schemes, literal addresses and names", "[browser]") {
  const auto& policy = loopback_policy();
  using detail::refusal;
  CHECK_FALSE(refusal(policy, "http://127.0.0.1:8080/x"));
  CHECK_FALSE(refusal(policy, "data:text/plain,hi"));
  CHECK_FALSE(refusal(policy, "blob:http://127.0.0.1/uuid"));
  CHECK(refusal(policy, "http://127.0.0.2/").value() == "127.0.0.2 is loopback");
  CHECK(refusal(policy, "http://169.254.169.254/latest").value() == "169.254.169.254 is link-local");
  CHECK(refusal(policy, "http://10.255.255.1/x.png").value() == "10.255.255.1 is private");
  CHECK(refusal(policy, "http://[::1]/").value() == "::1 is loopback");
  CHECK(refusal(policy, "ftp://example.org/").value() == "scheme ftp is not allowed");
  CHECK(refusal(policy, "file:///etc/passwd").value() == "scheme file is not allowed");
  CHECK(refusal(policy, "ws://example.org/").value() == "scheme ws is not allowed");
  // A name that does not resolve is Chromium's failure, not a refusal (the proxy resolves it again).
  CHECK_FALSE(refusal(policy, "http://no-such-host.invalid/"));
  // localhost resolves to loopback addresses; 127.0.0.1 is allowed but ::1 (if listed) is not.
  const auto localhost = refusal(http::OutboundPolicy(), "http://localhost/");
  REQUIRE(localhost);
  CHECK(localhost->find("loopback") != std::string::npos);
}

TEST_CASE("A page's requests to refused addresses are refused, reported and never reach them", "[browser]") {
  PageServer page;
  PageServer hidden("127.0.0.2");
  hidden.page("/secret.png", "secret");
  hidden.page("/frame", "<title>internal</title>");
  hidden.page("/fetched", "secret");
  page.route("/redirect", [&](const PageRequest&) {
    return PageResponse{.status = 302, .headers = {{"Location", hidden.url("/redirected.png")}}};
  });
  page.page("/page", R"(<!doctype html><title>Guarded</title>
<img id="direct" src=")" +
                         hidden.url("/secret.png") + R"(">
<img id="metadata" src="http://169.254.169.254/latest/meta-data/">
<img id="hop" src="/redirect">
<iframe src=")" + hidden.url("/frame") +
                         R"("></iframe>
<script>
  fetch(')" + hidden.url("/fetched") +
                         R"(').catch(() => {});
  try { new WebSocket(')" +
                         "ws://127.0.0.2:" + hidden.origin().substr(hidden.origin().rfind(':') + 1) +
                         R"(/socket'); } catch (e) { document.title = 'Guarded: ' + e.name; }
</script>)");

  Renderer renderer({.pool_size = 1}, loopback_policy());
  const RenderResult r = renderer.render({.url = page.url("/page")});
  CHECK(r.title == "Guarded");
  CHECK(page.hits("/page") == 1);
  CHECK(page.hits("/redirect") == 1);  // the allowed hop was fetched; where it pointed was not
  CHECK(hidden.total_hits() == 0);

  const RefusedRequest* direct = find(r.refused, hidden.url("/secret.png"));
  REQUIRE(direct);
  CHECK(direct->reason == "127.0.0.2 is loopback");
  CHECK(direct->resource_type == "Image");
  const RefusedRequest* metadata = find(r.refused, "http://169.254.169.254/latest/meta-data/");
  REQUIRE(metadata);
  CHECK(metadata->reason == "169.254.169.254 is link-local");
  CHECK(find(r.refused, hidden.url("/redirected.png")));
  CHECK(find(r.refused, hidden.url("/frame")));
  CHECK(find(r.refused, hidden.url("/fetched")));
  // Fetch never sees WebSockets; the guard's proxy refused its connection.
  const RefusedRequest* socket = find(r.refused, hidden.origin().substr(7));
  REQUIRE(socket);
  CHECK(socket->resource_type == "Connection");
  CHECK(socket->reason == "127.0.0.2 is loopback");
}

TEST_CASE("A page whose own URL is refused is a forbidden error and is never fetched", "[browser]") {
  PageServer hidden("127.0.0.2");
  hidden.page("/", "<title>internal</title>");
  Renderer renderer({.pool_size = 1}, loopback_policy());
  try {
    renderer.render({.url = hidden.url("/")});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kForbidden);
    CHECK(e.details().at("reason") == "127.0.0.2 is loopback");
  }
  CHECK(hidden.total_hits() == 0);
}
