// The HTTP server in-process, with routes only tests need (slow handlers, a WebSocket echo).
#include "tyto/http/server.hpp"
#include "support/http_client.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/websocket.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <mutex>
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
  void start(http::Authenticator* authenticator = nullptr) {
    server = std::make_unique<http::Server>(config_, router, registry, authenticator);
    server->start();
  }
  HttpConfig config_;
  http::Router router;
  metrics::Registry registry;
  std::unique_ptr<http::Server> server;
};

// Callers known from memory ("Bearer cached"), known only from the "database" ("Bearer stored"), or not at
// all; counts every charge, so a request charged twice shows.
struct CountingAuthenticator : http::Authenticator {
  std::atomic<int> charged{0};
  std::atomic<int> from_database{0};

  static auth::Principal principal() {
    auth::Principal p;
    p.subject_id = "k1";
    p.tenant_id = "t1";
    p.role = auth::Role::kAdmin;
    return p;
  }
  static std::string token(const http::Request& req) {
    return std::string(req.headers.get("Authorization").value_or(""));
  }
  auth::Principal authenticate(const http::Request& req) override {
    if (token(req) != "Bearer cached" && token(req) != "Bearer stored") throw Error(ErrorCode::kUnauthorized, "no");
    ++from_database;
    return principal();
  }
  void admit(const http::Request&, const auth::Principal&) override { ++charged; }
  std::optional<auth::Principal> authenticate_cached(const http::Request& req) override {
    if (token(req) == "Bearer cached") return principal();
    return std::nullopt;
  }
  bool admit_cached(const http::Request&, const auth::Principal&) override {
    ++charged;
    return true;
  }
};

// A deferred route whose replies the test gives, from its own thread.
struct HeldReplies {
  std::mutex mutex;
  std::vector<http::DeferredReply> replies;
  std::atomic<std::thread::id> made_on;

  bool take(http::DeferredReply reply) {
    std::lock_guard lock(mutex);
    replies.push_back(std::move(reply));
    return true;
  }
  std::size_t held() {
    std::lock_guard lock(mutex);
    return replies.size();
  }
  void answer_all(const std::string& body) {
    std::vector<http::DeferredReply> taken;
    {
      std::lock_guard lock(mutex);
      taken.swap(replies);
    }
    for (auto& reply : taken) {
      reply([this, body] {
        made_on = std::this_thread::get_id();
        return http::Response::text(body);
      });
    }
  }
};

const std::map<std::string, std::string> kCached{{"Authorization", "Bearer cached"}};

void wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
}

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

TEST_CASE("A deferred route frees the I/O thread until another thread replies, and is charged once",
          "[server][deferred]") {
  TestServer s;
  s.config_.io_threads = 1;  // one I/O thread: a request waiting on it would hold every other
  CountingAuthenticator auth;
  HeldReplies held;
  std::atomic<int> pool_runs{0};
  s.router.add(http::Method::kPost, "/work",
               [&](http::Request&) {
                 ++pool_runs;
                 return http::Response::text("from the pool");
               },
               {},
               {.deferred = [&](http::Request&, http::DeferredReply reply) { return held.take(std::move(reply)); }});
  s.router.add(http::Method::kGet, "/quick", [](http::Request&) { return http::Response::text("q"); }, {},
               {.run_on = http::RunOn::kIoThread, .public_route = true});
  s.start(&auth);
  const auto port = s.server->port();

  test::Client waiting(port);
  waiting.send("POST /work HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cached\r\nContent-Length: 0\r\n\r\n");
  wait_for([&] { return held.held() == 1; });
  REQUIRE(held.held() == 1);
  CHECK(test::request(port, "GET", "/quick").body == "q");  // the I/O thread is not waiting for the reply

  std::atomic<std::thread::id> replier_id;
  std::thread replier([&] {
    replier_id = std::this_thread::get_id();
    held.answer_all("replied");
  });
  auto res = waiting.read_response(5s);
  replier.join();
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "replied");
  CHECK(held.made_on.load() != replier_id.load());  // made back on the connection's I/O thread
  CHECK(pool_runs.load() == 0);
  CHECK(auth.charged.load() == 1);
  CHECK(auth.from_database.load() == 0);
}

TEST_CASE("A deferred route that declines, a caller not in the caches and a refused caller take the usual path",
          "[server][deferred]") {
  TestServer s;
  CountingAuthenticator auth;
  std::atomic<int> pool_runs{0}, offered{0};
  s.router.add(http::Method::kPost, "/work",
               [&](http::Request& req) {
                 ++pool_runs;
                 return http::Response::text("pool:" + req.who().tenant_id);
               },
               {}, {.role = auth::Role::kAdmin, .deferred = [&](http::Request&, const http::DeferredReply&) {
                      ++offered;
                      return false;
                    }});
  s.start(&auth);
  const auto port = s.server->port();

  auto declined = test::request(port, "POST", "/work", "", kCached);
  CHECK(declined.body == "pool:t1");
  CHECK(offered.load() == 1);
  CHECK(auth.charged.load() == 1);  // charged on the I/O thread, not again on the pool

  auto stored = test::request(port, "POST", "/work", "", {{"Authorization", "Bearer stored"}});
  CHECK(stored.body == "pool:t1");
  CHECK(offered.load() == 1);  // not offered: the caches could not tell who called
  CHECK(auth.from_database.load() == 1);

  auto nobody = test::request(port, "POST", "/work", "", {{"Authorization", "Bearer wrong"}});
  CHECK(nobody.status == 401);
  CHECK(pool_runs.load() == 2);
}

TEST_CASE("A deferred route's errors get the envelope, and a reply dropped uncalled answers 500",
          "[server][deferred][errors]") {
  TestServer s;
  CountingAuthenticator auth;
  const auto deferred = [](http::Request& req, http::DeferredReply reply) {
    const auto what = std::string(req.param("what"));
    if (what == "throws") throw Error(ErrorCode::kConflict, "taken", {{"id", "x"}});
    if (what == "dropped") return true;  // keeps its word to reply, then breaks it
    std::thread([what, reply = std::move(reply)] {
      reply([what]() -> http::Response {
        if (what == "make-throws") throw Error(ErrorCode::kQuotaExceeded, "over");
        throw std::runtime_error("secret internal detail");
      });
    }).detach();
    return true;
  };
  s.router.add(http::Method::kPost, "/work/{what}", [](http::Request&) { return http::Response::text("pool"); }, {},
               {.deferred = deferred});
  s.start(&auth);
  const auto port = s.server->port();

  auto thrown = test::request(port, "POST", "/work/throws", "", kCached);
  CHECK(thrown.status == 409);
  CHECK(nlohmann::json::parse(thrown.body)["error"]["details"]["id"] == "x");
  auto made = test::request(port, "POST", "/work/make-throws", "", kCached);
  CHECK(made.status == 429);
  CHECK(nlohmann::json::parse(made.body)["error"]["code"] == "quota_exceeded");
  auto internal = test::request(port, "POST", "/work/internal", "", kCached);
  CHECK(internal.status == 500);
  CHECK(internal.body.find("secret") == std::string::npos);
  auto dropped = test::request(port, "POST", "/work/dropped", "", kCached);
  CHECK(dropped.status == 500);
  CHECK(nlohmann::json::parse(dropped.body)["error"]["code"] == "internal");
}

TEST_CASE("Server stop waits for the replies of deferred requests", "[server][deferred]") {
  HttpConfig config;
  config.shutdown_timeout = 100ms;  // the waiting connection is closed long before its reply comes
  TestServer s(config);
  CountingAuthenticator auth;
  HeldReplies held;
  s.router.add(http::Method::kPost, "/work", [](http::Request&) { return http::Response::text("pool"); }, {},
               {.deferred = [&](http::Request&, http::DeferredReply reply) { return held.take(std::move(reply)); }});
  s.start(&auth);

  test::Client waiting(s.server->port());
  waiting.send("POST /work HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cached\r\nContent-Length: 0\r\n\r\n");
  wait_for([&] { return held.held() == 1; });
  REQUIRE(held.held() == 1);
  std::atomic<bool> replied{false};
  std::thread replier([&] {
    std::this_thread::sleep_for(2500ms);  // after the server's own 2 s for closed connections to unwind
    replied = true;
    held.answer_all("late");
  });
  s.server->stop();
  CHECK(replied.load());
  replier.join();
  s.server.reset();  // the reply's completion ran on a loop the server still owned
}
