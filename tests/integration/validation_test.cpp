// Request bodies are checked by the router against each route's schema: a bad one is 422 validation_failed
// with details.fields naming every bad field, before the handler runs; the OpenAPI document shows the schemas.
#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace tyto::test;
using nlohmann::json;

namespace {

TytoProcess& shared_server() {
  static auto server = TytoProcess::serve();
  return *server;
}

// The details.fields of a 422 validation_failed answer.
json fields_of(const ApiResponse& res) {
  INFO(res.raw.body);
  REQUIRE(res.status == 422);
  REQUIRE(res.body["error"]["code"] == "validation_failed");
  return res.body["error"]["details"]["fields"];
}

}  // namespace

TEST_CASE("A body that does not match its route's schema is 422 naming each bad field", "[integration][validation]") {
  const auto port = shared_server().port();
  auto fields =
      fields_of(api(port, "POST", "/api/v1/api-keys", {{"name", 7}, {"role", "emperor"}, {"expires_in_s", 10}}));
  CHECK(fields.contains("name"));
  CHECK(fields.contains("role"));
  CHECK(fields.contains("expires_in_s"));

  fields = fields_of(api(port, "POST", "/api/v1/jobs", {{"pipeline", 5}, {"priority", "high"}, {"run_at", "soon"}}));
  CHECK(fields["pipeline"] == "expected string, got integer");
  CHECK(fields.contains("priority"));
  CHECK(fields.contains("run_at"));

  fields = fields_of(api(port, "POST", "/api/v1/webhooks", {{"event_types", "job.*"}}));
  CHECK(fields["url"] == "is required");
  CHECK(fields.contains("event_types"));

  fields = fields_of(api(port, "POST", "/api/v1/uploads", {{"filename", "a.csv"}, {"size", -1}}));
  CHECK(fields.contains("size"));
  CHECK(fields.contains("content_type"));
  CHECK(fields.contains("purpose"));

  CHECK(fields_of(api(port, "PATCH", "/api/v1/users/someone", json::object())).contains("role"));
  CHECK(fields_of(api(port, "POST", "/api/v1/jobs", json::array())) == json{{"(root)", "expected object, got array"}});
}

TEST_CASE("Nested fields are named by their dotted path", "[integration][validation]") {
  const auto port = shared_server().port();
  const json jobs = {{{"pipeline", "builtin.noop"}}, {{"pipeline", "builtin.noop"}}};
  // The batch checks each job on its own: the body's own schema only wants a list of 1 to 1,000 of them.
  CHECK(fields_of(api(port, "POST", "/api/v1/jobs/batch", {{"jobs", "all"}})).contains("jobs"));
  auto res = api(port, "POST", "/api/v1/jobs/batch", {{"jobs", {{{"pipeline", "builtin.noop"}}, {{"priority", 1}}}}});
  REQUIRE(res.status == 200);
  CHECK(res.body["results"][0]["status"] == 202);
  CHECK(res.body["results"][1]["status"] == 422);
  CHECK(res.body["results"][1]["error"]["details"]["fields"].contains("pipeline"));
  auto input = fields_of(api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.sleep"}, {"input", {{"ms", "x"}}}}));
  CHECK(input.contains("input.ms"));
}

TEST_CASE("A public route checks its body too, and an authenticated one only after authentication",
          "[integration][validation]") {
  const auto port = shared_server().port();
  const std::map<std::string, std::string> anonymous = {{"Authorization", ""}};
  auto fields = fields_of(api(port, "POST", "/api/v1/auth/login", {{"email", 1}}, anonymous));
  CHECK(fields.contains("email"));
  CHECK(fields["password"] == "is required");
  CHECK(api(port, "POST", "/api/v1/api-keys", {{"name", 7}}, anonymous).status == 401);
  CHECK(api(port, "PUT", "/api/v1/tenants/current/limits", {{"nonsense", 1}}).status == 403);  // admin, not superadmin
}

TEST_CASE("The OpenAPI document shows the schemas the router enforces", "[integration][validation][openapi]") {
  const auto doc = api(shared_server().port(), "GET", "/api/v1/openapi.json").body;
  const auto& create_key = doc["paths"]["/api/v1/api-keys"]["post"];
  const auto& schema = create_key["requestBody"]["content"]["application/json"]["schema"];
  CHECK(schema["required"] == json{"name"});
  CHECK(schema["properties"]["role"]["enum"].size() >= 4);
  CHECK(create_key["responses"].contains("422"));
  const auto& job = doc["paths"]["/api/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"];
  CHECK(job["properties"]["timeout_s"]["maximum"] == 7 * 86400);
  const auto& patch = doc["paths"]["/api/v1/webhooks/{id}"]["patch"]["requestBody"]["content"]["application/json"];
  CHECK(patch["schema"]["additionalProperties"] == false);
}
