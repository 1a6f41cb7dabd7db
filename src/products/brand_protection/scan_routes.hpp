// Routes of reference images, scans, listings and reviews (scan_routes.cpp).
#pragma once

#include "brands.hpp"
#include "saved_providers.hpp"
#include "scans.hpp"
#include "tyto/http/request.hpp"
#include "tyto/product.hpp"

namespace tyto::products::brand_protection {

struct ScanQuotas {
  std::int64_t scans_per_day = 100;  // per tenant, over the last 24 hours
};

class ScanRoutes {
 public:
  ScanRoutes(Services& services, BrandStore& brands, ScanStore& scans, ProviderStore& providers, ScanQuotas limits)
      : s_(services), brands_(brands), scans_(scans), providers_(providers), limits_(limits) {}

  void install(http::Router& router);

 private:
  Brand brand(const http::Request& req);
  Scan scan(const http::Request& req, const Brand& b);

  http::Response add_image(http::Request& req);
  http::Response list_images(http::Request& req);
  http::Response get_image(http::Request& req);
  http::Response remove_image(http::Request& req);
  http::Response start_scan(http::Request& req);
  http::Response list_scans(http::Request& req);
  http::Response get_scan(http::Request& req);
  http::Response listings(http::Request& req);
  http::Response listings_csv(http::Request& req);
  http::Response review(http::Request& req);

  Services& s_;
  BrandStore& brands_;
  ScanStore& scans_;
  ProviderStore& providers_;
  ScanQuotas limits_;
};

}  // namespace tyto::products::brand_protection
