// The whole route table, as `tyto serve` builds it.
#include "cli/platform.hpp"
#include "support/test_support.hpp"
#include "tyto/core/json_schema.hpp"
#include "tyto/http/openapi.hpp"
#include "tyto/modules/builtin.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

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

// Products that declare roles: one whose route requires its own role, one that declares the same name, and one
// whose route requires a role nobody declares.
struct TailorProduct final : Product {
  static constexpr std::string_view kName = "unit_tailoring";
  std::string_view name() const override { return kName; }
  std::vector<auth::ProductRole> roles() const override {
    return {{.name = "unit_route_tailor", .description = "Takes measurements", .product = "ignored"}};
  }
  void install(Services&, pipeline::StageRegistry&, http::Router& router) override {
    router.add(http::Method::kGet, "/api/v1/unit-tailoring/fittings",
               [](http::Request&) { return http::Response::no_content(); }, {.summary = "Fittings", .tag = "unit"},
               {.role = auth::Role::product("unit_route_tailor")});
  }
};

struct RivalTailorProduct final : Product {
  static constexpr std::string_view kName = "unit_rival";
  std::string_view name() const override { return kName; }
  std::vector<auth::ProductRole> roles() const override { return {{.name = "unit_route_tailor"}}; }
  void install(Services&, pipeline::StageRegistry&, http::Router&) override {}
};

struct UndeclaredRoleProduct final : Product {
  static constexpr std::string_view kName = "unit_undeclared";
  std::string_view name() const override { return kName; }
  void install(Services&, pipeline::StageRegistry&, http::Router& router) override {
    router.add(http::Method::kGet, "/api/v1/unit-undeclared",
               [](http::Request&) { return http::Response::no_content(); }, {.summary = "Nobody's", .tag = "unit"},
               {.role = auth::Role::product("unit_route_nobody")});
  }
};

template <class... Products>
std::unique_ptr<cli::Platform> make_platform_with(const test::TempDir& dir) {
  Config config;
  config.data_dir = dir.path().string();
  config.database.url = "sqlite:" + (dir.path() / "t.db").string();
  cli::Components components;
  components.module<modules::BuiltinModule>();
  (components.product<Products>(), ...);
  return std::make_unique<cli::Platform>(config, components);
}

}  // namespace

TEST_CASE("A product's roles are registered before its routes and listed in the OpenAPI document",
          "[routes][openapi][auth]") {
  test::TempDir dir;
  auto platform = make_platform_with<TailorProduct>(dir);
  const auto doc = http::build_openapi(platform->router(), "Tyto API", "test");
  const auto& op = doc["paths"]["/api/v1/unit-tailoring/fittings"]["get"];
  CHECK(op["x-tyto-role"] == "unit_route_tailor");
  bool listed = false;
  for (const auto& r : doc["x-tyto-roles"]) {
    if (r["name"] != "unit_route_tailor") continue;
    listed = true;
    CHECK(r["product"] == "unit_tailoring");  // the platform names the owner, whatever the product wrote
    CHECK(r["description"] == "Takes measurements");
  }
  CHECK(listed);
  // The platform's routes that take a role name accept the declared one.
  const auto& roles = doc["paths"]["/api/v1/invitations"]["post"]["requestBody"]["content"]["application/json"]
                         ["schema"]["properties"]["role"]["enum"];
  CHECK(std::find(roles.begin(), roles.end(), "unit_route_tailor") != roles.end());
}

TEST_CASE("Two products declaring one role name, or a route naming an undeclared role, stop start-up",
          "[routes][auth]") {
  {
    test::TempDir dir;
    try {
      make_platform_with<TailorProduct, RivalTailorProduct>(dir);
      FAIL("the clash was accepted");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("unit_route_tailor") != std::string::npos);
      CHECK(what.find("unit_tailoring") != std::string::npos);
      CHECK(what.find("unit_rival") != std::string::npos);
    }
  }
  {
    test::TempDir dir;
    try {
      make_platform_with<UndeclaredRoleProduct>(dir);
      FAIL("a route with an undeclared role was installed");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("unit_undeclared") != std::string::npos);
      CHECK(what.find("unit_route_nobody") != std::string::npos);
    }
  }
}

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
