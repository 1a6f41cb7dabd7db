// browser.render as a job of the real server (SQLite, local objects): the pipeline the module ships, the
// screenshot downloaded as an object, and the outbound guard configured by outbound.allow.
#include "browser/page_server.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto::test;
using nlohmann::json;

TEST_CASE("A browser.render job stores the page's screenshot as an object of the tenant", "[browser]") {
  PageServer page;
  PageServer hidden("127.0.0.2");
  page.page("/", "<title>Job</title><h1>Rendered by a job</h1><img src=\"" + hidden.url("/x.png") + "\">");
  auto server = TytoProcess::serve({"--outbound-allow", "127.0.0.1/32", "--modules-browser-pool-size", "1"});
  const auto port = server->port();

  auto res = api(port, "POST", "/api/v1/jobs",
                 {{"pipeline", "browser.render"}, {"input", {{"url", page.url("/")}, {"viewport", {{"width", 500}}}}}});
  INFO(res.raw.body);
  REQUIRE(res.status == 202);
  const json job = wait_for_state(port, res.body["id"], "succeeded", std::chrono::seconds(60));
  const json& result = job["result"];
  CHECK(result["title"] == "Job");
  CHECK(result["screenshot"]["width"] == 500);
  REQUIRE(result["refused"].size() == 1);
  CHECK(result["refused"][0]["reason"] == "127.0.0.2 is loopback");
  CHECK(hidden.total_hits() == 0);

  const std::string object_id = result["screenshot"]["object_id"];
  auto meta = api(port, "GET", "/api/v1/objects/" + object_id);
  CHECK(meta.body["content_type"] == "image/png");
  CHECK(meta.body["purpose"] == "capture");
  auto png = api(port, "GET", "/api/v1/objects/" + object_id + "/content");
  CHECK(png.raw.body.starts_with("\x89PNG"));

  // A page on a refused address fails the job at once (no retry) with the stable code.
  res = api(port, "POST", "/api/v1/jobs", {{"pipeline", "browser.render"}, {"input", {{"url", hidden.url("/")}}}});
  REQUIRE(res.status == 202);
  const json failed = wait_for_state(port, res.body["id"], "failed", std::chrono::seconds(60));
  CHECK(failed.dump().find("forbidden") != std::string::npos);
  CHECK(failed["attempts"] == 1);
  CHECK(hidden.total_hits() == 0);

  const std::string metrics = request(port, "GET", "/metrics").body;
  CHECK(metrics.find("tyto_browser_renders_total{outcome=\"ok\"} 1") != std::string::npos);
  CHECK(metrics.find("tyto_browser_renders_total{outcome=\"forbidden\"} 1") != std::string::npos);
  CHECK(metrics.find("tyto_browser_refused_total 1") != std::string::npos);
}
