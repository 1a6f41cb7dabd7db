#include "tyto/http/router.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/openapi.hpp"

#include <catch2/catch.hpp>

#include <type_traits>

using namespace tyto::http;

namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response::text(name); };
}

std::string run(const Match& m) {
  Request req;
  return m.route->handler(req).body;
}

}  // namespace

TEST_CASE("Router matches literal paths and binds parameters", "[router]") {
  Router r;
  r.add(Method::kGet, "/api/v1/jobs", named("list"));
  r.add(Method::kGet, "/api/v1/jobs/{id}", named("get"));
  r.add(Method::kPost, "/api/v1/jobs/{id}/cancel", named("cancel"));
  r.add(Method::kPost, "/api/v1/jobs/batch", named("batch"));

  auto m = r.match(Method::kGet, "/api/v1/jobs");
  REQUIRE(m.route);
  CHECK(run(m) == "list");

  m = r.match(Method::kGet, "/api/v1/jobs/0190-abc");
  REQUIRE(m.route);
  CHECK(run(m) == "get");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0] == std::pair<std::string, std::string>{"id", "0190-abc"});

  m = r.match(Method::kPost, "/api/v1/jobs/batch");
  REQUIRE(m.route);
  CHECK(run(m) == "batch");  // a literal segment beats a parameter

  m = r.match(Method::kPost, "/api/v1/jobs/42/cancel");
  REQUIRE(m.route);
  CHECK(m.params[0].second == "42");
}

TEST_CASE("Router ignores one trailing slash and rejects empty segments", "[router]") {
  Router r;
  r.add(Method::kGet, "/api/v1", named("index"));
  r.add(Method::kGet, "/", named("root"));
  CHECK(r.match(Method::kGet, "/api/v1/").route);
  CHECK(r.match(Method::kGet, "/").route);
  CHECK_FALSE(r.match(Method::kGet, "/api//v1").route);
  CHECK_FALSE(r.match(Method::kGet, "api/v1").route);
}

TEST_CASE("Router reports the allowed methods when only the method is wrong", "[router]") {
  Router r;
  r.add(Method::kGet, "/things/{id}", named("get"));
  r.add(Method::kDelete, "/things/{id}", named("delete"));
  auto m = r.match(Method::kPost, "/things/1");
  CHECK_FALSE(m.route);
  CHECK(m.allowed == std::vector<Method>{Method::kGet, Method::kHead, Method::kDelete});

  auto unknown = r.match(Method::kGet, "/nothing/here");
  CHECK_FALSE(unknown.route);
  CHECK(unknown.allowed.empty());
}

TEST_CASE("Router serves HEAD with the GET route", "[router]") {
  Router r;
  r.add(Method::kGet, "/health", named("health"));
  auto m = r.match(Method::kHead, "/health");
  REQUIRE(m.route);
  CHECK(m.route->method == Method::kGet);
}

TEST_CASE("Router prefers a route added for HEAD itself over the GET route", "[router]") {
  Router r;
  r.add(Method::kGet, "/uploads/{id}", named("get"));
  r.add(Method::kHead, "/uploads/{id}", named("head"));
  r.add(Method::kPut, "/uploads/{id}", named("put"));
  auto m = r.match(Method::kHead, "/uploads/1");
  REQUIRE(m.route);
  CHECK(run(m) == "head");
  m = r.match(Method::kGet, "/uploads/1");
  REQUIRE(m.route);
  CHECK(run(m) == "get");
  CHECK(r.match(Method::kPost, "/uploads/1").allowed == std::vector<Method>{Method::kGet, Method::kHead, Method::kPut});
}

TEST_CASE("Router decodes each segment, keeping encoded slashes inside a parameter", "[router]") {
  Router r;
  r.add(Method::kGet, "/files/{name}", named("file"));
  auto m = r.match(Method::kGet, "/files/a%2Fb%20c");
  REQUIRE(m.route);
  CHECK(m.params[0].second == "a/b c");
  CHECK_FALSE(r.match(Method::kGet, "/files/bad%zz").route);
  CHECK_FALSE(r.match(Method::kGet, "/files/nul%00").route);
}

TEST_CASE("Router catch-all parameters take the rest of the path", "[router]") {
  Router r;
  r.add(Method::kGet, "/console/{path...}", named("asset"));
  r.add(Method::kGet, "/console/special", named("special"));
  auto m = r.match(Method::kGet, "/console/js/app.js");
  REQUIRE(m.route);
  CHECK(run(m) == "asset");
  CHECK(m.params[0].second == "js/app.js");
  CHECK(run(r.match(Method::kGet, "/console/special")) == "special");
  CHECK_FALSE(r.match(Method::kGet, "/console").route);
}

TEST_CASE("Router refuses duplicate and conflicting routes", "[router]") {
  Router r;
  r.add(Method::kGet, "/a/{id}", named("a"));
  CHECK_THROWS_AS(r.add(Method::kGet, "/a/{id}", named("again")), std::logic_error);
  CHECK_THROWS_AS(r.add(Method::kGet, "/a/{other}/x", named("conflict")), std::logic_error);
  CHECK_THROWS_AS(r.add(Method::kGet, "no-slash", named("bad")), std::logic_error);
  CHECK_THROWS_AS(r.add(Method::kGet, "/x/{rest...}/y", named("bad")), std::logic_error);
}

TEST_CASE("Request query parameters are percent-decoded", "[router]") {
  Request req;
  req.query_string = "state=queued&name=a%20b+c&flag&bad=%zz";
  CHECK(req.query("state") == "queued");
  CHECK(req.query("name") == "a b c");
  CHECK(req.query("flag") == "");
  CHECK_FALSE(req.query("missing"));
  CHECK_THROWS_AS(req.query("bad"), tyto::Error);
}

TEST_CASE("OpenAPI document lists every route with its parameters", "[router][openapi]") {
  Router r;
  r.add(Method::kGet, "/api/v1/things/{id}", named("get"), {"Get a thing", "things"});
  r.add(Method::kPost, "/api/v1/things", named("create"),
        {"Create a thing", "things", {{"type", "object"}}, {{"type", "object"}}, 201});
  r.add(Method::kGet, "/files/{path...}", named("file"));
  const auto doc = build_openapi(r, "Test", "1.0");
  CHECK(doc["openapi"] == "3.1.0");
  const auto& get = doc["paths"]["/api/v1/things/{id}"]["get"];
  CHECK(get["summary"] == "Get a thing");
  CHECK(get["parameters"][0]["name"] == "id");
  CHECK(get["responses"].contains("default"));
  const auto& post = doc["paths"]["/api/v1/things"]["post"];
  CHECK(post["requestBody"]["content"]["application/json"]["schema"]["type"] == "object");
  CHECK(post["responses"].contains("201"));
  CHECK(doc["paths"].contains("/files/{path}"));
}

namespace {

const nlohmann::json kThingSchema = {{"type", "object"},
                                     {"required", {"name"}},
                                     {"properties",
                                      {{"name", {{"type", "string"}, {"maxLength", 5}}},
                                       {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};

// The details.fields of the 422 that check_request_body throws for body on route, or null when it passes.
nlohmann::json fields_for(const Route& route, std::string body) {
  Request req;
  req.body = std::move(body);
  try {
    check_request_body(route, req);
    return nullptr;
  } catch (const tyto::Error& e) {
    REQUIRE(e.code() == tyto::ErrorCode::kValidationFailed);
    return e.details()["fields"];
  }
}

}  // namespace

TEST_CASE("The router checks a JSON body against the route's request schema and names each bad field",
          "[router][validation]") {
  Router r;
  const Route& route = r.add(Method::kPost, "/things", named("create"), {.request_schema = kThingSchema});
  CHECK(fields_for(route, R"({"name": "ok"})") == nullptr);
  CHECK(fields_for(route, R"({})") == nlohmann::json{{"name", "is required"}});
  CHECK(fields_for(route, R"({"name": "too long", "tags": ["a", 7]})") ==
        nlohmann::json{{"name", "must be at most 5 characters long"}, {"tags.1", "expected string, got integer"}});
  CHECK(fields_for(route, "[1]") == nlohmann::json{{"(root)", "expected object, got array"}});
}

TEST_CASE("A body the router checked is what the handler's json() returns", "[router][validation]") {
  Router r;
  const Route& route = r.add(Method::kPost, "/things", named("create"), {.request_schema = kThingSchema});
  Request req;
  req.body = R"({"name": "ok"})";
  check_request_body(route, req);
  REQUIRE(req.checked_body);
  req.body = "not JSON any more";
  CHECK(req.json() == nlohmann::json{{"name", "ok"}});
}

TEST_CASE("The router leaves bodies of routes without a schema to their handler", "[router][validation]") {
  Router r;
  const Route& route = r.add(Method::kPost, "/raw", named("raw"));
  Request req;
  req.body = "not JSON";
  CHECK_NOTHROW(check_request_body(route, req));
  CHECK_FALSE(req.checked_body);
}

TEST_CASE("A body that is not JSON is invalid_json, a non-JSON type 415, before any schema", "[router][validation]") {
  Router r;
  const Route& route = r.add(Method::kPost, "/things", named("create"), {.request_schema = kThingSchema});
  Request req;
  req.body = "{";
  try {
    check_request_body(route, req);
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kInvalidJson);
  }
  req.body = R"({"name": "ok"})";
  req.headers.set("Content-Type", "text/plain");
  try {
    check_request_body(route, req);
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kUnsupportedMediaType);
  }
}

TEST_CASE("A route's body_check adds what a schema cannot say to the same 422", "[router][validation]") {
  Router r;
  RouteOptions options{.body_check = [](const Request&, const nlohmann::json& body, nlohmann::json& fields) {
    if (body.contains("name") && body["name"] == "taken") fields["name"] = "is taken";
    if (body.contains("tags")) fields["tags"] = "are not for sale";
  }};
  const Route& route = r.add(Method::kPost, "/things", named("create"), {.request_schema = kThingSchema}, options);
  CHECK(fields_for(route, R"({"name": "fine"})") == nullptr);
  CHECK(fields_for(route, R"({"name": "taken"})") == nlohmann::json{{"name", "is taken"}});
  // It runs even when the schema failed, so one answer names every field.
  CHECK(fields_for(route, R"({"name": "far too long", "tags": [1]})") ==
        nlohmann::json{{"name", "must be at most 5 characters long"},
                       {"tags", "are not for sale"},
                       {"tags.0", "expected string, got integer"}});
}

TEST_CASE("An optional body may be empty and is then checked as {}", "[router][validation]") {
  Router r;
  const nlohmann::json schema = {{"type", "object"}, {"properties", {{"ttl", {{"type", "integer"}}}}}};
  const Route& route =
      r.add(Method::kPost, "/share", named("share"), {.request_schema = schema, .request_body_optional = true});
  Request req;
  check_request_body(route, req);
  CHECK(req.json() == nlohmann::json::object());
  CHECK(fields_for(route, R"({"ttl": "soon"})") == nlohmann::json{{"ttl", "expected integer, got string"}});
  const auto doc = build_openapi(r, "Test", "1.0");
  CHECK(doc["paths"]["/share"]["post"]["requestBody"]["required"] == false);
  CHECK(doc["paths"]["/share"]["post"]["responses"].contains("422"));
}

// A positional brace-init of RouteOptions ({true}, {RunOn::kIoThread, …}) does not compile.
static_assert(!std::is_constructible_v<RouteOptions, bool>);
static_assert(!std::is_constructible_v<RouteOptions, RunOn>);
static_assert(std::is_default_constructible_v<RouteOptions>);
