// The API reference for people: the OpenAPI document and the /docs page, public by default and behind
// authentication with auth.api_docs_public off.
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace tyto::test;
using nlohmann::json;

namespace {

const std::map<std::string, std::string> kNoCredential = {{"Authorization", ""}};

TytoProcess& default_server() {
  static auto server = TytoProcess::serve();
  return *server;
}

}  // namespace

TEST_CASE("The OpenAPI document is served without credentials by default", "[integration][docs]") {
  const auto port = default_server().port();
  auto res = request(port, "GET", "/api/v1/openapi.json", "", kNoCredential);
  REQUIRE(res.status == 200);
  CHECK(res.header("content-type") == "application/json");
  const auto doc = json::parse(res.body);
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["paths"]["/api/v1/openapi.json"]["get"]["security"].empty());
  CHECK(doc["paths"]["/docs"]["get"]["security"].empty());
  CHECK(json::parse(request(port, "GET", "/api/v1").body)["links"]["docs"] == "/docs");
}

TEST_CASE("GET /docs serves the reference page and its scripts and styles", "[integration][docs]") {
  const auto port = default_server().port();
  auto page = request(port, "GET", "/docs", "", kNoCredential);
  REQUIRE(page.status == 200);
  CHECK_THAT(page.header("content-type"), Catch::StartsWith("text/html"));
  const auto csp = page.header("content-security-policy");
  CHECK_THAT(csp, Catch::Contains("default-src 'self'"));
  CHECK_THAT(csp, !Catch::Contains("unsafe-inline"));
  CHECK_THAT(page.body, Catch::Contains("/docs/swagger-ui-bundle.js"));
  CHECK_THAT(page.body, Catch::Contains("/docs/init.js"));
  CHECK_THAT(page.body, !Catch::Contains("<script>"));  // the CSP allows no inline script
  CHECK(request(port, "GET", "/docs/", "", kNoCredential).status == 200);

  const std::pair<const char*, const char*> kAssets[] = {
      {"/docs/swagger-ui-bundle.js", "text/javascript"},
      {"/docs/init.js", "text/javascript"},
      {"/docs/swagger-ui.css", "text/css"},
      {"/docs/docs.css", "text/css"},
      {"/docs/swagger-ui-LICENSE.txt", "text/plain"},
      {"/docs/swagger-ui-NOTICE.txt", "text/plain"},
      {"/docs/swagger-ui-third-party.txt", "text/plain"},
  };
  for (const auto& [path, type] : kAssets) {
    INFO(path);
    auto res = request(port, "GET", path, "", kNoCredential);
    CHECK(res.status == 200);
    CHECK_THAT(res.header("content-type"), Catch::StartsWith(type));
    CHECK(res.header("x-content-type-options") == "nosniff");
    CHECK_FALSE(res.body.empty());
    CHECK(request(port, "GET", path, "", {{"Authorization", ""}, {"If-None-Match", res.header("etag")}}).status == 304);
  }
  CHECK_THAT(request(port, "GET", "/docs/swagger-ui-bundle.js", "", kNoCredential).body,
             Catch::Contains("SwaggerUIBundle"));
  CHECK_THAT(request(port, "GET", "/docs/swagger-ui-LICENSE.txt", "", kNoCredential).body,
             Catch::Contains("Apache License"));
  CHECK(request(port, "GET", "/docs/index.html", "", kNoCredential).status == 404);
  CHECK(request(port, "GET", "/docs/swagger-ui-bundle.js.map", "", kNoCredential).status == 404);
  CHECK(request(port, "GET", "/docs/..%2Fpackage.json", "", kNoCredential).status == 404);
}

TEST_CASE("With auth.api_docs_public off the document and the page need a credential", "[integration][docs]") {
  auto server = TytoProcess::serve({"--auth-api-docs-public", "false"});
  const auto port = server->port();
  for (const char* path : {"/api/v1/openapi.json", "/docs", "/docs/init.js", "/docs/swagger-ui-bundle.js"}) {
    INFO(path);
    auto anonymous = request(port, "GET", path, "", kNoCredential);
    CHECK(anonymous.status == 401);
    CHECK(anonymous.header("www-authenticate") == "Bearer");
    CHECK(request(port, "GET", path).status == 200);  // the admin key
  }
  const auto doc = json::parse(request(port, "GET", "/api/v1/openapi.json").body);
  CHECK_FALSE(doc["paths"]["/api/v1/openapi.json"]["get"]["security"].empty());
  CHECK(request(port, "GET", "/health", "", kNoCredential).status == 200);
}
