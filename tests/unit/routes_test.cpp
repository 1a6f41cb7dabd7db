// The whole route table, as `tyto serve` builds it.
#include "cli/cli.hpp"
#include "support/test_support.hpp"
#include "tyto/http/openapi.hpp"

#include <catch2/catch.hpp>

using namespace tyto;

TEST_CASE("The OpenAPI document lists every route the server registers", "[routes][openapi]") {
  test::TempDir dir;
  auto db = storage::open_database({"sqlite:" + (dir.path() / "t.db").string()});
  metrics::Registry registry;
  http::Router router;
  Config config;
  cli::add_routes(router, config, {*db, storage::builtin_migrations(db->dialect()), registry});
  REQUIRE(router.routes().size() >= 8);

  const auto doc = http::build_openapi(router, "Tyto API", "test");
  for (const auto& route : router.routes()) {
    std::string method(http::method_name(route->method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    INFO(method << " " << route->pattern);
    const auto path = http::openapi_path(route->pattern);
    REQUIRE(doc["paths"].contains(path));
    CHECK(doc["paths"][path].contains(method));
    CHECK_FALSE(doc["paths"][path][method]["summary"].get<std::string>().empty());
  }
}
