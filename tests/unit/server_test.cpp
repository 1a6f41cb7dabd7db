// The HTTP server in-process, with routes only tests need (slow handlers, a WebSocket echo).
#include "tyto/http/server.hpp"
#include "support/http_client.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/websocket.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>
#include <thread>

using namespace tyto;
using namespace std::chrono_literals;

namespace {

struct TestServer {
  explicit TestServer(HttpConfig config = {}) : config_(tune(config)) {}
  static HttpConfig tune(HttpConfig c) {
    c.port = 0;
    c.io_threads = 2;
    c.blocking_threads = 2;
    c.access_log = false;
    return c;
  }
  void start() {
    server = std::make_unique<http::Server>(config_, router, registry);
    server->start();
  }
  HttpConfig config_;
  http::Router router;
  metrics::Registry registry;
  std::unique_ptr<http::Server> server;
};

}  // namespace

TEST_CASE("Server runs blocking handlers off the I/O threads and quick ones on them", "[server]") {
  TestServer s;
  std::atomic<std::thread::id> blocking_thread, io_thread;
  s.router.add(http::Method::kGet, "/blocking", [&](http::Request&) {
    blocking_thread = std::this_thread::get_id();
    return http::Response::text("b");
  });
  s.router.add(http::Method::kGet, "/quick",
               [&](http::Request&) {
                 io_thread = std::this_thread::get_id();
                 return http::Response::text("q");
               },
               {}, {.run_on = http::RunOn::kIoThread});
  s.start();
  CHECK(test::request(s.server->port(), "GET", "/blocking").body == "b");
  CHECK(test::request(s.server->port(), "GET", "/quick").body == "q");
  CHECK(blocking_thread.load() != io_thread.load());
}

TEST_CASE("Server lets in-flight requests finish on shutdown and refuses new connections", "[server]") {
  HttpConfig config;
  config.shutdown_timeout = 5s;
  TestServer s(config);
  std::promise<void> entered;
  s.router.add(http::Method::kGet, "/slow", [&](http::Request&) {
    entered.set_value();
    std::this_thread::sleep_for(500ms);
    return http::Response::text("finished");
  });
  s.start();
  const auto port = s.server->port();

  test::Client idle(port);  // an idle keep-alive connection: closed at once on shutdown
  test::Client busy(port);
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();
  auto stopper = std::async(std::launch::async, [&] { s.server->stop(); });

  auto res = busy.read_response(5s);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "finished");
  CHECK(res->header("connection") == "close");
  CHECK(idle.closed_within(2s));
  stopper.get();
  CHECK(s.server->open_connections() == 0);
}

TEST_CASE("Server closes connections still busy at the shutdown deadline", "[server]") {
  HttpConfig config;
  config.shutdown_timeout = 200ms;
  TestServer s(config);
  std::promise<void> entered;
  s.router.add(http::Method::kGet, "/stuck", [&](http::Request&) {
    entered.set_value();
    std::this_thread::sleep_for(1500ms);
    return http::Response::text("late");
  });
  s.start();
  test::Client busy(s.server->port());
  busy.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  s.server->stop();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(busy.closed_within(1s));
}

TEST_CASE("Server upgrades WebSocket routes and exchanges messages", "[server][websocket]") {
  TestServer s;
  s.router.websocket("/ws/echo", [](http::Request& req, http::WebSocket& ws) -> boost::asio::awaitable<void> {
    const std::string hello = nlohmann::json{{"type", "hello"}, {"request_id", req.request_id}}.dump();
    const std::string prefix = "echo:", bye = "bye", done = "done";
    co_await ws.send(hello);
    while (auto msg = co_await ws.receive()) {
      if (*msg == bye) break;
      const std::string reply = prefix + *msg;
      co_await ws.send(reply);
    }
    co_await ws.close(1000, done);
  });
  s.start();

  test::Client c(s.server->port());
  REQUIRE(c.websocket_upgrade("/ws/echo"));
  auto hello = c.websocket_read_text();
  REQUIRE(hello);
  CHECK(nlohmann::json::parse(*hello)["type"] == "hello");
  c.websocket_send_text("ping 1");
  CHECK(c.websocket_read_text() == "echo:ping 1");
  c.websocket_send_text(std::string(1000, 'x'));
  CHECK(c.websocket_read_text() == "echo:" + std::string(1000, 'x'));
  c.websocket_send_text("bye");
  CHECK_FALSE(c.websocket_read_text());  // close frame

  // The same route without an upgrade is a client error, not a crash.
  CHECK(test::request(s.server->port(), "GET", "/ws/echo").status == 400);
}

TEST_CASE("Server answers CORS preflights only for allowed origins", "[server][cors]") {
  HttpConfig config;
  config.cors_allowed_origins = {"https://console.example"};
  TestServer s(config);
  s.router.add(http::Method::kPost, "/api/things", [](http::Request&) { return http::Response::json({{"ok", true}}); });
  s.start();
  const auto port = s.server->port();

  auto ok = test::request(port, "OPTIONS", "/api/things", "",
                          {{"Origin", "https://console.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(ok.status == 204);
  CHECK(ok.header("access-control-allow-origin") == "https://console.example");
  CHECK_THAT(ok.header("access-control-allow-methods"), Catch::Contains("POST"));

  auto denied = test::request(port, "OPTIONS", "/api/things", "",
                              {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(denied.header("access-control-allow-origin").empty());

  auto actual = test::request(port, "POST", "/api/things", "", {{"Origin", "https://console.example"}});
  CHECK(actual.status == 200);
  CHECK(actual.header("access-control-allow-origin") == "https://console.example");
  CHECK(actual.header("vary") == "Origin");
}

TEST_CASE("Server maps handler exceptions to the envelope without leaking internals", "[server][errors]") {
  TestServer s;
  s.router.add(http::Method::kGet, "/boom",
               [](http::Request&) -> http::Response { throw std::runtime_error("secret internal detail"); });
  s.router.add(http::Method::kGet, "/conflict", [](http::Request&) -> http::Response {
    throw Error(ErrorCode::kConflict, "already exists", {{"id", "x"}});
  });
  s.start();
  auto boom = test::request(s.server->port(), "GET", "/boom");
  CHECK(boom.status == 500);
  CHECK(nlohmann::json::parse(boom.body)["error"]["code"] == "internal");
  CHECK(boom.body.find("secret") == std::string::npos);
  auto conflict = test::request(s.server->port(), "GET", "/conflict");
  CHECK(conflict.status == 409);
  CHECK(nlohmann::json::parse(conflict.body)["error"]["details"]["id"] == "x");
}

TEST_CASE("Server counts requests per route and status in its metrics", "[server][metrics]") {
  TestServer s;
  s.router.add(http::Method::kGet, "/items/{id}", [](http::Request&) { return http::Response::text("i"); });
  s.start();
  for (int i = 0; i < 3; ++i) test::request(s.server->port(), "GET", "/items/" + std::to_string(i));
  test::request(s.server->port(), "GET", "/nowhere");
  // Requests are counted just after their response is written: give the last one a moment.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = s.registry.render();
    if (text.find("status=\"404\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK_THAT(text, Catch::Contains("tyto_http_requests_total{route=\"/items/{id}\",method=\"GET\",status=\"200\"} 3"));
  CHECK_THAT(text, Catch::Contains("tyto_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1"));
  CHECK_THAT(text, Catch::Contains("tyto_http_request_duration_seconds_count{route=\"/items/{id}\",method=\"GET\"} 3"));
}
