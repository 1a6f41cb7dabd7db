#include "tyto/modules/browser.hpp"

#include "cli/components.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <unistd.h>

namespace tyto {
std::span<const EmbeddedFile> embedded_browser_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;

json output_schema() {
  return {{"type", "object"},
          {"required", {"url", "final_url", "title", "status", "refused"}},
          {"properties",
           {{"url", {{"type", "string"}}},
            {"final_url", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"status", {{"type", "integer"}}},
            {"network_idle", {{"type", "boolean"}}},
            {"content_width", {{"type", "number"}}},
            {"content_height", {{"type", "number"}}},
            {"device_scale_factor", {{"type", "number"}}},
            {"screenshot",
             {{"type", {"object", "null"}},
              {"properties",
               {{"object_id", {{"type", "string"}}},
                {"width", {{"type", "integer"}}},
                {"height", {{"type", "integer"}}}}}}},
            {"dom_snapshot_object_id", {{"type", {"string", "null"}}}},
            {"ax_tree_object_id", {{"type", {"string", "null"}}}},
            {"refused",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"url", {{"type", "string"}}},
                  {"reason", {{"type", "string"}}},
                  {"resource_type", {{"type", "string"}}}}}}}}},
            {"elapsed_ms", {{"type", "integer"}}}}}};
}

template <class T>
T option_or(const Config& config, const char* key, T fallback) {
  const json& value = config.option(key);
  return value.is_null() ? fallback : value.get<T>();
}

}  // namespace

std::vector<ComponentOption> BrowserModule::options() {
  return {{"pool_size", "integer", 2, "Headless Chromium processes kept for rendering pages (renders at once)"},
          {"executable", "string", browser::RendererOptions{}.executable,
           "The Chromium binary: Debian's headless shell (package chromium-headless-shell) or /usr/bin/chromium"},
          {"acquire_timeout_ms", "duration_ms", 60'000, "Longest a render waits for a free browser"},
          {"command_timeout_ms", "duration_ms", 15'000,
           "Longest a DevTools command may take before the browser counts as hung and is restarted"},
          {"sandbox", "boolean", true,
           "Chromium's own sandbox; false passes --no-sandbox, for containers whose seccomp profile refuses the "
           "user namespaces it needs (the image does, and the container is then the isolation)"}};
}

BrowserModule::BrowserModule(const cli::ModuleServices& services) {
  const Config& config = services.config;
  options_.pool_size = std::max(1, option_or<int>(config, "modules.browser.pool_size", 2));
  options_.executable =
      option_or<std::string>(config, "modules.browser.executable", browser::RendererOptions{}.executable);
  options_.acquire_timeout =
      std::chrono::milliseconds(option_or<int>(config, "modules.browser.acquire_timeout_ms", 60'000));
  options_.command_timeout =
      std::chrono::milliseconds(option_or<int>(config, "modules.browser.command_timeout_ms", 15'000));
  // As root Chromium has no sandbox anyway (ChromiumProcess passes --no-sandbox itself).
  if (!option_or<bool>(config, "modules.browser.sandbox", true) && ::geteuid() != 0) {
    options_.extra_args.push_back("--no-sandbox");
  }
  policy_ = std::make_unique<http::OutboundPolicy>(config.outbound.allow);
  metrics_ = &services.metrics;
}

BrowserModule::BrowserModule(browser::RendererOptions options, const std::vector<std::string>& allow)
    : options_(std::move(options)), policy_(std::make_unique<http::OutboundPolicy>(allow)) {}

BrowserModule::~BrowserModule() = default;

browser::Renderer& BrowserModule::renderer() {
  std::lock_guard lock(mutex_);
  if (!renderer_) renderer_ = std::make_unique<browser::Renderer>(options_, *policy_);
  return *renderer_;
}

void BrowserModule::stop() {
  std::lock_guard lock(mutex_);
  renderer_.reset();
}

json BrowserModule::render(pipeline::StageContext& ctx, const json& input) {
  ctx.check_cancelled();
  browser::RenderResult result;
  try {
    result = renderer().render(browser::render_request_from_json(input));
    count("ok", &result);
  } catch (const Error& e) {
    count(error_code_name(e.code()), nullptr);
    const bool retryable = e.code() == ErrorCode::kUnavailable || e.code() == ErrorCode::kTimeout;
    throw pipeline::StageError(std::string(error_code_name(e.code())), e.what(), retryable);
  }
  ctx.check_cancelled();
  json out = {{"url", result.url},
              {"final_url", result.final_url},
              {"title", result.title},
              {"status", result.status},
              {"network_idle", result.network_idle},
              {"content_width", result.content_width},
              {"content_height", result.content_height},
              {"device_scale_factor", result.device_scale_factor},
              {"screenshot", nullptr},
              {"dom_snapshot_object_id", nullptr},
              {"ax_tree_object_id", nullptr},
              {"refused", json::array()},
              {"elapsed_ms", result.elapsed.count()}};
  for (const auto& r : result.refused) out["refused"].push_back(browser::to_json(r));
  if (!result.screenshot_png.empty()) {
    const auto stored = ctx.artifacts().put({"capture", "screenshot.png", "image/png"}, result.screenshot_png);
    out["screenshot"] = {
        {"object_id", stored.id}, {"width", result.screenshot_width}, {"height", result.screenshot_height}};
  }
  if (!result.dom_snapshot.is_null())
    out["dom_snapshot_object_id"] =
        ctx.artifacts().put({"document", "dom-snapshot.json", "application/json"}, result.dom_snapshot.dump()).id;
  if (!result.ax_tree.is_null())
    out["ax_tree_object_id"] =
        ctx.artifacts().put({"document", "accessibility-tree.json", "application/json"}, result.ax_tree.dump()).id;
  return out;
}

void BrowserModule::count(std::string_view outcome, const browser::RenderResult* result) {
  if (!metrics_) return;
  metrics_->counter("tyto_browser_renders_total", "Pages rendered by the browser module, by outcome", {"outcome"})
      .with({outcome})
      .inc();
  if (result) {
    metrics_->histogram("tyto_browser_render_seconds", "Time of a render, from a free browser to the capture", {})
        .with({})
        .observe(std::chrono::duration<double>(result->elapsed).count());
    metrics_->counter("tyto_browser_refused_total", "Requests of rendered pages refused by the outbound guard")
        .with({})
        .inc(static_cast<double>(result->refused.size()));
  }
  metrics_->gauge("tyto_browser_restarts", "Browsers replaced after a crash or a hang since the start")
      .with({})
      .set(renderer().restarts());
}

void BrowserModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add({"browser.render",
                "Renders a web page in headless Chromium behind the outbound guard: full-page screenshot, DOM "
                "snapshot with layout and computed styles, accessibility tree, refused requests",
                browser::render_request_schema(), output_schema(),
                [this](pipeline::StageContext& ctx, const json& input) { return render(ctx, input); }});
}

std::vector<pipeline::PipelineFile> BrowserModule::pipelines() const {
  return pipeline::pipeline_files(embedded_browser_pipelines(), "modules/browser/pipelines");
}

}  // namespace tyto::modules
