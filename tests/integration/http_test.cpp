// The real `tyto serve`, spoken to over HTTP: endpoints, conventions and bad input.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "tyto/core/ids.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// One server for the cases that do not change its configuration.
TytoProcess& shared_server() {
  static auto server = TytoProcess::serve();
  return *server;
}

json error_of(const HttpResponse& res) {
  const auto body = json::parse(res.body);
  REQUIRE(body.contains("error"));
  REQUIRE(body["error"]["code"].is_string());
  REQUIRE(body["error"]["message"].is_string());
  REQUIRE(body["error"]["details"].is_object());
  return body["error"];
}

}  // namespace

TEST_CASE("GET /health answers ok with the version", "[integration][http]") {
  auto res = request(shared_server().port(), "GET", "/health");
  CHECK(res.status == 200);
  CHECK(res.header("content-type") == "application/json");
  const auto body = json::parse(res.body);
  CHECK(body["status"] == "ok");
  CHECK(body["version"].is_string());
  CHECK(tyto::is_uuid(res.header("x-request-id")));
}

TEST_CASE("HEAD /health sends the headers without a body", "[integration][http]") {
  auto res = request(shared_server().port(), "HEAD", "/health");
  CHECK(res.status == 200);
  CHECK(std::stoi(res.header("content-length")) > 0);
  CHECK(res.body.empty());
}

TEST_CASE("A well-formed X-Request-Id is echoed and a hostile one replaced", "[integration][http]") {
  const auto port = shared_server().port();
  CHECK(request(port, "GET", "/health", "", {{"X-Request-Id", "client-abc.123"}}).header("x-request-id") ==
        "client-abc.123");
  const auto replaced = request(port, "GET", "/health", "", {{"X-Request-Id", "bad id\"<script>"}});
  CHECK(tyto::is_uuid(replaced.header("x-request-id")));
}

TEST_CASE("GET /ready reports the database and migrations", "[integration][http]") {
  auto res = request(shared_server().port(), "GET", "/ready");
  CHECK(res.status == 200);
  const auto body = json::parse(res.body);
  CHECK(body["status"] == "ready");
  CHECK(body["checks"]["database"] == "ok");
  CHECK(body["checks"]["migrations"] == "current");
}

TEST_CASE("GET /metrics exposes HTTP, process and build metrics", "[integration][http]") {
  const auto port = shared_server().port();
  request(port, "GET", "/health");
  request(port, "GET", "/no/such/route");
  // A request is counted just after its response is written: allow the last one a moment.
  auto res = request(port, "GET", "/metrics");
  for (int i = 0; i < 100 && res.body.find("status=\"404\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    res = request(port, "GET", "/metrics");
  }
  CHECK(res.status == 200);
  CHECK_THAT(res.header("content-type"), Catch::StartsWith("text/plain; version=0.0.4"));
  for (const char* needle : {"tyto_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"}",
                             "tyto_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}",
                             "tyto_http_request_duration_seconds_bucket{route=\"/health\",method=\"GET\",le=\"0.001\"}",
                             "tyto_http_requests_in_flight", "process_resident_memory_bytes",
                             "process_cpu_seconds_total", "process_open_fds", "tyto_build_info{version="}) {
    CHECK_THAT(res.body, Catch::Contains(needle));
  }
}

TEST_CASE("GET / serves the console shell and its files", "[integration][http][console]") {
  const auto port = shared_server().port();
  auto index = request(port, "GET", "/");
  CHECK(index.status == 200);
  CHECK_THAT(index.header("content-type"), Catch::StartsWith("text/html"));
  CHECK_THAT(index.body, Catch::Contains("/console/app.js"));
  CHECK_THAT(index.header("content-security-policy"), Catch::Contains("default-src 'self'"));
  auto js = request(port, "GET", "/console/app.js");
  CHECK(js.status == 200);
  CHECK_THAT(js.header("content-type"), Catch::StartsWith("text/javascript"));
  CHECK(request(port, "GET", "/console/app.js", "", {{"If-None-Match", js.header("etag")}}).status == 304);
  CHECK(request(port, "GET", "/console/../../etc/passwd").status == 404);
  CHECK(request(port, "GET", "/console/%2e%2e/%2e%2e/etc/passwd").status == 404);
  CHECK(request(port, "GET", "/console/nothing.js").status == 404);
}

TEST_CASE("GET /api/v1 and the OpenAPI document describe the API", "[integration][http][openapi]") {
  const auto port = shared_server().port();
  auto index = json::parse(request(port, "GET", "/api/v1").body);
  CHECK(index["links"]["openapi"] == "/api/v1/openapi.json");
  auto res = request(port, "GET", "/api/v1/openapi.json");
  REQUIRE(res.status == 200);
  const auto doc = json::parse(res.body);
  CHECK(doc["openapi"] == "3.1.0");
  // Every documented operation is served: a request to it never meets "no such route".
  int operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) {
    const std::string concrete = std::regex_replace(path, std::regex("\\{[^}]+\\}"), "x");
    for (const auto& [method, op] : methods.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      auto r = request(port, upper, concrete, upper == "POST" ? "{}" : "");
      CHECK_FALSE((r.status == 404 && r.body.find("no such route") != std::string::npos));
      CHECK(r.status != 405);
      ++operations;
    }
  }
  CHECK(operations >= 7);
}

TEST_CASE("Unknown routes and wrong methods get 404 and 405 envelopes", "[integration][http][errors]") {
  const auto port = shared_server().port();
  auto missing = request(port, "GET", "/api/v1/nothing");
  CHECK(missing.status == 404);
  CHECK(error_of(missing)["code"] == "not_found");

  auto wrong = request(port, "DELETE", "/health");
  CHECK(wrong.status == 405);
  CHECK(error_of(wrong)["code"] == "method_not_allowed");
  CHECK_THAT(wrong.header("allow"), Catch::Contains("GET"));
}

TEST_CASE("Invalid JSON, wrong media types and invalid values get typed errors", "[integration][http][errors]") {
  const auto port = shared_server().port();
  const std::map<std::string, std::string> json_type = {{"Content-Type", "application/json"}};

  auto broken = request(port, "POST", "/api/v1/config/validate", "{\"config\": ", json_type);
  CHECK(broken.status == 400);
  CHECK(error_of(broken)["code"] == "invalid_json");

  auto xml = request(port, "POST", "/api/v1/config/validate", "<config/>", {{"Content-Type", "application/xml"}});
  CHECK(xml.status == 415);
  CHECK(error_of(xml)["code"] == "unsupported_media_type");

  auto invalid =
      request(port, "POST", "/api/v1/config/validate", R"({"config": {"http": {"io_threads": "many"}}})", json_type);
  CHECK(invalid.status == 422);
  const auto err = error_of(invalid);
  CHECK(err["code"] == "validation_failed");
  CHECK(err["details"]["fields"].contains("http.io_threads"));

  auto valid = request(port, "POST", "/api/v1/config/validate", R"({"config": {"listen": "0.0.0.0:80"}})", json_type);
  CHECK(valid.status == 200);
  CHECK(json::parse(valid.body)["valid"] == true);
}

TEST_CASE("A malformed request line gets 400 and the connection is closed", "[integration][http][errors]") {
  Client c(shared_server().port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(error_of(*res)["code"] == "bad_request");
  CHECK(c.closed_within(2s));
}

TEST_CASE("An oversize header gets 431 and the connection is closed", "[integration][http][errors]") {
  Client c(shared_server().port());
  c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->status == 431);
  CHECK(error_of(*res)["code"] == "header_too_large");
  CHECK(c.closed_within(2s));
}

TEST_CASE("An oversize body gets 413, declared or chunked", "[integration][http][errors]") {
  const auto port = shared_server().port();
  {
    Client c(port);
    c.send(
        "POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 10000000\r\n\r\n");
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(error_of(*res)["code"] == "payload_too_large");
    CHECK(c.closed_within(2s));
  }
  {
    Client c(port);
    std::string chunk(32 * 1024, ' ');
    std::string req =
        "POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) req += "8000\r\n" + chunk + "\r\n";
    c.try_send(req);
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 413);
  }
}

TEST_CASE("Keep-alive serves several requests on one connection", "[integration][http]") {
  Client c(shared_server().port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  // Pipelined: two requests in one write, two responses in order.
  c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.read_response()->status == 200);
  CHECK(c.read_response()->status == 404);
}

TEST_CASE("A client that connects and sends nothing is closed after the idle timeout", "[integration][http]") {
  auto server = TytoProcess::serve({"--http-idle-timeout-ms", "500", "--http-read-timeout-ms", "800"});
  Client silent(server->port());
  const auto start = std::chrono::steady_clock::now();
  CHECK(silent.closed_within(5s));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 400ms);

  // A client that starts a request and stalls is closed after the read timeout.
  Client slow(server->port());
  slow.send("GET /health HTTP/1.1\r\nHost: x\r\n");
  CHECK(slow.closed_within(5s));

  // The server is unharmed.
  CHECK(request(server->port(), "GET", "/health").status == 200);
}

TEST_CASE("Random garbage never crashes the server", "[integration][http][errors]") {
  auto& server = shared_server();
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    Client c(server.port());
    std::string junk(1 + rng() % 2048, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    if (i % 3 == 0) junk = "GET /" + junk + " HTTP/1.1\r\n\r\n";
    c.try_send(junk);
    c.read_response(200ms);
  }
  CHECK(server.running());
  CHECK(request(server.port(), "GET", "/health").status == 200);
}

TEST_CASE("SIGTERM stops the server gracefully with exit status 0", "[integration][http]") {
  auto server = TytoProcess::serve();
  CHECK(request(server->port(), "GET", "/health").status == 200);
  server->signal(SIGTERM);
  CHECK(server->wait() == 0);
  CHECK_THAT(server->stderr_text(), Catch::Contains("\"msg\":\"stopped\""));
}

TEST_CASE("Every log line is one JSON object, with one access-log line per request", "[integration][logging]") {
  auto server = TytoProcess::serve();
  request(server->port(), "GET", "/health", "", {{"X-Request-Id", "trace-me-1"}});
  server->signal(SIGTERM);
  REQUIRE(server->wait() == 0);
  std::istringstream lines(server->stderr_text());
  int access_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto entry = json::parse(line);  // throws (fails) if any line is not JSON
    CHECK(entry.contains("ts"));
    CHECK(entry.contains("level"));
    CHECK(entry.contains("msg"));
    if (entry["msg"] == "request" && entry["request_id"] == "trace-me-1") {
      ++access_lines;
      CHECK(entry["route"] == "/health");
      CHECK(entry["status"] == 200);
      CHECK(entry["duration_ms"].is_number());
    }
  }
  CHECK(access_lines == 1);
}
