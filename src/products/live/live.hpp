// Live sessions (docs/products/live-sessions.md): sources (RTSP cameras, HTTP streams, uploaded files,
// browsers' webcams) and sessions that run detection, tracking, motion, faces and speech recognition on
// them, streaming the events as they happen and storing them. Builds on the vision module (detectors
// from its model registry, the tracker, zones, motion), the media module (FFmpeg decoding) and, when the
// build has it, the audio module (speech).
#pragma once

#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class Live final : public Product {
 public:
  static constexpr std::string_view kName = "live";
  static std::vector<ComponentOption> options();

  Live();
  ~Live() override;

  std::string_view name() const override { return kName; }
  std::span<const EmbeddedFile> migrations() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;
  std::vector<api::PersonalData*> personal_data() override;
  std::vector<ConsolePage> console_pages() const override;
  std::span<const EmbeddedFile> console_files() const override;
  void stop() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tyto::products
