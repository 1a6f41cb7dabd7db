// The OpenAPI document: public by default, behind authentication with auth.api_docs_public off.
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
}

TEST_CASE("With auth.api_docs_public off the document needs a credential", "[integration][docs]") {
  auto server = TytoProcess::serve({"--auth-api-docs-public", "false"});
  const auto port = server->port();
  for (const char* path : {"/api/v1/openapi.json"}) {
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
