// The browser module: the headless renderer (tyto/browser/renderer.hpp) as a stage and a command.
//   browser.render  {url, viewport?, user_agent?, cookies?, headers?, actions?, wait_ms?, timeout_ms?}:
//                   renders the page in a fresh browser context and stores the full-page screenshot
//                   (purpose capture, image/png), the DOM snapshot and the accessibility tree (purpose
//                   document, application/json) as objects of the job's tenant; returns their ids, the
//                   page's title, final URL and status, and the requests the outbound guard refused.
// Pipeline: browser.render (the stage alone), so a page can be rendered through the jobs API.
// Options (modules.browser.*): pool_size, executable, acquire_timeout_ms, command_timeout_ms.
// Every request of a rendered page passes the platform's outbound guard (outbound.allow).
// Metrics: tyto_browser_renders_total{outcome}, tyto_browser_render_seconds, tyto_browser_refused_total,
// tyto_browser_restarts (browsers replaced after a crash or hang).
// Command: `tyto render URL --out DIR` (docs/modules/browser.md).
#pragma once

#include "tyto/browser/renderer.hpp"
#include "tyto/cli_command.hpp"
#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

#include <memory>
#include <mutex>
#include <string_view>

namespace tyto::cli {
struct ModuleServices;
}

namespace tyto::http {
class OutboundPolicy;
}

namespace tyto::metrics {
class Registry;
}

namespace tyto::modules {

class BrowserModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "browser";
  static std::vector<ComponentOption> options();
  static std::vector<CliCommand> commands();

  explicit BrowserModule(const cli::ModuleServices& services);
  // allow: CIDRs the pages may reach besides public addresses (as outbound.allow).
  BrowserModule(browser::RendererOptions options, const std::vector<std::string>& allow);
  ~BrowserModule() override;

  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/browser/pipelines/
  // Kills the browsers (they start again on the next render).
  void stop() override;

  // The renderer, started on first use; the accessibility product calls it directly.
  browser::Renderer& renderer();
  // The stage's work, callable without a job (tests).
  nlohmann::json render(pipeline::StageContext& ctx, const nlohmann::json& input);

 private:
  void count(std::string_view outcome, const browser::RenderResult* result);

  browser::RendererOptions options_;
  std::unique_ptr<http::OutboundPolicy> policy_;
  metrics::Registry* metrics_ = nullptr;  // null without a server (tests, tyto render)
  std::mutex mutex_;                      // guards renderer_'s creation
  std::unique_ptr<browser::Renderer> renderer_;
};

}  // namespace tyto::modules
