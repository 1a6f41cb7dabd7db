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

  BrandProtection();
  ~BrandProtection() override;

  std::string_view name() const override { return kName; }
  std::span<const EmbeddedFile> migrations() const override;
  void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) override;
  std::vector<api::PersonalData*> personal_data() override;

 private:
  class Brands;
  std::unique_ptr<Brands> brands_;
};

}  // namespace tyto::products
