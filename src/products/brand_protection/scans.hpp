// Scans and listings. A scan is one job (the internal pipeline brand_protection.scan) that searches a
// provider for a brand, fetches and hashes each listing's picture, scores it and keeps it; listings are
// keyed by (brand, provider, provider's listing id), so a rescan updates them and a review stays.
//
// ScanStore holds the named SQL; every query names the tenant. It blocks: handlers on the blocking pool,
// stages.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tyto::products::brand_protection {

struct Scan {
  std::string id;
  std::string tenant_id;
  std::string brand_id;
  std::string provider;          // kind: demo, file, http_json
  nlohmann::json provider_spec;  // as requested (kept out of every answer: it may hold an API key)
  std::string query;
  std::optional<std::string> job_id;
  std::string state = "queued";  // queued, running, succeeded, failed
  std::int64_t listings_found = 0;
  std::int64_t listings_done = 0;
  std::int64_t listings_failed = 0;
  std::int64_t flagged = 0;
  std::optional<std::string> error;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> finished_at;
};

struct Listing {
  std::string id;
  std::string tenant_id;
  std::string brand_id;
  std::string scan_id;
  std::string provider;
  std::string provider_listing_id;
  std::string title;
  std::string seller;
  std::optional<double> price;
  std::string currency;
  std::string url;
  std::string image_url;
  std::optional<double> probability;
  nlohmann::json signals;
  std::optional<std::string> matched_image_id;
  std::optional<std::string> evidence_object_id;
  std::optional<std::string> snapshot_object_id;
  std::optional<std::string> error;
  std::string review_status = "pending";
  std::optional<std::string> review_note;
  std::optional<std::string> reviewed_by;
  std::optional<std::int64_t> reviewed_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// Listing pages sort by probability, highest first (failed listings last), then by id.
struct ListingQuery {
  std::string tenant_id;
  std::string scan_id;
  std::optional<double> min_probability;
  std::optional<std::string> review_status;
  std::optional<std::string> cursor;  // listing_cursor() of the last listing shown
  int limit = 50;
};

nlohmann::json scan_json(const Scan& s);
// The events topic of a scan's stream: scan.progress, listing.scored, scan.finished.
std::string scan_topic(const std::string& scan_id);
nlohmann::json scan_schema();
nlohmann::json listing_json(const Listing& l);
nlohmann::json listing_schema();
std::string listing_cursor(const Listing& l);
bool well_formed_listing_cursor(std::string_view cursor);

class ScanStore {
 public:
  explicit ScanStore(storage::Database& db) : db_(db) {}

  void insert(storage::Session& tx, const Scan& s);
  void set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id, const std::string& job_id);
  std::optional<Scan> get(const std::string& tenant_id, const std::string& id);
  std::optional<Scan> of_job(const std::string& tenant_id, const std::string& job_id);
  std::vector<Scan> list(const std::string& tenant_id, const std::string& brand_id, const std::string& before,
                         int limit);
  // Scans the tenant started since `since` (microseconds): the daily quota.
  std::int64_t started_since(const std::string& tenant_id, std::int64_t since);
  std::optional<Scan> get(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  void set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id, std::int64_t found);
  void set_progress(storage::Session& tx, const std::string& tenant_id, const std::string& id, std::int64_t done,
                    std::int64_t failed, std::int64_t flagged);
  void finish(storage::Session& tx, const std::string& tenant_id, const std::string& id, bool ok,
              const std::optional<std::string>& error);

  // Inserts the listing or, when the brand already has the provider's listing, updates what the provider
  // and the score say and keeps the review. Returns the stored listing's id.
  std::string upsert_listing(const Listing& l);
  std::optional<Listing> get_listing(const std::string& tenant_id, const std::string& id);
  std::vector<Listing> listings(const ListingQuery& q);
  std::vector<Listing> all_listings(const std::string& tenant_id, const std::string& scan_id);
  void review(storage::Session& tx, const Listing& l);

  // Personal data: reviews a user made lose their reviewer; scans lose their creator.
  void forget_user(storage::Session& tx, const std::string& user_id);

 private:
  storage::Database& db_;
};

}  // namespace tyto::products::brand_protection
