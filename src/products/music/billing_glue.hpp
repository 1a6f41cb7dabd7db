// Billing in the catalog: Stripe-compatible webhooks received, verified and queued (music.billing_event), the
// subscriptions and orders they describe, and the quota a member's subscriptions give
// (docs/products/music-billing.md). Verification, event parsing and entitlements are the billing library's
// (billing/); this class keeps the rows.
#pragma once

#include "community.hpp"
#include "stages.hpp"
#include "store.hpp"
#include "tyto/http/request.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

#include <memory>
#include <string>
#include <vector>

namespace tyto::products::music {

struct Quota {
  std::string plan = "free";
  int generations_per_month = 0;  // map generations a member may start per calendar month (UTC)
  int lookups_per_day = 0;        // lookups that need fingerprinting (cached ones are free) per UTC day
  std::vector<std::string> bundles;
};

class Billing {
 public:
  Billing(Services& services, MusicStore& store, Community& community, const MusicOptions& options);
  ~Billing();

  void register_stages(pipeline::StageRegistry& stages);
  // What the member may do now, from their subscriptions' latest known state.
  Quota quota_of(const std::string& tenant_id, const std::string& user_id);
  // POST /api/v1/billing/stripe/webhook: verifies the signature over the raw body, keeps the event once by id and
  // queues it. 400 for a bad signature (stable codes), 200 for a duplicate.
  http::Response receive(const http::Request& req);

 private:
  nlohmann::json process(pipeline::StageContext& ctx, const nlohmann::json& in);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::products::music
