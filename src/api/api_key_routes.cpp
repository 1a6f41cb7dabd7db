// API keys of a tenant: list, create (the key is shown once), revoke.
#include "api/detail/auth_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"

namespace tyto::api::detail {
namespace {

using auth::Role;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::int64_t kMicros = 1'000'000;
constexpr std::int64_t kMinKeyLifetime = 60;
constexpr std::int64_t kMaxKeyLifetime = 5LL * 365 * 86400;

bool may_manage_key(const auth::Principal& who, const auth::ApiKey& k) {
  return who.allows(Role::kAdmin) || (!who.user_id.empty() && k.created_by == who.user_id);
}

Response list_keys(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const auto page = http::page_query(req, 100, 500, is_uuid);
  // Non-admins see the keys they made; a key made without a user is managed by admins only.
  std::optional<std::string> mine;
  if (!who.allows(Role::kAdmin)) {
    if (who.user_id.empty()) return Response::json(http::page_body(json::array()));
    mine = who.user_id;
  }
  const auto keys = s.ids.list_api_keys(who.tenant_id, mine, page.cursor, page.fetch());
  return Response::json(http::page_body(
      page, keys, [](const auth::ApiKey& k) { return k.to_json(); }, [](const auth::ApiKey& k) { return k.id; }));
}

Response create_key(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const std::string name = body["name"].get<std::string>();
  const Role role = role_or(body, "role", Role::kUser);
  std::optional<std::int64_t> expires_at;
  if (const auto& in = body.value("expires_in_s", json()); in.is_number()) {
    expires_at = now_micros() + in.get<std::int64_t>() * kMicros;
  }
  check_grantable(who, role);
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  auto [key, secret] = s.ids.create_api_key(*tx, who.tenant_id, name, role, who.user_id, expires_at);
  s.svc.audit().record(
      *tx, audit_entry(req, "api_key.create", "api_key:" + key.id, {{"name", name}, {"role", auth::role_name(role)}}));
  tx->commit();
  json out = key.to_json();
  out["key"] = secret;
  return Response::json(out, 201);
}

Response revoke_key(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  auto k = s.ids.api_key(who.tenant_id, id);
  if (!k || !may_manage_key(who, *k)) throw Error(ErrorCode::kNotFound, "no such API key");
  s.ids.revoke_api_key(who.tenant_id, id);
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "api_key.revoke", "api_key:" + id));
  return Response::no_content();
}

}  // namespace

void add_api_key_routes(http::Router& router, const std::shared_ptr<AuthShared>& s) {
  const auto user = role_options(Role::kUser);
  router.add(Method::kGet, "/api/v1/api-keys", handler(s, list_keys),
             {.summary = "API keys (admins: all of the tenant), newest first (?limit=&cursor=)",
              .tag = "auth",
              .response_schema = http::page_schema()},
             user);
  router.add(Method::kPost, "/api/v1/api-keys", handler(s, create_key),
             {.summary = "Create an API key; the key is in this response only",
              .tag = "auth",
              .request_schema = object_schema(
                  {{"name", {{"type", "string"}, {"maxLength", 200}}},
                   {"role", role_schema()},
                   {"expires_in_s",
                    {{"type", {"integer", "null"}}, {"minimum", kMinKeyLifetime}, {"maximum", kMaxKeyLifetime}}}},
                  {"name"}),
              .success_status = 201},
             user);
  router.add(Method::kDelete, "/api/v1/api-keys/{id}", handler(s, revoke_key),
             {.summary = "Revoke an API key", .tag = "auth", .success_status = 204}, user);
}

}  // namespace tyto::api::detail
