// The browser.render stage through a stand-in job context that keeps the objects it stores.
#include "browser/page_server.hpp"
#include "tyto/modules/browser.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using nlohmann::json;
using tyto::test::PageServer;

namespace {

class MemoryArtifacts final : public pipeline::Artifacts {
 public:
  std::map<std::string, std::pair<pipeline::NewArtifact, std::string>> objects;
  pipeline::Artifact put(const pipeline::NewArtifact& what, std::string_view bytes) override {
    const std::string id = "obj-" + std::to_string(objects.size() + 1);
    objects[id] = {what, std::string(bytes)};
    return {id, what.purpose, what.filename, what.content_type, bytes.size(), ""};
  }
  std::string get(std::string_view id, std::size_t) override { return objects.at(std::string(id)).second; }
  pipeline::Artifact stat(std::string_view) override { throw std::logic_error("unused"); }
};

class Context final : public pipeline::StageContext {
 public:
  MemoryArtifacts store;
  const std::string& job_id() const override { return id_; }
  const std::string& tenant_id() const override { return id_; }
  int attempt() const override { return 1; }
  void progress(double, std::string_view) override {}
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { throw std::logic_error("unused"); }
  pipeline::Artifacts& artifacts() override { return store; }

 private:
  std::string id_ = "t";
  pipeline::CancellationToken token_;
};

}  // namespace

TEST_CASE("browser.render stores the screenshot, DOM snapshot and accessibility tree as objects", "[browser]") {
  PageServer server;
  PageServer hidden("127.0.0.2");
  server.page("/page",
              "<!doctype html><title>Staged</title><h1>Hello</h1><img alt=\"\" src=\"" + hidden.url("/x.png") + "\">");
  modules::BrowserModule module({.pool_size = 1}, {"127.0.0.1/32"});
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  const pipeline::StageDef* stage = registry.find("browser.render");
  REQUIRE(stage);

  Context ctx;
  const json out = stage->run(ctx, {{"url", server.url("/page")}, {"viewport", {{"width", 640}, {"height", 480}}}});
  CHECK(out["title"] == "Staged");
  CHECK(out["status"] == 200);
  CHECK(out["screenshot"]["width"] == 640);
  CHECK(out["screenshot"]["height"] == 480);
  const auto& shot = ctx.store.objects.at(out["screenshot"]["object_id"].get<std::string>());
  CHECK(shot.first.purpose == "capture");
  CHECK(shot.first.content_type == "image/png");
  CHECK(shot.second.starts_with("\x89PNG"));
  const auto& dom = ctx.store.objects.at(out["dom_snapshot_object_id"].get<std::string>());
  CHECK(json::parse(dom.second).contains("documents"));
  const auto& ax = ctx.store.objects.at(out["ax_tree_object_id"].get<std::string>());
  CHECK(json::parse(ax.second).is_array());
  REQUIRE(out["refused"].size() == 1);
  CHECK(out["refused"][0]["url"] == hidden.url("/x.png"));
  CHECK(out["refused"][0]["reason"] == "127.0.0.2 is loopback");
  CHECK(hidden.total_hits() == 0);

  try {
    stage->run(ctx, {{"url", "file:///etc/passwd"}});
    FAIL("no error");
  } catch (const pipeline::StageError& e) {
    CHECK(e.code() == "validation_failed");
    CHECK_FALSE(e.retryable());
  }
}
