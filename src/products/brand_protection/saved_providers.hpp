// Saved search providers: a tenant's provider specs with their API keys sealed at rest (Services::secrets)
// and their share of concurrent scans, so scans and brand schedules name a provider by id
// ({"type": "saved", "provider_id": "…"}) and nobody reads the key back. Routes under
// /api/v1/brands/providers (saved_providers.cpp); the store is also the product's personal data (its
// creators).
#pragma once

#include "tyto/api/personal_data.hpp"
#include "tyto/http/request.hpp"
#include "tyto/product.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace tyto::products::brand_protection {

struct SavedProvider {
  std::string id;
  std::string tenant_id;
  std::string name;
  nlohmann::json spec;  // as make_provider takes it, without api_key
  std::optional<std::string> api_key_sealed;
  std::int64_t max_concurrent_scans = 2;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// What a scan runs: the spec with its API key opened, and the limits it shares with other scans.
struct ResolvedProvider {
  nlohmann::json spec;
  std::string limit_key;                  // "provider:<id>", "origin:<origin>", or empty (no shared limits)
  std::int64_t max_concurrent_scans = 0;  // of limit_key; 0: no limit of its own
  double rate_per_minute = 0;             // requests to the provider, shared by every scan of limit_key
};

class ProviderStore final : public api::PersonalData {
 public:
  ProviderStore(Services& s) : s_(s) {}

  std::optional<SavedProvider> get(const std::string& tenant_id, const std::string& id);

  // The spec a scan runs (a saved provider's, opened; any other as given) and its shared limits. Throws
  // Error(kNotFound) for a saved provider that is gone, Error(kInternal) for a key sealed under another
  // auth.secret.
  ResolvedProvider resolve(const std::string& tenant_id, const nlohmann::json& spec);

  void install(http::Router& router);

  std::string_view section() const override { return "brand_protection.providers"; }
  api::ExportPart export_user(const std::string& user_id) override;
  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) override;

 private:
  http::Response create(http::Request& req);
  http::Response list(http::Request& req);
  http::Response show(http::Request& req);
  http::Response patch(http::Request& req);
  http::Response remove(http::Request& req);
  SavedProvider find(storage::Session& tx, const http::Request& req);

  Services& s_;
};

nlohmann::json saved_provider_json(const SavedProvider& p);

// Checks what make_provider cannot alone: a file provider's object and a saved provider exist in the tenant, an
// http_json template is an absolute http(s) URL with {query}. Throws Error(kValidationFailed) naming the member.
void check_provider_spec(Services& s, const std::string& tenant_id, const nlohmann::json& provider);

}  // namespace tyto::products::brand_protection
