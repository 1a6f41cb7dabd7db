// The brand-protection product (docs/products/brand-protection.md): clients (tenants) configure brands and
// their reference images; scans search marketplaces for listings and score each for being a copy.
#pragma once

#include "tyto/product.hpp"

#include <memory>
#include <string_view>

namespace tyto::products {

class BrandProtection final : public Product {
 public:
  static constexpr std::string_view kName = "brand_protection";
  static std::vector<ComponentOption> options();

  BrandProtection();
  ~BrandProtection() override;

  std::string_view name() const override { return kName; }
  std::span<const EmbeddedFile> migrations() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;
  std::vector<std::string> webhook_events() const override { return {"brand.listing_flagged"}; }
  std::vector<api::PersonalData*> personal_data() override;
  std::vector<ConsolePage> console_pages() const override;
  std::span<const EmbeddedFile> console_files() const override;

 private:
  class Brands;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tyto::products
