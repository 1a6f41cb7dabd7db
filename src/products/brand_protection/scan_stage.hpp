// The stages of brand protection:
//   brand_protection.scan            {scan_id}: search the scan's provider, then for each listing fetch its
//                                    picture, hash it, score the listing, keep the picture and a JSON snapshot
//                                    as evidence objects, and store the listing; flagged listings go to the
//                                    tenant's webhooks (brand.listing_flagged). One listing's failure is
//                                    recorded on that listing and the scan goes on.
//   brand_protection.hash_reference  {image_id}: hash a reference image when it arrives.
#pragma once

#include "analyzer.hpp"
#include "brands.hpp"
#include "limits.hpp"
#include "saved_providers.hpp"
#include "scans.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

namespace tyto::products::brand_protection {

struct ScanLimits {
  std::int64_t listings_per_scan = 1000;
  std::int64_t concurrent_scans = 4;  // per tenant, over all instances
};

class ScanStages {
 public:
  ScanStages(Services& services, BrandStore& brands, ScanStore& scans, ProviderStore& providers, SharedLimits& shared,
             Analyzer& analyzer, ScanLimits limits)
      : s_(services),
        brands_(brands),
        scans_(scans),
        providers_(providers),
        shared_(shared),
        analyzer_(analyzer),
        limits_(limits) {}

  void register_stages(pipeline::StageRegistry& stages);

  nlohmann::json scan(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json hash_reference(pipeline::StageContext& ctx, const nlohmann::json& input);

 private:
  // The scan a fired schedule runs: made for the brand with its scan_provider (the same one on a retry).
  std::string scheduled_scan(pipeline::StageContext& ctx, const std::string& brand_id);
  // Runs `change` on the scan's row and sends the scan as it then is to its stream as `type` (after the
  // scored listing, if one is given), in one transaction.
  void update(const std::string& tenant, const std::string& scan_id, const char* type,
              const std::function<void(storage::Session&)>& change, std::optional<nlohmann::json> listing = {});

  Services& s_;
  BrandStore& brands_;
  ScanStore& scans_;
  ProviderStore& providers_;
  SharedLimits& shared_;
  Analyzer& analyzer_;
  ScanLimits limits_;
};

}  // namespace tyto::products::brand_protection
