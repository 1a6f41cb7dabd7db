#include "brands.hpp"

#include "providers.hpp"

#include "tyto/core/cron.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

#define BRAND_COLUMNS                                                                                     \
  "SELECT id, tenant_id, name, settings, schedule, schedule_id, created_by, created_at, updated_at FROM " \
  "brand_protection_brands "
constexpr std::string_view kInsertBrand =
    "INSERT INTO brand_protection_brands (id, tenant_id, name, settings, schedule, schedule_id, created_by, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kUpdateBrand =
    "UPDATE brand_protection_brands SET name = $3, settings = $4, schedule = $5, schedule_id = $6, updated_at = $7 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteBrand = "DELETE FROM brand_protection_brands WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelectBrand = BRAND_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListBrands = BRAND_COLUMNS "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kBrandsOfCreator = BRAND_COLUMNS "WHERE created_by = $1 ORDER BY id";
#undef BRAND_COLUMNS
constexpr std::string_view kForgetBrandCreator =
    "UPDATE brand_protection_brands SET created_by = NULL WHERE created_by = $1";

#define IMAGE_COLUMNS                                                                                              \
  "SELECT id, tenant_id, brand_id, object_id, object_owner_id, sha256, state, hashes, error, job_id, created_by, " \
  "created_at "                                                                                                    \
  "FROM brand_protection_images "
constexpr std::string_view kInsertImage =
    "INSERT INTO brand_protection_images (id, tenant_id, brand_id, object_id, object_owner_id, sha256, state, job_id, "
    "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kSelectImage = IMAGE_COLUMNS "WHERE tenant_id = $1 AND brand_id = $2 AND id = $3";
constexpr std::string_view kFindImage = IMAGE_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListImages =
    IMAGE_COLUMNS "WHERE tenant_id = $1 AND brand_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4";
#undef IMAGE_COLUMNS
constexpr std::string_view kHashedImages =
    "SELECT id, hashes FROM brand_protection_images WHERE tenant_id = $1 AND brand_id = $2 AND state = 'hashed' "
    "ORDER BY id";
constexpr std::string_view kCountImages =
    "SELECT COUNT(*) FROM brand_protection_images WHERE tenant_id = $1 AND brand_id = $2";
constexpr std::string_view kDeleteImage =
    "DELETE FROM brand_protection_images WHERE tenant_id = $1 AND brand_id = $2 AND id = $3";
constexpr std::string_view kImageHashed =
    "UPDATE brand_protection_images SET state = 'hashed', hashes = $3, error = NULL WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kImageJob =
    "UPDATE brand_protection_images SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kImageFailed =
    "UPDATE brand_protection_images SET state = 'failed', error = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kForgetImageCreator =
    "UPDATE brand_protection_images SET created_by = NULL WHERE created_by = $1";
constexpr std::string_view kDeleteImagesOfOwner = "DELETE FROM brand_protection_images WHERE object_owner_id = $1";

// The word lists of a brand, each an array of distinct short strings.
constexpr std::string_view kWordLists[] = {"aliases", "misspellings", "fraud_terms", "keywords", "categories"};

json word_list_schema() {
  return {{"type", "array"}, {"maxItems", 500}, {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}}};
}

json settings_properties() {
  json p = json::object();
  for (auto list : kWordLists) p[std::string(list)] = word_list_schema();
  p["price_band"] = {{"type", {"object", "null"}},
                     {"additionalProperties", false},
                     {"required", {"min", "max", "currency"}},
                     {"properties",
                      {{"min", {{"type", "number"}, {"minimum", 0}}},
                       {"max", {{"type", "number"}, {"minimum", 0}}},
                       {"currency", {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}}}}};
  // Signal weights of the score (docs/products/brand-protection.md): each signal's weight, 0 turns it off.
  p["weights"] = {{"type", "object"},
                  {"additionalProperties", false},
                  {"properties",
                   {{"text", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}},
                    {"image", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}},
                    {"keywords", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}},
                    {"fraud_terms", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}},
                    {"price", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}},
                    {"seller", {{"type", "number"}, {"minimum", 0}, {"maximum", 10}}}}}};
  p["thresholds"] = {{"type", "object"},
                     {"additionalProperties", false},
                     {"properties",
                      {{"flag", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
                       {"review", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}}}}};
  p["schedule"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}};
  // The provider the brand's scheduled scans search (required with a schedule other than manual).
  json provider = provider_schema();
  provider["type"] = {"object", "null"};
  p["scan_provider"] = provider;
  return p;
}

json default_settings() {
  json s = json::object();
  for (auto list : kWordLists) s[std::string(list)] = json::array();
  s["price_band"] = nullptr;
  s["weights"] = {{"text", 1.0},        {"image", 1.0}, {"keywords", 1.0},
                  {"fraud_terms", 1.0}, {"price", 1.0}, {"seller", 1.0}};
  s["thresholds"] = {{"flag", 0.8}, {"review", 0.5}};
  s["scan_provider"] = nullptr;
  return s;
}

Brand brand_from_row(const storage::Row& r) {
  return {r.get<std::string>(0),          r.get<std::string>(1),
          r.get<std::string>(2),          json::parse(r.get<std::string>(3)),
          r.get<std::string>(4),          r.get_optional<std::string>(5),
          r.get_optional<std::string>(6), r.get<std::int64_t>(7),
          r.get<std::int64_t>(8)};
}

ReferenceImage image_from_row(const storage::Row& r) {
  return {r.get<std::string>(0),           r.get<std::string>(1),
          r.get<std::string>(2),           r.get<std::string>(3),
          r.get_optional<std::string>(4),  r.get<std::string>(5),
          r.get<std::string>(6),           r.is_null(7) ? json(nullptr) : json::parse(r.get<std::string>(7)),
          r.get_optional<std::string>(8),  r.get_optional<std::string>(9),
          r.get_optional<std::string>(10), r.get<std::int64_t>(11)};
}

}  // namespace

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id)) {
    throw Error(ErrorCode::kNotFound, "no such " + std::string(what), {{"id", std::string(id.substr(0, 64))}});
  }
}

json brand_create_schema() {
  json p = settings_properties();
  p["name"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}};
  return {{"type", "object"}, {"required", {"name"}}, {"additionalProperties", false}, {"properties", p}};
}

json brand_patch_schema() {
  json s = brand_create_schema();
  s.erase("required");
  return s;
}

json brand_schema() {
  json p = settings_properties();
  p["id"] = {{"type", "string"}};
  p["name"] = {{"type", "string"}};
  p["reference_images"] = {{"type", "integer"}};
  p["created_at"] = {{"type", "string"}};
  p["updated_at"] = {{"type", "string"}};
  return {{"type", "object"}, {"properties", p}};
}

json reference_image_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"brand_id", {{"type", "string"}}},
            {"object_id", {{"type", "string"}}},
            {"sha256", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"pending", "hashed", "failed"}}}},
            {"hashes", {{"type", {"object", "null"}}}},
            {"error", {{"type", {"string", "null"}}}},
            {"job_id", {{"type", {"string", "null"}}}},
            {"created_at", {{"type", "string"}}}}}};
}

void check_brand_body(const json& body, json& fields) {
  if (!body.is_object()) return;
  // The schema subset has no uniqueItems: a word given twice (in any case) is refused here.
  for (auto list : kWordLists) {
    const auto words = body.find(std::string(list));
    if (words == body.end() || !words->is_array()) continue;
    std::set<std::string> seen;
    for (const auto& w : *words) {
      if (!w.is_string()) continue;
      std::string folded = w.get<std::string>();
      std::transform(folded.begin(), folded.end(), folded.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!seen.insert(folded).second) {
        fields[std::string(list)] = "holds \"" + w.get<std::string>() + "\" twice";
        break;
      }
    }
  }
  if (const auto band = body.find("price_band"); band != body.end() && band->is_object()) {
    const auto min = band->find("min"), max = band->find("max");
    if (min != band->end() && max != band->end() && min->is_number() && max->is_number() &&
        min->get<double>() > max->get<double>()) {
      fields["price_band"] = "min must not be above max";
    }
  }
  if (const auto t = body.find("thresholds"); t != body.end() && t->is_object()) {
    const auto flag = t->find("flag"), review = t->find("review");
    if (flag != t->end() && review != t->end() && flag->is_number() && review->is_number() &&
        review->get<double>() > flag->get<double>()) {
      fields["thresholds"] = "review must not be above flag";
    }
  }
  // A brand is read by every viewer of the tenant: an API key in it would be answered to them all.
  if (const auto p = body.find("scan_provider"); p != body.end() && p->is_object() && p->contains("api_key")) {
    fields["scan_provider.api_key"] =
        "an API key is not kept in a brand: save the provider (POST /api/v1/brands/providers) and name it by id";
  }
  if (const auto s = body.find("schedule"); s != body.end() && s->is_string()) {
    const auto text = s->get<std::string>();
    if (text != "manual" && text != "daily" && text != "weekly") {
      try {
        (void)CronExpression::parse(text);
      } catch (const std::exception& e) {
        fields["schedule"] = std::string("manual, daily, weekly or a cron expression: ") + e.what();
      }
    }
  }
}

json settings_from_body(const json& body) { return merge_settings(default_settings(), body); }

std::optional<std::string> schedule_cron(const std::string& schedule) {
  if (schedule == "manual") return std::nullopt;
  if (schedule == "daily") return "0 3 * * *";
  if (schedule == "weekly") return "0 3 * * 1";
  return schedule;
}

json merge_settings(json settings, const json& change) {
  for (auto it = change.begin(); it != change.end(); ++it) {
    if (it.key() == "name" || it.key() == "schedule") continue;
    if ((it.key() == "weights" || it.key() == "thresholds") && it->is_object()) {
      for (auto w = it->begin(); w != it->end(); ++w) settings[it.key()][w.key()] = *w;  // one weight at a time
    } else {
      settings[it.key()] = *it;
    }
  }
  return settings;
}

json brand_json(const Brand& b, std::int64_t image_count) {
  json out = b.settings;
  out["id"] = b.id;
  out["name"] = b.name;
  out["schedule"] = b.schedule;
  out["reference_images"] = image_count;
  out["created_at"] = format_rfc3339(b.created_at);
  out["updated_at"] = format_rfc3339(b.updated_at);
  return out;
}

json reference_image_json(const ReferenceImage& i) {
  return {{"id", i.id},
          {"brand_id", i.brand_id},
          {"object_id", i.object_id},
          {"sha256", i.sha256},
          {"state", i.state},
          {"hashes", i.hashes},
          {"error", i.error ? json(*i.error) : json(nullptr)},
          {"job_id", i.job_id ? json(*i.job_id) : json(nullptr)},
          {"created_at", format_rfc3339(i.created_at)}};
}

void BrandStore::insert(storage::Session& tx, const Brand& b) {
  try {
    tx.execute(kInsertBrand, {b.id, b.tenant_id, b.name, b.settings.dump(), b.schedule, b.schedule_id, b.created_by,
                              b.created_at, b.updated_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "a brand of that name exists", {{"name", b.name}});
  }
}

void BrandStore::update(storage::Session& tx, const Brand& b) {
  try {
    tx.execute(kUpdateBrand, {b.tenant_id, b.id, b.name, b.settings.dump(), b.schedule, b.schedule_id, b.updated_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "a brand of that name exists", {{"name", b.name}});
  }
}

bool BrandStore::remove(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  return tx.execute(kDeleteBrand, {tenant_id, id}) > 0;
}

std::optional<Brand> BrandStore::get(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  auto row = tx.query_one(kSelectBrand, {tenant_id, id});
  if (!row) return std::nullopt;
  return brand_from_row(*row);
}

std::optional<Brand> BrandStore::get(const std::string& tenant_id, const std::string& id) {
  return get(db_, tenant_id, id);
}

std::vector<Brand> BrandStore::list(const std::string& tenant_id, const std::string& before, int limit) {
  std::vector<Brand> out;
  for (const auto& r : db_.query(kListBrands, {tenant_id, before, limit}).rows) out.push_back(brand_from_row(r));
  return out;
}

std::vector<Brand> BrandStore::created_by(const std::string& user_id) {
  std::vector<Brand> out;
  for (const auto& r : db_.query(kBrandsOfCreator, {user_id}).rows) out.push_back(brand_from_row(r));
  return out;
}

std::int64_t BrandStore::image_count(const std::string& tenant_id, const std::string& brand_id) {
  return db_.query_one(kCountImages, {tenant_id, brand_id})->get<std::int64_t>(0);
}

void BrandStore::insert_image(storage::Session& tx, const ReferenceImage& i) {
  try {
    tx.execute(kInsertImage, {i.id, i.tenant_id, i.brand_id, i.object_id, i.object_owner_id, i.sha256, i.state,
                              i.job_id, i.created_by, i.created_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "the object is already a reference image of this brand",
                {{"object_id", i.object_id}});
  }
}

std::optional<ReferenceImage> BrandStore::get_image(const std::string& tenant_id, const std::string& brand_id,
                                                    const std::string& id) {
  auto row = db_.query_one(kSelectImage, {tenant_id, brand_id, id});
  if (!row) return std::nullopt;
  return image_from_row(*row);
}

std::vector<ReferenceImage> BrandStore::images(const std::string& tenant_id, const std::string& brand_id,
                                               const std::string& before, int limit) {
  std::vector<ReferenceImage> out;
  for (const auto& r : db_.query(kListImages, {tenant_id, brand_id, before, limit}).rows) {
    out.push_back(image_from_row(r));
  }
  return out;
}

bool BrandStore::remove_image(storage::Session& tx, const std::string& tenant_id, const std::string& brand_id,
                              const std::string& id) {
  return tx.execute(kDeleteImage, {tenant_id, brand_id, id}) > 0;
}

void BrandStore::set_image_job(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                               const std::string& job_id) {
  tx.execute(kImageJob, {tenant_id, id, job_id});
}

std::optional<ReferenceImage> BrandStore::find_image(const std::string& tenant_id, const std::string& id) {
  auto row = db_.query_one(kFindImage, {tenant_id, id});
  if (!row) return std::nullopt;
  return image_from_row(*row);
}

std::vector<std::pair<std::string, json>> BrandStore::hashed_images(const std::string& tenant_id,
                                                                    const std::string& brand_id) {
  std::vector<std::pair<std::string, json>> out;
  for (const auto& r : db_.query(kHashedImages, {tenant_id, brand_id}).rows) {
    out.emplace_back(r.get<std::string>(0), json::parse(r.get<std::string>(1)));
  }
  return out;
}

void BrandStore::set_image_hashes(const std::string& tenant_id, const std::string& id, const json& hashes) {
  db_.execute(kImageHashed, {tenant_id, id, hashes.dump()});
}

void BrandStore::set_image_failed(const std::string& tenant_id, const std::string& id, const std::string& error) {
  db_.execute(kImageFailed, {tenant_id, id, error});
}

void BrandStore::erase_user(storage::Session& tx, const std::string& user_id) {
  tx.execute(kForgetBrandCreator, {user_id});
  tx.execute(kDeleteImagesOfOwner, {user_id});
  tx.execute(kForgetImageCreator, {user_id});
}

}  // namespace tyto::products::brand_protection
