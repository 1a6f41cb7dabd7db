#include "tyto/modules/builtin.hpp"

#include "tyto/pipeline/pipeline.hpp"

#include <fmt/format.h>

namespace tyto {
std::span<const EmbeddedFile> embedded_builtin_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;

json noop(pipeline::StageContext&, const json&) { return {{"ok", true}}; }

json sleep(pipeline::StageContext& ctx, const json& input) {
  const auto ms = input.value("ms", 1000);
  const auto steps = std::max(1, input.value("steps", 1));
  for (int i = 1; i <= steps; ++i) {
    const auto begin = static_cast<std::int64_t>(ms) * (i - 1) / steps;
    const auto end = static_cast<std::int64_t>(ms) * i / steps;
    if (!ctx.sleep_for(std::chrono::milliseconds(end - begin))) throw pipeline::Cancelled();
    ctx.progress(static_cast<double>(i) / steps, fmt::format("step {} of {}", i, steps));
  }
  json out = input.is_object() ? input : json::object();
  out["slept_ms"] = ms;
  return out;
}

json fail(pipeline::StageContext& ctx, const json& input) {
  const int times = input.value("times", 1);
  if (ctx.attempt() <= times) {
    const bool permanent = input.value("permanent", false);
    throw pipeline::StageError(
        "builtin_failure",
        input.value("message", fmt::format("failing attempt {} of {} on purpose", ctx.attempt(), times)), !permanent);
  }
  json out = input.is_object() ? input : json::object();
  out["attempt"] = ctx.attempt();
  return out;
}

}  // namespace

void BuiltinModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add({"builtin.noop",
                "Does nothing and succeeds",
                {{"type", "object"}},
                {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}},
                noop});
  registry.add({"builtin.sleep",
                "Sleeps `ms` milliseconds in `steps` steps, reporting progress after each",
                {{"type", "object"},
                 {"properties",
                  {{"ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 3600000}, {"default", 1000}}},
                   {"steps", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 1}}}}}},
                {{"type", "object"}, {"properties", {{"slept_ms", {{"type", "integer"}}}}}},
                sleep});
  registry.add({"builtin.fail",
                "Fails the first `times` attempts (retryable unless `permanent`), then succeeds",
                {{"type", "object"},
                 {"properties",
                  {{"times", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}, {"default", 1}}},
                   {"permanent", {{"type", "boolean"}, {"default", false}}},
                   {"message", {{"type", "string"}, {"maxLength", 500}}}}}},
                {{"type", "object"}, {"properties", {{"attempt", {{"type", "integer"}}}}}},
                fail});
}

std::vector<pipeline::PipelineFile> BuiltinModule::pipelines() const {
  return pipeline::pipeline_files(embedded_builtin_pipelines(), "modules/builtin/pipelines");
}

}  // namespace tyto::modules
