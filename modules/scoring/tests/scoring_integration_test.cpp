// The scoring.listing pipeline through the real binary on SQLite: the jobs API refuses input the stage's
// schema does not allow (422), and a submitted listing is scored by a job whose result explains itself.
#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

using namespace tyto::test;
using nlohmann::json;

namespace {

json input(const std::string& title) {
  return {{"brand",
           {{"name", "Rolex"},
            {"misspellings", {"rollex"}},
            {"keywords", {"submariner", "datejust"}},
            {"price_band", {{"min", 5000}, {"max", 60000}, {"currency", "USD"}}}}},
          {"listing",
           {{"title", title},
            {"price", 250},
            {"currency", "USD"},
            {"seller", {{"account_age_days", 3}}},
            {"image", {{"similarity", 0.97}}}}}};
}

}  // namespace

TEST_CASE("The scoring.listing pipeline scores a listing through the jobs API", "[scoring][integration]") {
  auto server = TytoProcess::serve();
  const auto pipelines = api(server->port(), "GET", "/api/v1/pipelines");
  REQUIRE(pipelines.status == 200);
  CHECK(pipelines.raw.body.find("\"scoring.listing\"") != std::string::npos);

  const auto refused = api(server->port(), "POST", "/api/v1/jobs",
                           {{"pipeline", "scoring.listing"}, {"input", {{"brand", {{"name", ""}}}}}});
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "validation_failed");
  CHECK(refused.body["error"]["details"]["fields"].contains("input.listing"));

  const auto submitted = api(server->port(), "POST", "/api/v1/jobs",
                             {{"pipeline", "scoring.listing"}, {"input", input("R0LEX Submariner 1:1 replica")}});
  INFO(submitted.raw.body);
  REQUIRE(submitted.status == 202);
  const json job = wait_for_state(server->port(), submitted.body["id"].get<std::string>(), "succeeded");
  const json& result = job["result"];
  CHECK(result["decision"] == "flag");
  CHECK(result["probability"].get<double>() > 0.95);
  CHECK(result["evidence"]["title_match"]["matched"] == "rolex");
  double sum = result["intercept"].get<double>();
  for (const auto& s : result["signals"]) sum += s["contribution"].get<double>();
  CHECK(result["logit"].get<double>() == Approx(sum));
}
