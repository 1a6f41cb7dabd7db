// Brands: what a client (a tenant) protects. A brand has a name, the words that stand for it (aliases,
// known misspellings, keywords, fraud terms, categories), the price band genuine goods sell in, the weights
// and thresholds that turn a listing's signals into a decision, and a scan schedule. Its reference images
// are the pictures copies are compared against.
//
// BrandStore holds the named SQL; every query names the tenant, so another tenant's brand reads as unknown
// (404). It blocks on the database: call it from handlers on the blocking pool or from stages.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::brand_protection {

struct Brand {
  std::string id;
  std::string tenant_id;
  std::string name;
  nlohmann::json settings;  // everything but name and schedule, as the API shows it (with defaults filled in)
  std::string schedule;     // "manual", "daily", "weekly" or a cron expression
  std::optional<std::string> schedule_id;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct ReferenceImage {
  std::string id;
  std::string tenant_id;
  std::string brand_id;
  std::string object_id;
  std::optional<std::string> object_owner_id;
  std::string sha256;
  std::string state;  // pending, hashed, failed
  nlohmann::json hashes;
  std::optional<std::string> error;
  std::optional<std::string> job_id;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
};

// Ids in paths are UUIDs: anything else names nothing, so it is 404 ("no such <what>") before any query.
void check_id(std::string_view id, std::string_view what);

// The JSON Schemas of the API: a new brand (name required), a change (every member optional), and a brand
// as answered.
nlohmann::json brand_create_schema();
nlohmann::json brand_patch_schema();
nlohmann::json brand_schema();
nlohmann::json reference_image_schema();

// Checks what a schema cannot say (a price band's min above its max, review above flag, a cron
// expression that does not parse), adding each problem to `fields` under the member's name.
void check_brand_body(const nlohmann::json& body, nlohmann::json& fields);

// The cron expression of a brand's schedule: none for manual, 03:00 UTC for daily, Monday 03:00 UTC for
// weekly, else the expression itself.
std::optional<std::string> schedule_cron(const std::string& schedule);

// The settings of a new brand from its request body: every documented member, defaults filled in.
nlohmann::json settings_from_body(const nlohmann::json& body);
// `settings` with the members `change` names replaced (arrays and objects replaced whole).
nlohmann::json merge_settings(nlohmann::json settings, const nlohmann::json& change);

nlohmann::json brand_json(const Brand& b, std::int64_t image_count);
nlohmann::json reference_image_json(const ReferenceImage& image);

class BrandStore {
 public:
  explicit BrandStore(storage::Database& db) : db_(db) {}

  // Throws Error(kConflict) when the tenant already has a brand of that name.
  void insert(storage::Session& tx, const Brand& b);
  void update(storage::Session& tx, const Brand& b);
  bool remove(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::optional<Brand> get(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::optional<Brand> get(const std::string& tenant_id, const std::string& id);
  // Newest first, ids below `before` (a page of the API's list).
  std::vector<Brand> list(const std::string& tenant_id, const std::string& before, int limit);
  std::vector<Brand> created_by(const std::string& user_id);
  std::int64_t image_count(const std::string& tenant_id, const std::string& brand_id);

  // Throws Error(kConflict) when the brand already has that object as a reference image.
  void insert_image(storage::Session& tx, const ReferenceImage& image);
  std::optional<ReferenceImage> get_image(const std::string& tenant_id, const std::string& brand_id,
                                          const std::string& id);
  std::vector<ReferenceImage> images(const std::string& tenant_id, const std::string& brand_id,
                                     const std::string& before, int limit);
  bool remove_image(storage::Session& tx, const std::string& tenant_id, const std::string& brand_id,
                    const std::string& id);
  void set_image_job(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                     const std::string& job_id);
  std::optional<ReferenceImage> find_image(const std::string& tenant_id, const std::string& id);
  // The brand's reference images that are hashed, with their hashes (what listings are compared with).
  std::vector<std::pair<std::string, nlohmann::json>> hashed_images(const std::string& tenant_id,
                                                                    const std::string& brand_id);
  void set_image_hashes(const std::string& tenant_id, const std::string& id, const nlohmann::json& hashes);
  void set_image_failed(const std::string& tenant_id, const std::string& id, const std::string& error);

  // Personal data: brands a user created are exported and, on erasure, kept for the tenant without their
  // creator (brands are the client's configuration, not the user's); reference images made of the user's
  // objects go with the objects.
  void erase_user(storage::Session& tx, const std::string& user_id);

 private:
  storage::Database& db_;
};

}  // namespace tyto::products::brand_protection
