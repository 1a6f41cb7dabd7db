#include "brand_protection.hpp"

#include "analyzer.hpp"
#include "brands.hpp"
#include "demo_routes.hpp"
#include "scan_routes.hpp"
#include "scan_stage.hpp"
#include "scans.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/scheduler.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/storage/database.hpp"

namespace tyto {
std::span<const EmbeddedFile> embedded_brand_protection_migrations();
std::span<const EmbeddedFile> embedded_brand_protection_pipelines();
std::span<const EmbeddedFile> embedded_brand_protection_console();
}  // namespace tyto

namespace tyto::products {
namespace {

using nlohmann::json;
using namespace brand_protection;

}  // namespace

// Brands and reference images: routes and personal data over the services the platform handed in.
class BrandProtection::Brands final : public api::PersonalData {
 public:
  Brands(Services& s, BrandStore& store, ScanStore& scans) : s_(s), store_(store), scans_(scans) {}

  std::string_view section() const override { return "brand_protection.brands"; }
  // Brands are the client's configuration: a user's export lists those they created, and erasing the user
  // keeps the brands for the tenant without their creator.
  api::ExportPart export_user(const std::string& user_id) override {
    api::ExportPart part{json::array(), {}};
    for (const auto& b : store_.created_by(user_id)) part.data.push_back(brand_json(b, 0));
    return part;
  }
  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) override {
    store_.erase_user(tx, user_id);
    scans_.forget_user(tx, user_id);
  }

  http::Response create(http::Request& req) {
    const auto& who = req.who();
    const json body = req.json();
    const auto now = now_micros();
    Brand b{new_uuid_v7(),
            who.tenant_id,
            body.at("name").get<std::string>(),
            settings_from_body(body),
            body.value("schedule", std::string("manual")),
            std::nullopt,
            who.user_id.empty() ? std::nullopt : std::optional<std::string>(who.user_id),
            now,
            now};
    require_scan_provider(b);
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.insert(*tx, b);
    s_.audit.record(*tx, api::audit_entry(req, "brand_protection.brand_create", "brand:" + b.id, {{"name", b.name}}));
    tx->commit();
    sync_schedule(b);
    return http::Response::json(brand_json(b, 0), 201);
  }

  http::Response get(http::Request& req) {
    const auto b = find(req.who().tenant_id, req.param("id"));
    return http::Response::json(brand_json(b, store_.image_count(b.tenant_id, b.id)));
  }

  http::Response list(http::Request& req) {
    const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
    const auto& tenant = req.who().tenant_id;
    const auto brands = store_.list(tenant, q.cursor.value_or("~"), q.fetch());
    return http::Response::json(http::page_body(
        q, brands, [&](const Brand& b) { return brand_json(b, store_.image_count(tenant, b.id)); },
        [](const Brand& b) { return b.id; }));
  }

  http::Response patch(http::Request& req) {
    const auto& tenant = req.who().tenant_id;
    const json change = req.json();
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    auto b = find(*tx, tenant, req.param("id"));  // an unknown brand is 404 whatever the body
    if (change.empty()) {
      throw Error(ErrorCode::kValidationFailed, "invalid brand", {{"fields", {{"body", "names nothing to change"}}}});
    }
    if (change.contains("name")) b.name = change["name"].get<std::string>();
    if (change.contains("schedule")) b.schedule = change["schedule"].get<std::string>();
    b.settings = merge_settings(std::move(b.settings), change);
    // A change may be valid alone and not beside what is stored (a new min above the stored max).
    json fields = json::object();
    json whole = b.settings;
    whole["schedule"] = b.schedule;
    check_brand_body(whole, fields);
    if (!fields.empty()) throw Error(ErrorCode::kValidationFailed, "invalid brand", {{"fields", fields}});
    require_scan_provider(b);
    b.updated_at = now_micros();
    store_.update(*tx, b);
    s_.audit.record(*tx, api::audit_entry(req, "brand_protection.brand_update", "brand:" + b.id,
                                          {{"changed", change_names(change)}}));
    tx->commit();
    if (change.contains("schedule") || change.contains("name")) sync_schedule(b);
    return http::Response::json(brand_json(b, store_.image_count(tenant, b.id)));
  }

  http::Response remove(http::Request& req) {
    const auto id = std::string(req.param("id"));
    check_id(id, "brand");
    const auto existing = store_.get(req.who().tenant_id, id);
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    if (!store_.remove(*tx, req.who().tenant_id, id)) throw Error(ErrorCode::kNotFound, "no such brand", {{"id", id}});
    s_.audit.record(*tx, api::audit_entry(req, "brand_protection.brand_delete", "brand:" + id));
    tx->commit();
    if (existing && existing->schedule_id) s_.schedules.remove(existing->tenant_id, *existing->schedule_id);
    return http::Response::no_content();
  }

 private:
  // A brand scanned on a schedule needs a provider to scan.
  static void require_scan_provider(const Brand& b) {
    if (b.schedule != "manual" && b.settings.value("scan_provider", json()).is_null()) {
      throw Error(ErrorCode::kValidationFailed, "invalid brand",
                  {{"fields", {{"scan_provider", "is required with a schedule other than manual"}}}});
    }
  }

  // The platform schedule that runs the brand's scans (brand_protection.scan with {brand_id}): replaced when
  // the schedule or the name changes, removed for manual. It shows in the tenant's /api/v1/schedules.
  void sync_schedule(Brand& b) {
    if (b.schedule_id) s_.schedules.remove(b.tenant_id, *b.schedule_id);
    b.schedule_id.reset();
    if (const auto cron = schedule_cron(b.schedule)) {
      jobs::Schedule schedule;
      schedule.tenant_id = b.tenant_id;
      schedule.name = "brand_protection: " + b.name;
      schedule.pipeline = "brand_protection.scan";
      schedule.input = {{"brand_id", b.id}};
      schedule.cron = *cron;
      b.schedule_id = s_.schedules.create(std::move(schedule)).id;
    }
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.update(*tx, b);
    tx->commit();
  }

  static json change_names(const json& change) {
    json names = json::array();
    for (auto it = change.begin(); it != change.end(); ++it) names.push_back(it.key());
    return names;
  }

  Brand find(storage::Session& tx, const std::string& tenant_id, std::string_view id) {
    check_id(id, "brand");
    auto b = store_.get(tx, tenant_id, std::string(id));
    // Another tenant's brand reads as unknown.
    if (!b) throw Error(ErrorCode::kNotFound, "no such brand", {{"id", std::string(id)}});
    return std::move(*b);
  }
  Brand find(const std::string& tenant_id, std::string_view id) { return find(s_.db, tenant_id, id); }

  Services& s_;
  BrandStore& store_;
  ScanStore& scans_;
};

// Everything the product keeps while it runs, made at install().
struct BrandProtection::State {
  State(Services& s, ScanLimits limits, ScanQuotas quotas)
      : brands_store(s.db),
        scans_store(s.db),
        providers(s),
        shared(s.db),
        analyzer(make_analyzer()),
        brands(s, brands_store, scans_store),
        stages(s, brands_store, scans_store, providers, shared, *analyzer, limits),
        routes(s, brands_store, scans_store, providers, quotas) {}
  BrandStore brands_store;
  ScanStore scans_store;
  ProviderStore providers;
  SharedLimits shared;
  std::unique_ptr<Analyzer> analyzer;
  Brands brands;
  ScanStages stages;
  ScanRoutes routes;
};

BrandProtection::BrandProtection() = default;
BrandProtection::~BrandProtection() = default;

std::span<const EmbeddedFile> BrandProtection::migrations() const { return embedded_brand_protection_migrations(); }

std::vector<ComponentOption> BrandProtection::options() {
  return {{"scans_per_day", "integer", 100, "Scans a tenant may start in any 24 hours (429 quota_exceeded after)"},
          {"listings_per_scan", "integer", 1000, "Listings one scan fetches and scores at most"},
          {"concurrent_scans", "integer", 4,
           "Scans of one tenant that run at once, over all instances (more wait in the queue)"}};
}

std::vector<pipeline::PipelineFile> BrandProtection::pipelines() const {
  return pipeline::pipeline_files(embedded_brand_protection_pipelines(), "src/products/brand_protection/pipelines");
}

std::vector<api::PersonalData*> BrandProtection::personal_data() { return {&state_->brands, &state_->providers}; }

// The console's pages (console/, docs/products/brand-protection.md "Console"): brands with their reference
// images, and scans with their listings. Viewers read them; the forms and buttons need the role user.
std::vector<ConsolePage> BrandProtection::console_pages() const {
  return {{"brand_protection.brands", "Brands", "Brand protection", auth::Role::kViewer,
           "/console/products/brand_protection/brands.js"},
          {"brand_protection.scans", "Scans", "Brand protection", auth::Role::kViewer,
           "/console/products/brand_protection/scans.js"}};
}

std::span<const EmbeddedFile> BrandProtection::console_files() const { return embedded_brand_protection_console(); }

void BrandProtection::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  state_ = std::make_unique<State>(
      services,
      ScanLimits{services.config.option("products.brand_protection.listings_per_scan").get<std::int64_t>(),
                 services.config.option("products.brand_protection.concurrent_scans").get<std::int64_t>()},
      ScanQuotas{services.config.option("products.brand_protection.scans_per_day").get<std::int64_t>()});
  Brands* brands = &state_->brands;
  state_->stages.register_stages(stages);
  const http::BodyCheck check = [](const http::Request&, const json& body, json& fields) {
    check_brand_body(body, fields);
  };
  router.add(http::Method::kPost, "/api/v1/brands", [brands](http::Request& req) { return brands->create(req); },
             {.summary = "Create a brand: its names, word lists, price band, weights, thresholds and scan schedule",
              .tag = "brand_protection",
              .request_schema = brand_create_schema(),
              .response_schema = brand_schema(),
              .success_status = 201},
             {.role = auth::Role::kUser, .body_check = check});
  router.add(http::Method::kGet, "/api/v1/brands", [brands](http::Request& req) { return brands->list(req); },
             {.summary = "The tenant's brands, newest first",
              .tag = "brand_protection",
              .response_schema = http::page_schema(brand_schema())});
  router.add(http::Method::kGet, "/api/v1/brands/{id}", [brands](http::Request& req) { return brands->get(req); },
             {.summary = "One brand", .tag = "brand_protection", .response_schema = brand_schema()});
  router.add(
      http::Method::kPatch, "/api/v1/brands/{id}", [brands](http::Request& req) { return brands->patch(req); },
      {.summary = "Change a brand: the members given replace the stored ones (weights and thresholds one by one)",
       .tag = "brand_protection",
       .request_schema = brand_patch_schema(),
       .response_schema = brand_schema()},
      {.role = auth::Role::kUser, .body_check = check});
  router.add(http::Method::kDelete, "/api/v1/brands/{id}", [brands](http::Request& req) { return brands->remove(req); },
             {.summary = "Delete a brand with its reference images", .tag = "brand_protection", .success_status = 204},
             {.role = auth::Role::kUser});
  state_->providers.install(router);
  state_->routes.install(router);
  install_demo_routes(router);
}

}  // namespace tyto::products
