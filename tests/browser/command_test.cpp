// `tyto render` from the real binary.
#include "browser/page_server.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace tyto::test;

TEST_CASE("tyto render writes the screenshot, DOM snapshot, accessibility tree and result of a page", "[browser]") {
  PageServer server;
  server.page("/", "<title>Command</title><h1>Hello</h1><img src=\"http://169.254.169.254/x.png\">");
  TempDir dir;
  const auto out = dir.path() / "render";
  const RunResult r = run_tyto({"render", server.url("/"), "--out", out.string(), "--allow", "127.0.0.1/32", "--width",
                                "640", "--height", "400"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto result = nlohmann::json::parse(read_file(out / "result.json"));
  CHECK(result["title"] == "Command");
  CHECK(result["width"] == 640);
  CHECK(result["height"] == 400);
  REQUIRE(result["refused"].size() == 1);
  CHECK(result["refused"][0]["reason"] == "169.254.169.254 is link-local");
  CHECK(read_file(out / "screenshot.png").starts_with("\x89PNG"));
  CHECK(nlohmann::json::parse(read_file(out / "dom-snapshot.json")).contains("documents"));
  CHECK(nlohmann::json::parse(read_file(out / "accessibility-tree.json")).is_array());

  // Without the allowlist the page itself is loopback: refused, exit status 1.
  const RunResult refused = run_tyto({"render", server.url("/"), "--out", (dir.path() / "x").string()});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("loopback") != std::string::npos);
  CHECK(run_tyto({"render", "--out"}).status == 2);
}
