// The music catalog (docs/products/music-catalog.md): the web backend of a drum game. A player uploads a
// song; Tyto recognises it (Chromaprint fingerprints, 10-second snippets, other recordings of the same
// song) and offers the community's verified drum map — retimed onto the player's recording — or generates a
// draft map with live progress; the community fixes maps with JSON Patches that verifiers approve, for karma
// that earns roles; notifications, Stripe-compatible billing and quotas. Builds on the fingerprint module's
// audio half, the audio module's decoder, the drums module and, when the build has it, the antivirus module.
#pragma once

#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class MusicCatalog final : public Product {
 public:
  static constexpr std::string_view kName = "music";
  static std::vector<ComponentOption> options();

  MusicCatalog();
  ~MusicCatalog() override;

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
