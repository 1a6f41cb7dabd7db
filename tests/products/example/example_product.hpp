// The example product (tests only): notes that a job renders into a text artifact. See README.md.
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class ExampleProduct final : public Product {
 public:
  static constexpr std::string_view kName = "example";
  static std::vector<ComponentOption> options();
  // `tyto note-length FILE…`: prints "FILE=<characters>" per file (an offline command, no server).
  static std::vector<CliCommand> commands();

  ExampleProduct();
  ~ExampleProduct() override;

  std::string_view name() const override { return kName; }
  std::span<const EmbeddedFile> migrations() const override;
  // "reviewer": reads the review queue (GET /api/v1/example/reviews), which a plain user may not.
  std::vector<auth::ProductRole> roles() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;
  std::vector<ConsolePage> console_pages() const override;
  std::span<const EmbeddedFile> console_files() const override;
  std::vector<api::PersonalData*> personal_data() override;

 private:
  class Notes;
  std::unique_ptr<Notes> notes_;
};

}  // namespace tyto::products
