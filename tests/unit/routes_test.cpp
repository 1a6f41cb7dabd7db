// The whole route table, as `tyto serve` builds it.
#include "cli/platform.hpp"
#include "support/test_support.hpp"
#include "tyto/core/json_schema.hpp"
#include "tyto/http/openapi.hpp"
#include "tyto/modules/builtin.hpp"

#include <catch2/catch.hpp>

using namespace tyto;

namespace {

// The platform as `tyto serve` builds it, on a SQLite file in dir, not started.
std::unique_ptr<cli::Platform> make_platform(const test::TempDir& dir) {
  Config config;
  config.data_dir = dir.path().string();
  config.database.url = "sqlite:" + (dir.path() / "t.db").string();
  cli::Components components;
  components.module<modules::BuiltinModule>();
  return std::make_unique<cli::Platform>(config, components);
}

}  // namespace

TEST_CASE("The OpenAPI document lists every route the server registers", "[routes][openapi]") {
  test::TempDir dir;
  auto owned = make_platform(dir);
  auto& platform = *owned;
  const auto& routes = platform.router().routes();
  REQUIRE(routes.size() >= 15);

  const auto doc = http::build_openapi(platform.router(), "Tyto API", "test");
  for (const auto& route : routes) {
    std::string method(http::method_name(route->method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    INFO(method << " " << route->pattern);
    const auto path = http::openapi_path(route->pattern);
    REQUIRE(doc["paths"].contains(path));
    CHECK(doc["paths"][path].contains(method));
    CHECK_FALSE(doc["paths"][path][method]["summary"].get<std::string>().empty());
  }
}

TEST_CASE("Every request schema the router enforces is a usable schema of an object", "[routes][validation]") {
  test::TempDir dir;
  auto platform = make_platform(dir);
  int with_schema = 0;
  for (const auto& route : platform->router().routes()) {
    const auto& schema = route->doc.request_schema;
    if (schema.is_null()) continue;
    INFO(http::method_name(route->method) << " " << route->pattern);
    ++with_schema;
    CHECK(check_schema(schema).empty());
    CHECK(schema["type"] == "object");
    CHECK(route->handler);  // the router checks bodies of plain handlers only
  }
  CHECK(with_schema >= 15);
}

TEST_CASE("The built-in pipelines load and validate", "[routes][pipelines]") {
  test::TempDir dir;
  auto owned = make_platform(dir);
  auto& platform = *owned;
  for (const char* name : {"builtin.noop", "builtin.sleep", "builtin.fail", "builtin.chain"}) {
    INFO(name);
    CHECK(platform.pipelines().count(name) == 1);
  }
  CHECK(platform.pipelines().at("builtin.chain").stages.size() == 2);
}
