// Body-measurement captures (docs/products/captures.md): users photograph themselves front and side (and a
// portrait) with an ID-1 card for scale; Tyto measures them with each figure's uncertainty, lets them edit
// with an audit trail, lets tailors approve and export PDF sheets, takes partners' batches, and keeps raw
// photos only with consent. Builds on the body module (card, colour, skin, measurements) and the vision
// module (pose and segmentation models from its registry, the face cascade).
#pragma once

#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class Captures final : public Product {
 public:
  static constexpr std::string_view kName = "captures";
  static std::vector<ComponentOption> options();

  Captures();
  ~Captures() override;

  std::string_view name() const override { return kName; }
  std::vector<auth::ProductRole> roles() const override;
  std::span<const EmbeddedFile> migrations() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;
  std::vector<ConsolePage> console_pages() const override;
  std::span<const EmbeddedFile> console_files() const override;
  std::vector<std::string> webhook_events() const override;
  std::vector<api::PersonalData*> personal_data() override;
  void start() override;
  void stop() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tyto::products
