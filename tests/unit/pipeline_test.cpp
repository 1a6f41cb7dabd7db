#include "tyto/pipeline/pipeline.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/modules/builtin.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using nlohmann::json;

namespace {

pipeline::StageRegistry registry_with_test_stages() {
  pipeline::StageRegistry r;
  modules::BuiltinModule().register_stages(r);
  auto run = [](pipeline::StageContext&, const json& in) { return in; };
  r.add({"test.text", "", {{"type", "object"}}, {{"type", "string"}}, run});
  r.add({"test.needs_name", "", {{"type", "object"}, {"required", {"name"}}}, {{"type", "object"}}, run});
  r.add({"test.makes_name",
         "",
         {{"type", "object"}},
         {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}},
         run});
  return r;
}

pipeline::Pipeline parse(const json& d) {
  static const auto registry = registry_with_test_stages();
  return pipeline::parse_pipeline(d, registry, "test.json");
}

json stage(std::string id, std::string name, std::vector<std::string> after = {}) {
  return {{"id", id}, {"stage", name}, {"after", after}};
}

}  // namespace

TEST_CASE("A pipeline orders its stages so each runs after its dependencies", "[pipeline]") {
  auto p = parse(
      {{"name", "p"},
       {"version", 2},
       {"stages", {stage("c", "builtin.noop", {"b"}), stage("a", "builtin.noop"), stage("b", "builtin.noop", {"a"})}}});
  REQUIRE(p.stages.size() == 3);
  CHECK(p.stages[0].id == "a");
  CHECK(p.stages[1].id == "b");
  CHECK(p.stages[2].id == "c");
  CHECK(p.sinks() == std::vector<std::string>{"c"});
  CHECK(p.version == 2);
}

TEST_CASE("A pipeline passes outputs to the stages after them and returns the sink's output", "[pipeline]") {
  auto p = parse({{"name", "fan"},
                  {"version", 1},
                  {"stages",
                   {stage("a", "builtin.noop"), stage("b", "builtin.noop", {"a"}), stage("c", "builtin.noop", {"a"}),
                    stage("d", "builtin.noop", {"b", "c"})}}});
  std::map<std::string, json> outputs = {{"a", 1}, {"b", 2}, {"c", 3}};
  CHECK(p.stage_input(*p.stage("a"), {{"x", 0}}, outputs) == json{{"x", 0}});
  CHECK(p.stage_input(*p.stage("b"), {}, outputs) == 1);
  CHECK(p.stage_input(*p.stage("d"), {}, outputs) == json{{"b", 2}, {"c", 3}});
  outputs["d"] = "done";
  CHECK(p.result(outputs) == "done");
}

TEST_CASE("Pipeline validation refuses unknown stages, cycles and bad references", "[pipeline]") {
  CHECK_THROWS_WITH(parse({{"name", "p"}, {"version", 1}, {"stages", {stage("a", "nope.stage")}}}),
                    Catch::Contains("unknown stage type \"nope.stage\""));
  CHECK_THROWS_WITH(parse({{"name", "p"},
                           {"version", 1},
                           {"stages", {stage("a", "builtin.noop", {"b"}), stage("b", "builtin.noop", {"a"})}}}),
                    Catch::Contains("cycle"));
  CHECK_THROWS_WITH(parse({{"name", "p"}, {"version", 1}, {"stages", {stage("a", "builtin.noop", {"ghost"})}}}),
                    Catch::Contains("unknown stage \"ghost\""));
  CHECK_THROWS_WITH(
      parse({{"name", "p"}, {"version", 1}, {"stages", {stage("a", "builtin.noop"), stage("a", "builtin.noop")}}}),
      Catch::Contains("two stages have the id \"a\""));
  CHECK_THROWS_WITH(parse({{"name", "p"}, {"version", 0}, {"stages", {stage("a", "builtin.noop")}}}),
                    Catch::Contains("version"));
  CHECK_THROWS_WITH(parse({{"name", "bad name!"}, {"version", 1}, {"stages", {stage("a", "builtin.noop")}}}),
                    Catch::Contains("name"));
  CHECK_THROWS_WITH(parse({{"name", "p"}, {"version", 1}, {"stages", json::array()}}), Catch::Contains("stages"));
}

TEST_CASE("Pipeline validation refuses a stage output that cannot feed the next stage", "[pipeline]") {
  CHECK_THROWS_WITH(
      parse({{"name", "p"}, {"version", 1}, {"stages", {stage("t", "test.text"), stage("n", "builtin.sleep", {"t"})}}}),
      Catch::Contains("produces type string"));
  CHECK_THROWS_WITH(parse({{"name", "p"},
                           {"version", 1},
                           {"stages", {stage("a", "builtin.noop"), stage("n", "test.needs_name", {"a"})}}}),
                    Catch::Contains("\"name\""));
  CHECK_NOTHROW(parse({{"name", "p"},
                       {"version", 1},
                       {"stages", {stage("a", "test.makes_name"), stage("n", "test.needs_name", {"a"})}}}));
  CHECK_THROWS_WITH(parse({{"name", "p"},
                           {"version", 1},
                           {"input_schema", {{"type", "object"}, {"minimum", "x"}}},
                           {"stages", {stage("a", "builtin.noop")}}}),
                    Catch::Contains("input_schema"));
}

TEST_CASE("Stage registry refuses duplicates and malformed names", "[pipeline]") {
  pipeline::StageRegistry r;
  auto run = [](pipeline::StageContext&, const json& in) { return in; };
  r.add({"m.ok", "", json::object(), json::object(), run});
  CHECK_THROWS_AS(r.add({"m.ok", "", json::object(), json::object(), run}), std::logic_error);
  CHECK_THROWS_AS(r.add({"noprefix", "", json::object(), json::object(), run}), std::logic_error);
  CHECK_THROWS_AS(r.add({"m.norun", "", json::object(), json::object(), nullptr}), std::logic_error);
  CHECK(r.find("m.ok"));
  CHECK_FALSE(r.find("m.missing"));
}

TEST_CASE("Job states have stable names and only three are final", "[jobs]") {
  using jobs::JobState;
  for (auto s :
       {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    CHECK(jobs::parse_state(jobs::state_name(s)) == s);
  }
  CHECK_FALSE(jobs::parse_state("paused"));
  CHECK_FALSE(jobs::is_final(JobState::kQueued));
  CHECK_FALSE(jobs::is_final(JobState::kRunning));
  CHECK(jobs::is_final(JobState::kSucceeded));
  CHECK(jobs::is_final(JobState::kFailed));
  CHECK(jobs::is_final(JobState::kCancelled));
  CHECK(jobs::job_topic("abc") == "job:abc");
}
