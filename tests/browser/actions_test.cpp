// Actions before the capture, as pa11y users write them: a login form, a cookie-protected page, headers.
#include "browser/page_server.hpp"
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

// /login (a form), POST /session (sets the cookie, 303 to /account), /account (only with the cookie).
void serve_login(PageServer& server) {
  server.page("/login", R"(<!doctype html><title>Login</title>
<form method="post" action="/session">
  <label>User <input id="user" name="user"></label>
  <label>Password <input id="password" name="password" type="password"></label>
  <button id="submit" type="submit">Sign in</button>
</form>)");
  server.route("/session", [](const PageRequest& r) {
    if (r.method != "POST" || r.body != "user=ada&password=secret")
      return PageResponse{.status = 303, .headers = {{"Location", "/login"}}};
    return PageResponse{.status = 303,
                        .headers = {{"Location", "/account"}, {"Set-Cookie", "session=ada-token; Path=/"}}};
  });
  server.route("/account", [](const PageRequest& r) {
    auto cookie = r.headers.find("cookie");
    if (cookie == r.headers.end() || cookie->second.find("session=ada-token") == std::string::npos)
      return PageResponse{.status = 302, .headers = {{"Location", "/login"}}};
    return PageResponse{.body = "<!doctype html><title>Account</title><h1 id=\"welcome\">Welcome, ada</h1>"};
  });
}

std::string welcome_text(const RenderResult& r) {
  for (const auto& e : dom_elements(r.dom_snapshot))
    if (e.attributes.count("id") && e.attributes.at("id") == "welcome") return e.text;
  return "";
}

}  // namespace

TEST_CASE("Actions log in through a form, and the capture is the logged-in page", "[browser]") {
  PageServer server;
  serve_login(server);
  Renderer renderer({.pool_size = 1}, loopback_policy());
  RenderRequest request{.url = server.url("/login")};
  request.actions = {{Action::Kind::kType, "#user", "ada"},
                     {Action::Kind::kType, "#password", "secret"},
                     {Action::Kind::kClick, "#submit"},
                     {Action::Kind::kWaitFor, "#welcome", "", std::chrono::seconds(10)}};
  const RenderResult r = renderer.render(request);
  CHECK(r.title == "Account");
  CHECK(r.final_url == server.url("/account"));
  CHECK(welcome_text(r) == "Welcome, ada");
  REQUIRE(server.requests("/session").size() == 1);
  CHECK(server.requests("/session")[0].body == "user=ada&password=secret");

  // Each render has a fresh browser context: the session cookie of the last one is gone.
  const RenderResult again = renderer.render({.url = server.url("/account")});
  CHECK(again.title == "Login");
}

TEST_CASE("A wait for a selector that never appears is a timeout, a click on nothing a validation error", "[browser]") {
  PageServer server;
  serve_login(server);
  Renderer renderer({.pool_size = 1}, loopback_policy());
  RenderRequest request{.url = server.url("/login")};
  request.actions = {{Action::Kind::kWaitFor, "#welcome", "", std::chrono::milliseconds(300)}};
  try {
    renderer.render(request);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kTimeout);
    CHECK(e.details().at("selector") == "#welcome");
  }
  request.actions = {{Action::Kind::kClick, "#nothing"}};
  try {
    renderer.render(request);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
  }
  CHECK(renderer.restarts() == 0);  // the browser was not at fault
}

TEST_CASE("Cookies and extra headers set before the load reach a protected page", "[browser]") {
  PageServer server;
  serve_login(server);
  server.route("/headers", [](const PageRequest& r) {
    auto h = r.headers.find("x-tyto-test");
    return PageResponse{.body = "<title>" + (h == r.headers.end() ? std::string("none") : h->second) + "</title>"};
  });
  Renderer renderer({.pool_size = 1}, loopback_policy());
  RenderRequest request{.url = server.url("/account")};
  request.cookies = {{.name = "session", .value = "ada-token"}};
  const RenderResult r = renderer.render(request);
  CHECK(r.title == "Account");
  CHECK(welcome_text(r) == "Welcome, ada");

  RenderRequest headers{.url = server.url("/headers")};
  headers.headers = {{"X-Tyto-Test", "hello"}};
  CHECK(renderer.render(headers).title == "hello");
}
