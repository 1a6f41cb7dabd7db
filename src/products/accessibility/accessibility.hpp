// The accessibility auditor (docs/products/accessibility.md): scans of web pages (or of an uploaded DOM
// snapshot and screenshot) in headless Chromium, with axe-core's rules and Tyto's pixel checks; issues with
// their evidence, streamed as they are found; projects with scheduled rescans; comparisons and exports.
// Builds on the browser module (its renderer) and the vision module (redaction, OCR): install() throws when
// the build left the browser module out.
#pragma once

#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class Accessibility final : public Product {
 public:
  static constexpr std::string_view kName = "accessibility";
  static std::vector<ComponentOption> options();

  Accessibility();
  ~Accessibility() override;

  std::string_view name() const override { return kName; }
  std::span<const EmbeddedFile> migrations() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;
  std::vector<std::string> webhook_events() const override { return {"a11y.scan_completed"}; }
  std::vector<api::PersonalData*> personal_data() override;
  std::vector<ConsolePage> console_pages() const override;
  std::span<const EmbeddedFile> console_files() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tyto::products
