// Saved providers: their routes, store and personal data (docs/products/brand-protection.md, Providers).
#include "saved_providers.hpp"

#include "brands.hpp"
#include "providers.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/page.hpp"
#include "tyto/http/router.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/webhooks/signing.hpp"

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

#define PROVIDER_COLUMNS                                                                                        \
  "SELECT id, tenant_id, name, spec, api_key_sealed, max_concurrent_scans, created_by, created_at, updated_at " \
  "FROM brand_protection_providers "
constexpr std::string_view kSelectProvider = PROVIDER_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListProviders =
    PROVIDER_COLUMNS "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kProvidersOf = PROVIDER_COLUMNS "WHERE created_by = $1 ORDER BY id";
constexpr std::string_view kInsertProvider =
    "INSERT INTO brand_protection_providers (id, tenant_id, name, spec, api_key_sealed, max_concurrent_scans, "
    "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
constexpr std::string_view kUpdateProvider =
    "UPDATE brand_protection_providers SET name = $3, spec = $4, api_key_sealed = $5, max_concurrent_scans = $6, "
    "updated_at = $7 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteProvider = "DELETE FROM brand_protection_providers WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kForgetCreator =
    "UPDATE brand_protection_providers SET created_by = NULL WHERE created_by = $1";
#undef PROVIDER_COLUMNS

constexpr std::int64_t kDefaultConcurrentScans = 2;

SavedProvider from_row(const storage::Row& r) {
  SavedProvider p;
  p.id = r.get<std::string>(0);
  p.tenant_id = r.get<std::string>(1);
  p.name = r.get<std::string>(2);
  p.spec = json::parse(r.get<std::string>(3));
  if (const auto sealed = r.get_optional<storage::Blob>(4)) p.api_key_sealed = sealed->bytes;
  p.max_concurrent_scans = r.get<std::int64_t>(5);
  p.created_by = r.get_optional<std::string>(6);
  p.created_at = r.get<std::int64_t>(7);
  p.updated_at = r.get<std::int64_t>(8);
  return p;
}

storage::Value sealed_value(const std::optional<std::string>& sealed) {
  return sealed ? storage::Value(storage::Blob{*sealed}) : storage::Value();
}

json saved_schema(bool create) {
  json provider = provider_schema();
  provider["properties"]["type"]["enum"] = {"demo", "file", "http_json"};  // not another saved one
  json s = {{"type", "object"},
            {"additionalProperties", false},
            {"properties",
             {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
              {"provider", provider},
              {"max_concurrent_scans", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}}}}};
  if (create) s["required"] = {"name", "provider"};
  return s;
}

json saved_response_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"name", {{"type", "string"}}},
            {"provider", {{"type", "object"}}},
            {"has_api_key", {{"type", "boolean"}}},
            {"max_concurrent_scans", {{"type", "integer"}}}}}};
}

}  // namespace

json saved_provider_json(const SavedProvider& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"provider", p.spec},
          {"has_api_key", p.api_key_sealed.has_value()},
          {"max_concurrent_scans", p.max_concurrent_scans},
          {"created_at", format_rfc3339(p.created_at)},
          {"updated_at", format_rfc3339(p.updated_at)}};
}

void check_provider_spec(Services& s, const std::string& tenant_id, const json& provider) {
  const auto bad = [](const char* field, const char* what) {
    throw Error(ErrorCode::kValidationFailed, "invalid provider", {{"fields", {{field, what}}}});
  };
  const std::string kind = provider.value("type", std::string());
  if (kind == "file") {
    const std::string object_id = provider.value("object_id", std::string());
    if (!is_uuid(object_id) || !s.objects.get_object(tenant_id, object_id)) bad("provider.object_id", "no such object");
  } else if (kind == "http_json") {
    const std::string url = provider.value("url_template", std::string());
    if (url.find("{query}") == std::string::npos) bad("provider.url_template", "must hold {query}");
    try {
      (void)http::parse_outbound_url(url);
    } catch (const Error&) {
      bad("provider.url_template", "must be an absolute http or https URL");
    }
  } else if (kind == "saved") {
    const std::string id = provider.value("provider_id", std::string());
    if (!is_uuid(id) || !s.db.query_one(kSelectProvider, {tenant_id, id})) {
      bad("provider.provider_id", "no such saved provider");
    }
  }
}

std::optional<SavedProvider> ProviderStore::get(const std::string& tenant_id, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  auto row = s_.db.query_one(kSelectProvider, {tenant_id, id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

ResolvedProvider ProviderStore::resolve(const std::string& tenant_id, const json& spec) {
  ResolvedProvider r;
  const std::string type = spec.value("type", std::string());
  if (type == "saved") {
    const auto saved = get(tenant_id, spec.value("provider_id", std::string()));
    if (!saved) throw Error(ErrorCode::kNotFound, "the saved provider is gone");
    r.spec = saved->spec;
    if (saved->api_key_sealed) r.spec["api_key"] = s_.secrets.open(*saved->api_key_sealed);
    r.limit_key = "provider:" + saved->id;
    r.max_concurrent_scans = saved->max_concurrent_scans;
  } else {
    r.spec = spec;
    if (type == "http_json") r.limit_key = "origin:" + url_origin(spec.value("url_template", std::string()));
  }
  r.rate_per_minute = r.spec.value("rate_per_minute", 0.0);
  return r;
}

SavedProvider ProviderStore::find(storage::Session& tx, const http::Request& req) {
  const auto id = req.param("id");
  check_id(id, "provider");
  auto row = tx.query_one(kSelectProvider, {req.who().tenant_id, std::string(id)});
  if (!row) throw Error(ErrorCode::kNotFound, "no such provider", {{"id", std::string(id)}});
  return from_row(*row);
}

http::Response ProviderStore::create(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  json spec = body.at("provider");
  check_provider_spec(s_, who.tenant_id, spec);
  SavedProvider p;
  p.id = new_uuid_v7();
  p.tenant_id = who.tenant_id;
  p.name = body.at("name");
  if (spec.contains("api_key")) {
    p.api_key_sealed = s_.secrets.seal(spec["api_key"].get<std::string>());
    spec.erase("api_key");
  }
  p.spec = std::move(spec);
  p.max_concurrent_scans = body.value("max_concurrent_scans", kDefaultConcurrentScans);
  if (!who.user_id.empty()) p.created_by = who.user_id;
  p.created_at = p.updated_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  try {
    tx->execute(kInsertProvider, {p.id, p.tenant_id, p.name, p.spec.dump(), sealed_value(p.api_key_sealed),
                                  p.max_concurrent_scans, p.created_by, p.created_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "the tenant has a provider of that name", {{"name", p.name}});
  }
  s_.audit.record(*tx, api::audit_entry(req, "brand_protection.provider_create", "provider:" + p.id,
                                        {{"name", p.name}, {"type", p.spec.value("type", "")}}));
  tx->commit();
  return http::Response::json(saved_provider_json(p), 201);
}

http::Response ProviderStore::list(http::Request& req) {
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  std::vector<SavedProvider> rows;
  for (const auto& r : s_.db.query(kListProviders, {req.who().tenant_id, q.cursor.value_or("~"), q.fetch()}).rows) {
    rows.push_back(from_row(r));
  }
  return http::Response::json(
      http::page_body(q, rows, saved_provider_json, [](const SavedProvider& p) { return p.id; }));
}

http::Response ProviderStore::show(http::Request& req) {
  return http::Response::json(saved_provider_json(find(s_.db, req)));
}

// The members given replace the stored ones. A new provider spec with an api_key replaces the key; one
// without keeps the stored key.
http::Response ProviderStore::patch(http::Request& req) {
  const json change = req.json();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  SavedProvider p = find(*tx, req);  // an unknown provider is 404 whatever the body
  if (change.empty()) {
    throw Error(ErrorCode::kValidationFailed, "invalid provider", {{"fields", {{"body", "names nothing to change"}}}});
  }
  if (change.contains("name")) p.name = change["name"];
  if (change.contains("max_concurrent_scans")) p.max_concurrent_scans = change["max_concurrent_scans"];
  bool key_changed = false;
  if (change.contains("provider")) {
    json spec = change["provider"];
    check_provider_spec(s_, p.tenant_id, spec);
    if (spec.contains("api_key")) {
      p.api_key_sealed = s_.secrets.seal(spec["api_key"].get<std::string>());
      spec.erase("api_key");
      key_changed = true;
    }
    p.spec = std::move(spec);
  }
  p.updated_at = now_micros();
  try {
    tx->execute(kUpdateProvider, {p.tenant_id, p.id, p.name, p.spec.dump(), sealed_value(p.api_key_sealed),
                                  p.max_concurrent_scans, p.updated_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "the tenant has a provider of that name", {{"name", p.name}});
  }
  json changed = json::array();
  for (auto it = change.begin(); it != change.end(); ++it) changed.push_back(it.key());
  s_.audit.record(*tx, api::audit_entry(req, "brand_protection.provider_update", "provider:" + p.id,
                                        {{"changed", changed}, {"api_key_changed", key_changed}}));
  tx->commit();
  return http::Response::json(saved_provider_json(p));
}

http::Response ProviderStore::remove(http::Request& req) {
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  const SavedProvider p = find(*tx, req);
  tx->execute(kDeleteProvider, {p.tenant_id, p.id});
  s_.audit.record(*tx, api::audit_entry(req, "brand_protection.provider_delete", "provider:" + p.id));
  tx->commit();
  return http::Response::no_content();
}

api::ExportPart ProviderStore::export_user(const std::string& user_id) {
  api::ExportPart part{json::array(), {}};
  for (const auto& r : s_.db.query(kProvidersOf, {user_id}).rows) part.data.push_back(saved_provider_json(from_row(r)));
  return part;
}

// Providers are the client's configuration: they stay for the tenant without their creator.
void ProviderStore::erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) {
  tx.execute(kForgetCreator, {user_id});
}

void ProviderStore::install(http::Router& router) {
  const auto tag = "brand_protection";
  router.add(http::Method::kPost, "/api/v1/brands/providers", [this](http::Request& r) { return create(r); },
             {.summary = "Save a search provider; its API key is sealed at rest and never answered",
              .tag = tag,
              .request_schema = saved_schema(true),
              .response_schema = saved_response_schema(),
              .success_status = 201},
             {.role = auth::Role::kAdmin});
  router.add(http::Method::kGet, "/api/v1/brands/providers", [this](http::Request& r) { return list(r); },
             {.summary = "The tenant's saved providers, newest first",
              .tag = tag,
              .response_schema = http::page_schema(saved_response_schema())});
  router.add(
      http::Method::kGet, "/api/v1/brands/providers/{id}", [this](http::Request& r) { return show(r); },
      {.summary = "One saved provider (without its API key)", .tag = tag, .response_schema = saved_response_schema()});
  router.add(http::Method::kPatch, "/api/v1/brands/providers/{id}", [this](http::Request& r) { return patch(r); },
             {.summary = "Change a saved provider; a provider spec with an api_key replaces the key",
              .tag = tag,
              .request_schema = saved_schema(false),
              .response_schema = saved_response_schema()},
             {.role = auth::Role::kAdmin});
  router.add(http::Method::kDelete, "/api/v1/brands/providers/{id}", [this](http::Request& r) { return remove(r); },
             {.summary = "Delete a saved provider", .tag = tag, .success_status = 204}, {.role = auth::Role::kAdmin});
}

}  // namespace tyto::products::brand_protection
