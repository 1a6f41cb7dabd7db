#include "scan_stage.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <fmt/format.h>

#include <random>
#include <thread>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

json id_input(const char* name) {
  return {{"type", "object"},
          {"required", {name}},
          {"additionalProperties", false},
          {"properties", {{name, {{"type", "string"}}}}}};
}

// The slots a scan holds in the shared limits, released when the scan ends however it ends (a crash leaves
// them to expire with their lease).
class HeldSlots {
 public:
  static constexpr std::chrono::seconds kLease{600};

  HeldSlots(SharedLimits& limits, std::string tenant, std::string scan_id)
      : limits_(limits), tenant_(std::move(tenant)), scan_id_(std::move(scan_id)) {}
  HeldSlots(const HeldSlots&) = delete;
  HeldSlots& operator=(const HeldSlots&) = delete;
  ~HeldSlots() {
    for (const auto& key : keys_) {
      try {
        limits_.release(tenant_, key, scan_id_);
      } catch (const std::exception& e) {
        log::warn("scan slot not released; its lease will expire", {{"key", key}, {"error", e.what()}});
      }
    }
  }

  // Holds one of `limit` slots of key, or throws pipeline::Deferred to run the scan a little later.
  void hold(const std::string& key, std::int64_t limit, const char* what) {
    if (!limits_.acquire(tenant_, key, scan_id_, limit, kLease)) {
      thread_local std::mt19937 random{std::random_device{}()};
      const auto delay = std::chrono::milliseconds(3000 + std::uniform_int_distribution<int>(0, 4000)(random));
      throw pipeline::Deferred(delay, fmt::format("{} has {} scans running, as many as allowed", what, limit));
    }
    keys_.push_back(key);
  }

  // Extends the leases once a minute while the scan runs.
  void keep_alive() {
    const auto now = std::chrono::steady_clock::now();
    if (now - renewed_ < std::chrono::seconds(60)) return;
    renewed_ = now;
    for (const auto& key : keys_) limits_.renew(tenant_, key, scan_id_, kLease);
  }

 private:
  SharedLimits& limits_;
  const std::string tenant_;
  const std::string scan_id_;
  std::vector<std::string> keys_;
  std::chrono::steady_clock::time_point renewed_ = std::chrono::steady_clock::now();
};

std::string extension_of(const std::string& media_type) {
  if (media_type == "image/png") return "png";
  if (media_type == "image/webp") return "webp";
  return "jpg";
}

}  // namespace

void ScanStages::update(const std::string& tenant, const std::string& scan_id, const char* type,
                        const std::function<void(storage::Session&)>& change, std::optional<json> listing) {
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  change(*tx);
  std::vector<events::NewEvent> pending;
  if (listing) pending.push_back({tenant, scan_topic(scan_id), "listing.scored", std::move(*listing)});
  if (const auto scan = scans_.get(*tx, tenant, scan_id)) {
    pending.push_back({tenant, scan_topic(scan_id), type, scan_json(*scan)});
  }
  s_.events.commit(*tx, pending);
}

void ScanStages::register_stages(pipeline::StageRegistry& stages) {
  stages.add({"brand_protection.scan",
              "Searches a provider for a brand's listings, then fetches, hashes, scores and keeps each",
              {{"type", "object"},
               {"additionalProperties", false},
               {"properties", {{"scan_id", {{"type", "string"}}}, {"brand_id", {{"type", "string"}}}}}},
              {{"type", "object"}},
              [this](pipeline::StageContext& ctx, const json& input) { return scan(ctx, input); }});
  stages.add({"brand_protection.hash_reference",
              "Hashes a brand's reference image",
              id_input("image_id"),
              {{"type", "object"}},
              [this](pipeline::StageContext& ctx, const json& input) { return hash_reference(ctx, input); }});
}

json ScanStages::hash_reference(pipeline::StageContext& ctx, const json& input) {
  const std::string image_id = input.at("image_id");
  const auto image = brands_.find_image(ctx.tenant_id(), image_id);
  if (!image) throw pipeline::StageError("not_found", "the reference image is gone", false);
  try {
    const json hashes = analyzer_.hash_image(ctx.artifacts().get(image->object_id, 25u << 20));
    brands_.set_image_hashes(ctx.tenant_id(), image_id, hashes);
    return {{"image_id", image_id}, {"hashes", hashes}};
  } catch (const Error& e) {
    // Bytes that are no picture will not become one on a retry: the image is marked failed, the job too.
    brands_.set_image_failed(ctx.tenant_id(), image_id, e.what());
    throw pipeline::StageError("invalid_image", e.what(), false);
  }
}

std::string ScanStages::scheduled_scan(pipeline::StageContext& ctx, const std::string& brand_id) {
  const auto brand = brand_id.empty() ? std::nullopt : brands_.get(ctx.tenant_id(), brand_id);
  if (!brand) throw pipeline::StageError("not_found", "neither a scan nor a brand to scan", false);
  const json provider = brand->settings.value("scan_provider", json());
  if (!provider.is_object()) throw pipeline::StageError("no_provider", "the brand has no scan_provider", false);
  // A retried attempt continues the scan its first attempt made.
  if (const auto existing = scans_.of_job(ctx.tenant_id(), ctx.job_id())) return existing->id;
  Scan s;
  s.id = new_uuid_v7();
  s.tenant_id = ctx.tenant_id();
  s.brand_id = brand->id;
  s.provider = provider.value("type", std::string());
  s.provider_spec = provider;
  s.query = brand->name;
  s.job_id = ctx.job_id();
  s.created_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  scans_.insert(*tx, s);
  scans_.set_job(*tx, s.tenant_id, s.id, ctx.job_id());
  tx->commit();
  return s.id;
}

json ScanStages::scan(pipeline::StageContext& ctx, const json& input) {
  const std::string& tenant = ctx.tenant_id();
  // {scan_id}: a scan started through the API. {brand_id}: the brand's schedule fired, and the scan is made
  // here with the brand's scan_provider.
  std::string scan_id = input.value("scan_id", std::string());
  if (scan_id.empty()) scan_id = scheduled_scan(ctx, input.value("brand_id", std::string()));
  const auto scan = scans_.get(tenant, scan_id);
  if (!scan) throw pipeline::StageError("not_found", "the scan is gone", false);
  const auto brand = brands_.get(tenant, scan->brand_id);
  if (!brand) {
    update(tenant, scan_id, "scan.finished",
           [&](storage::Session& tx) { scans_.finish(tx, tenant, scan_id, false, "the brand was deleted"); });
    throw pipeline::StageError("not_found", "the brand was deleted", false);
  }
  ResolvedProvider resolved;
  try {
    resolved = providers_.resolve(tenant, scan->provider_spec);
  } catch (const Error& e) {
    update(tenant, scan_id, "scan.finished",
           [&](storage::Session& tx) { scans_.finish(tx, tenant, scan_id, false, e.what()); });
    throw pipeline::StageError("provider_gone", e.what(), false);
  }
  // Shared with every scan on every instance: the tenant's concurrent scans, the provider's, its request rate.
  HeldSlots slots(shared_, tenant, scan_id);
  slots.hold("tenant", limits_.concurrent_scans, "the tenant");
  if (resolved.max_concurrent_scans > 0) {
    slots.hold(resolved.limit_key, resolved.max_concurrent_scans, "the provider");
  }
  std::function<void()> pace;
  if (resolved.rate_per_minute > 0 && !resolved.limit_key.empty()) {
    pace = [&] {
      const double burst = std::max(1.0, resolved.rate_per_minute / 60);
      for (;;) {
        const auto wait = shared_.take(tenant, resolved.limit_key, resolved.rate_per_minute, burst);
        if (wait.count() == 0) return;
        ctx.check_cancelled();
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1)));
      }
    };
  }

  std::vector<ReferenceHashes> references;
  for (auto& [id, hashes] : brands_.hashed_images(tenant, brand->id)) references.push_back({id, std::move(hashes)});

  std::unique_ptr<Provider> provider;
  std::vector<ProviderListing> found;
  try {
    ProviderServices services{s_.http_client,
                              [&ctx](const std::string& id, std::size_t max) { return ctx.artifacts().get(id, max); }};
    services.pace = pace;
    provider = make_provider(resolved.spec, std::move(services));
    for (int page = 0; static_cast<std::int64_t>(found.size()) < limits_.listings_per_scan; ++page) {
      ctx.check_cancelled();
      auto p = provider->search(scan->query, page);
      for (auto& l : p.listings) {
        if (static_cast<std::int64_t>(found.size()) < limits_.listings_per_scan) found.push_back(std::move(l));
      }
      ctx.progress(0.02, fmt::format("searched {} page(s), {} listings", page + 1, found.size()));
      if (p.last) break;
    }
  } catch (const Error& e) {
    // The search is the scan: without it there is nothing to score. Unreachable providers are retried.
    const bool retryable = e.code() == ErrorCode::kUnavailable;
    if (!retryable || ctx.last_attempt()) {
      update(tenant, scan_id, "scan.finished",
             [&](storage::Session& tx) { scans_.finish(tx, tenant, scan_id, false, e.what()); });
    }
    throw pipeline::StageError("search_failed", e.what(), retryable);
  }
  update(tenant, scan_id, "scan.progress", [&](storage::Session& tx) {
    scans_.set_running(tx, tenant, scan_id, static_cast<std::int64_t>(found.size()));
  });

  const double flag = brand->settings["thresholds"].value("flag", 0.8);
  std::int64_t done = 0, failed = 0, flagged = 0;
  for (const auto& item : found) {
    ctx.check_cancelled();
    slots.keep_alive();
    Listing l;
    l.tenant_id = tenant;
    l.brand_id = brand->id;
    l.scan_id = scan_id;
    l.provider = provider->kind();
    l.provider_listing_id = item.id;
    l.title = item.title;
    l.seller = item.seller;
    l.price = item.price;
    l.currency = item.currency;
    l.url = item.url;
    l.image_url = item.image_url;
    std::optional<json> hashes;
    try {
      if (!item.image_url.empty() || l.provider == "demo") {
        const std::string picture = provider->fetch_image(item);
        const auto type = picture_type(picture);
        l.evidence_object_id =
            ctx.artifacts()
                .put({"image", fmt::format("{}.{}", item.id, extension_of(type)), type, std::nullopt}, picture)
                .id;
        hashes = analyzer_.hash_image(picture);
      }
      const Verdict v = analyzer_.score(*brand, item, hashes, references);
      l.probability = v.probability;
      l.signals = v.signals;
      l.matched_image_id = v.matched_image_id;
    } catch (const Error& e) {
      l.error = e.what();  // this listing only: the scan goes on
      ++failed;
    } catch (const pipeline::StageError& e) {
      l.error = e.what();
      ++failed;
    }
    const json snapshot = {{"listing",
                            {{"id", item.id},
                             {"title", item.title},
                             {"seller", item.seller},
                             {"seller_rating", item.seller_rating ? json(*item.seller_rating) : json(nullptr)},
                             {"price", item.price ? json(*item.price) : json(nullptr)},
                             {"currency", item.currency},
                             {"url", item.url},
                             {"image_url", item.image_url}}},
                           {"provider", l.provider},
                           {"scan_id", scan_id},
                           {"scanned_at", format_rfc3339(now_micros())},
                           {"probability", l.probability ? json(*l.probability) : json(nullptr)},
                           {"signals", l.signals},
                           {"error", l.error ? json(*l.error) : json(nullptr)}};
    l.snapshot_object_id =
        ctx.artifacts().put({"document", item.id + ".json", "application/json", std::nullopt}, snapshot.dump(2)).id;
    l.id = scans_.upsert_listing(l);
    if (l.probability && *l.probability >= flag) {
      ++flagged;
      s_.webhooks.emit(s_.db, tenant, "brand.listing_flagged",
                       {{"brand_id", brand->id},
                        {"scan_id", scan_id},
                        {"listing_id", l.id},
                        {"provider_listing_id", item.id},
                        {"title", item.title},
                        {"url", item.url},
                        {"probability", *l.probability}});
    }
    ++done;
    const auto stored = scans_.get_listing(tenant, l.id);
    update(
        tenant, scan_id, "scan.progress",
        [&](storage::Session& tx) { scans_.set_progress(tx, tenant, scan_id, done, failed, flagged); },
        stored ? std::optional<json>(listing_json(*stored)) : std::nullopt);
    ctx.progress(0.02 + 0.98 * static_cast<double>(done) / static_cast<double>(found.size()),
                 fmt::format("{} of {} listings", done, found.size()));
  }
  update(tenant, scan_id, "scan.finished",
         [&](storage::Session& tx) { scans_.finish(tx, tenant, scan_id, true, std::nullopt); });
  return {{"scan_id", scan_id}, {"listings", done}, {"failed", failed}, {"flagged", flagged}};
}

}  // namespace tyto::products::brand_protection
