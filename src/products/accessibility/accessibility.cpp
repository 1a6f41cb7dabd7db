#include "accessibility.hpp"

#include "projects.hpp"
#include "scan_routes.hpp"
#include "scan_stage.hpp"
#include "scans.hpp"
#include "tyto/core/error.hpp"
#include "tyto/modules/browser.hpp"
#include "tyto/modules/vision.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <stdexcept>

namespace tyto {
std::span<const EmbeddedFile> embedded_accessibility_migrations();
std::span<const EmbeddedFile> embedded_accessibility_pipelines();
std::span<const EmbeddedFile> embedded_accessibility_console();
}  // namespace tyto

namespace tyto::products {

using namespace accessibility;

// Everything the product keeps while it runs, made at install().
struct Accessibility::State {
  State(Services& s, modules::BrowserModule& browser, modules::VisionModule* vision, ScanOptions options,
        ScanQuotas quotas)
      : scans(s.db),
        projects_store(s.db),
        projects(s, projects_store, scans),
        stage(
            s, scans, projects_store, [&browser]() -> browser::Renderer& { return browser.renderer(); },
            [vision]() -> vision::OcrPool* { return vision ? &vision->ocr_pool() : nullptr; }, options),
        routes(s, scans, projects_store, quotas) {}
  ScanStore scans;
  ProjectStore projects_store;
  Projects projects;
  ScanStage stage;
  ScanRoutes routes;
};

Accessibility::Accessibility() = default;
Accessibility::~Accessibility() = default;

std::span<const EmbeddedFile> Accessibility::migrations() const { return embedded_accessibility_migrations(); }

std::vector<ComponentOption> Accessibility::options() {
  return {{"scans_per_day", "integer", 500, "Scans a tenant may start in any 24 hours (429 quota_exceeded after)"},
          {"evidence_per_scan", "integer", 200,
           "Evidence crops one scan stores at most (issues beyond them have no evidence_object_id)"},
          {"mask_sensitive", "boolean", true,
           "Mask password, email, telephone and card inputs and data-tyto-sensitive elements in screenshots and "
           "evidence"},
          {"max_dom_bytes", "integer", 1'500'000, "The largest uploaded DOM snapshot a scan renders"}};
}

std::vector<pipeline::PipelineFile> Accessibility::pipelines() const {
  return pipeline::pipeline_files(embedded_accessibility_pipelines(), "src/products/accessibility/pipelines");
}

std::vector<api::PersonalData*> Accessibility::personal_data() { return {&state_->projects}; }

// The console's pages (console/, docs/products/accessibility.md "Console"): scans (a scan live with its
// screenshot and issues, and comparisons, as parameters of the scans page) and projects. Viewers read them;
// starting a scan and changing projects need the role user.
std::vector<ConsolePage> Accessibility::console_pages() const {
  return {{"accessibility.scans", "Scans", "Accessibility", auth::Role::kViewer,
           "/console/products/accessibility/scans.js"},
          {"accessibility.projects", "Projects", "Accessibility", auth::Role::kViewer,
           "/console/products/accessibility/projects.js"}};
}

std::span<const EmbeddedFile> Accessibility::console_files() const { return embedded_accessibility_console(); }

void Accessibility::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  auto* browser = services.module<modules::BrowserModule>();
  if (!browser) {
    throw std::runtime_error(
        "the accessibility product needs the browser module (modules/browser), which this build "
        "leaves out");
  }
  const auto option = [&](const char* key) {
    return services.config.option(std::string("products.accessibility.") + key);
  };
  state_ = std::make_unique<State>(
      services, *browser, services.module<modules::VisionModule>(),
      ScanOptions{option("evidence_per_scan").get<std::int64_t>(), option("mask_sensitive").get<bool>(),
                  option("max_dom_bytes").get<std::int64_t>()},
      ScanQuotas{option("scans_per_day").get<std::int64_t>()});
  state_->stage.register_stages(stages);
  state_->projects.install(router);
  state_->routes.install(router);
}

}  // namespace tyto::products
