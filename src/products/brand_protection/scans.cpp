#include "scans.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

#define SCAN_COLUMNS                                                                                               \
  "SELECT id, tenant_id, brand_id, provider, provider_spec, query, job_id, state, listings_found, listings_done, " \
  "listings_failed, flagged, error, created_by, created_at, finished_at FROM brand_protection_scans "
constexpr std::string_view kInsertScan =
    "INSERT INTO brand_protection_scans (id, tenant_id, brand_id, provider, provider_spec, query, state, created_by, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kSetScanJob =
    "UPDATE brand_protection_scans SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelectScan = SCAN_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kScanOfJob = SCAN_COLUMNS "WHERE tenant_id = $1 AND job_id = $2";
constexpr std::string_view kListScans =
    SCAN_COLUMNS "WHERE tenant_id = $1 AND brand_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4";
#undef SCAN_COLUMNS
constexpr std::string_view kScansSince =
    "SELECT COUNT(*) FROM brand_protection_scans WHERE tenant_id = $1 AND created_at >= $2";
constexpr std::string_view kScanRunning =
    "UPDATE brand_protection_scans SET state = 'running', listings_found = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kScanProgress =
    "UPDATE brand_protection_scans SET listings_done = $3, listings_failed = $4, flagged = $5 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kScanFinish =
    "UPDATE brand_protection_scans SET state = $3, error = $4, finished_at = $5 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kForgetScanCreator =
    "UPDATE brand_protection_scans SET created_by = NULL WHERE created_by = $1";

#define LISTING_COLUMNS                                                                                           \
  "SELECT id, tenant_id, brand_id, scan_id, provider, provider_listing_id, title, seller, price, currency, url, " \
  "image_url, probability, signals, matched_image_id, evidence_object_id, snapshot_object_id, error, "            \
  "review_status, review_note, reviewed_by, reviewed_at, created_at, updated_at FROM brand_protection_listings "
constexpr std::string_view kSelectListing = LISTING_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListingByKey =
    "SELECT id FROM brand_protection_listings WHERE tenant_id = $1 AND brand_id = $2 AND provider = $3 AND "
    "provider_listing_id = $4";
// Highest probability first, failed listings (no probability) last as -1, then by id; the cursor is the last
// listing's (rank, id).
constexpr std::string_view kListListings = LISTING_COLUMNS
    "WHERE tenant_id = $1 AND scan_id = $2 AND COALESCE(probability, -1) >= $3 AND ($4 = '' OR review_status = $4) "
    "AND (COALESCE(probability, -1) < $5 OR (COALESCE(probability, -1) = $5 AND id < $6)) "
    "ORDER BY COALESCE(probability, -1) DESC, id DESC LIMIT $7";
constexpr std::string_view kAllListings =
    LISTING_COLUMNS "WHERE tenant_id = $1 AND scan_id = $2 ORDER BY COALESCE(probability, -1) DESC, id DESC";
#undef LISTING_COLUMNS
constexpr std::string_view kInsertListing =
    "INSERT INTO brand_protection_listings (id, tenant_id, brand_id, scan_id, provider, provider_listing_id, title, "
    "seller, price, currency, url, image_url, probability, signals, matched_image_id, evidence_object_id, "
    "snapshot_object_id, error, review_status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16, $17, $18, 'pending', $19, $19)";
constexpr std::string_view kUpdateListing =
    "UPDATE brand_protection_listings SET scan_id = $3, title = $4, seller = $5, price = $6, currency = $7, url = $8, "
    "image_url = $9, probability = $10, signals = $11, matched_image_id = $12, evidence_object_id = $13, "
    "snapshot_object_id = $14, error = $15, updated_at = $16 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kReviewListing =
    "UPDATE brand_protection_listings SET review_status = $3, review_note = $4, reviewed_by = $5, reviewed_at = $6 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kForgetReviewer =
    "UPDATE brand_protection_listings SET reviewed_by = NULL WHERE reviewed_by = $1";

std::optional<std::string> opt(const storage::Row& r, int i) { return r.get_optional<std::string>(i); }
json opt_json(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json opt_json(const std::optional<double>& d) { return d ? json(*d) : json(nullptr); }
json opt_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

Scan scan_from_row(const storage::Row& r) {
  Scan s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.brand_id = r.get<std::string>(2);
  s.provider = r.get<std::string>(3);
  s.provider_spec = json::parse(r.get<std::string>(4));
  s.query = r.get<std::string>(5);
  s.job_id = opt(r, 6);
  s.state = r.get<std::string>(7);
  s.listings_found = r.get<std::int64_t>(8);
  s.listings_done = r.get<std::int64_t>(9);
  s.listings_failed = r.get<std::int64_t>(10);
  s.flagged = r.get<std::int64_t>(11);
  s.error = opt(r, 12);
  s.created_by = opt(r, 13);
  s.created_at = r.get<std::int64_t>(14);
  s.finished_at = r.get_optional<std::int64_t>(15);
  return s;
}

Listing listing_from_row(const storage::Row& r) {
  Listing l;
  l.id = r.get<std::string>(0);
  l.tenant_id = r.get<std::string>(1);
  l.brand_id = r.get<std::string>(2);
  l.scan_id = r.get<std::string>(3);
  l.provider = r.get<std::string>(4);
  l.provider_listing_id = r.get<std::string>(5);
  l.title = r.get<std::string>(6);
  l.seller = r.get<std::string>(7);
  l.price = r.get_optional<double>(8);
  l.currency = r.get<std::string>(9);
  l.url = r.get<std::string>(10);
  l.image_url = r.get<std::string>(11);
  l.probability = r.get_optional<double>(12);
  l.signals = r.is_null(13) ? json(nullptr) : json::parse(r.get<std::string>(13));
  l.matched_image_id = opt(r, 14);
  l.evidence_object_id = opt(r, 15);
  l.snapshot_object_id = opt(r, 16);
  l.error = opt(r, 17);
  l.review_status = r.get<std::string>(18);
  l.review_note = opt(r, 19);
  l.reviewed_by = opt(r, 20);
  l.reviewed_at = r.get_optional<std::int64_t>(21);
  l.created_at = r.get<std::int64_t>(22);
  l.updated_at = r.get<std::int64_t>(23);
  return l;
}

// A listing's place in the probability order: its probability, or -1 when it failed.
double rank(const Listing& l) { return l.probability.value_or(-1.0); }

}  // namespace

json scan_json(const Scan& s) {
  return {{"id", s.id},
          {"brand_id", s.brand_id},
          {"provider", s.provider},
          {"query", s.query},
          {"job_id", opt_json(s.job_id)},
          {"state", s.state},
          {"listings_found", s.listings_found},
          {"listings_done", s.listings_done},
          {"listings_failed", s.listings_failed},
          {"flagged", s.flagged},
          {"progress", s.listings_found > 0 ? static_cast<double>(s.listings_done) / s.listings_found
                                            : (s.state == "succeeded" ? 1.0 : 0.0)},
          {"error", opt_json(s.error)},
          {"created_at", format_rfc3339(s.created_at)},
          {"finished_at", opt_time(s.finished_at)}};
}

std::string scan_topic(const std::string& scan_id) { return "brand_scan:" + scan_id; }

json scan_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"brand_id", {{"type", "string"}}},
            {"provider", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed"}}}},
            {"listings_found", {{"type", "integer"}}},
            {"listings_done", {{"type", "integer"}}},
            {"listings_failed", {{"type", "integer"}}},
            {"flagged", {{"type", "integer"}}},
            {"progress", {{"type", "number"}}}}}};
}

json listing_json(const Listing& l) {
  return {{"id", l.id},
          {"brand_id", l.brand_id},
          {"scan_id", l.scan_id},
          {"provider", l.provider},
          {"listing_id", l.provider_listing_id},
          {"title", l.title},
          {"seller", l.seller},
          {"price", opt_json(l.price)},
          {"currency", l.currency},
          {"url", l.url},
          {"image_url", l.image_url},
          {"probability", opt_json(l.probability)},
          {"signals", l.signals},
          {"matched_image_id", opt_json(l.matched_image_id)},
          {"evidence_object_id", opt_json(l.evidence_object_id)},
          {"snapshot_object_id", opt_json(l.snapshot_object_id)},
          {"error", opt_json(l.error)},
          {"review",
           {{"status", l.review_status},
            {"note", opt_json(l.review_note)},
            {"reviewed_by", opt_json(l.reviewed_by)},
            {"reviewed_at", opt_time(l.reviewed_at)}}},
          {"created_at", format_rfc3339(l.created_at)},
          {"updated_at", format_rfc3339(l.updated_at)}};
}

json listing_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"listing_id", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"probability", {{"type", {"number", "null"}}}},
            {"signals", {{"type", {"object", "null"}}}},
            {"review", {{"type", "object"}}}}}};
}

std::string listing_cursor(const Listing& l) { return fmt::format("{:.17g}~{}", rank(l), l.id); }

bool well_formed_listing_cursor(std::string_view cursor) {
  const auto tilde = cursor.find('~');
  if (tilde == std::string_view::npos || !is_uuid(cursor.substr(tilde + 1))) return false;
  double d = 0;
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + tilde, d);
  return ec == std::errc() && end == cursor.data() + tilde && std::isfinite(d);
}

void ScanStore::insert(storage::Session& tx, const Scan& s) {
  tx.execute(kInsertScan, {s.id, s.tenant_id, s.brand_id, s.provider, s.provider_spec.dump(), s.query, s.state,
                           s.created_by, s.created_at});
}

void ScanStore::set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                        const std::string& job_id) {
  tx.execute(kSetScanJob, {tenant_id, id, job_id});
}

std::optional<Scan> ScanStore::get(const std::string& tenant_id, const std::string& id) {
  return get(db_, tenant_id, id);
}

std::optional<Scan> ScanStore::get(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  auto row = tx.query_one(kSelectScan, {tenant_id, id});
  if (!row) return std::nullopt;
  return scan_from_row(*row);
}

std::optional<Scan> ScanStore::of_job(const std::string& tenant_id, const std::string& job_id) {
  auto row = db_.query_one(kScanOfJob, {tenant_id, job_id});
  if (!row) return std::nullopt;
  return scan_from_row(*row);
}

std::vector<Scan> ScanStore::list(const std::string& tenant_id, const std::string& brand_id, const std::string& before,
                                  int limit) {
  std::vector<Scan> out;
  for (const auto& r : db_.query(kListScans, {tenant_id, brand_id, before, limit}).rows) {
    out.push_back(scan_from_row(r));
  }
  return out;
}

std::int64_t ScanStore::started_since(const std::string& tenant_id, std::int64_t since) {
  return db_.query_one(kScansSince, {tenant_id, since})->get<std::int64_t>(0);
}

void ScanStore::set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                            std::int64_t found) {
  tx.execute(kScanRunning, {tenant_id, id, found});
}

void ScanStore::set_progress(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                             std::int64_t done, std::int64_t failed, std::int64_t flagged) {
  tx.execute(kScanProgress, {tenant_id, id, done, failed, flagged});
}

void ScanStore::finish(storage::Session& tx, const std::string& tenant_id, const std::string& id, bool ok,
                       const std::optional<std::string>& error) {
  tx.execute(kScanFinish, {tenant_id, id, ok ? "succeeded" : "failed", error, now_micros()});
}

std::string ScanStore::upsert_listing(const Listing& l) {
  const json signals = l.signals;
  const storage::Value signals_text = signals.is_null() ? storage::Value() : storage::Value(signals.dump());
  // Two scans of one brand may meet the same listing at once: the unique key decides, and the loser updates.
  for (int attempt = 0;; ++attempt) {
    auto tx = db_.begin(storage::TxMode::kWrite);
    if (auto row = tx->query_one(kListingByKey, {l.tenant_id, l.brand_id, l.provider, l.provider_listing_id})) {
      const std::string id = row->get<std::string>(0);
      tx->execute(kUpdateListing, {l.tenant_id, id, l.scan_id, l.title, l.seller, l.price, l.currency, l.url,
                                   l.image_url, l.probability, signals_text, l.matched_image_id, l.evidence_object_id,
                                   l.snapshot_object_id, l.error, now_micros()});
      tx->commit();
      return id;
    }
    const std::string id = l.id.empty() ? new_uuid_v7() : l.id;
    try {
      tx->execute(kInsertListing,
                  {id, l.tenant_id, l.brand_id, l.scan_id, l.provider, l.provider_listing_id, l.title, l.seller,
                   l.price, l.currency, l.url, l.image_url, l.probability, signals_text, l.matched_image_id,
                   l.evidence_object_id, l.snapshot_object_id, l.error, now_micros()});
      tx->commit();
      return id;
    } catch (const storage::UniqueViolation&) {
      if (attempt > 0) throw;
    }
  }
}

std::optional<Listing> ScanStore::get_listing(const std::string& tenant_id, const std::string& id) {
  auto row = db_.query_one(kSelectListing, {tenant_id, id});
  if (!row) return std::nullopt;
  return listing_from_row(*row);
}

std::vector<Listing> ScanStore::listings(const ListingQuery& q) {
  double after_rank = 2.0;  // above every probability
  std::string after_id = "~";
  if (q.cursor) {
    const auto tilde = q.cursor->find('~');
    std::from_chars(q.cursor->data(), q.cursor->data() + tilde, after_rank);
    after_id = q.cursor->substr(tilde + 1);
  }
  std::vector<Listing> out;
  for (const auto& r : db_.query(kListListings, {q.tenant_id, q.scan_id, q.min_probability.value_or(-1.0),
                                                 q.review_status.value_or(""), after_rank, after_id, q.limit})
                           .rows) {
    out.push_back(listing_from_row(r));
  }
  return out;
}

std::vector<Listing> ScanStore::all_listings(const std::string& tenant_id, const std::string& scan_id) {
  std::vector<Listing> out;
  for (const auto& r : db_.query(kAllListings, {tenant_id, scan_id}).rows) out.push_back(listing_from_row(r));
  return out;
}

void ScanStore::review(storage::Session& tx, const Listing& l) {
  tx.execute(kReviewListing, {l.tenant_id, l.id, l.review_status, l.review_note, l.reviewed_by, l.reviewed_at});
}

void ScanStore::forget_user(storage::Session& tx, const std::string& user_id) {
  tx.execute(kForgetReviewer, {user_id});
  tx.execute(kForgetScanCreator, {user_id});
}

}  // namespace tyto::products::brand_protection
