// Tenants (superadmins), their limits, and a tenant's audit log (admins).
#include "api/detail/auth_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/http/page.hpp"

#include <algorithm>

namespace tyto::api::detail {
namespace {

using auth::Role;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

// Audit entry ids count up from 1.
bool is_audit_cursor(std::string_view c) {
  return c.size() <= 18 && std::all_of(c.begin(), c.end(), [](char d) { return d >= '0' && d <= '9'; });
}

Response list_audit(AuthShared& s, const Request& req) {
  auth::AuditQuery q;
  q.tenant_id = req.who().tenant_id;
  q.action = req.query("action");
  if (q.action && q.action->empty()) q.action.reset();
  q.actor = req.query("actor");
  if (q.actor && q.actor->empty()) q.actor.reset();
  const auto page = http::page_query(req, q.limit, 500, is_audit_cursor);
  if (page.cursor) q.before_id = std::stoll(*page.cursor);
  q.limit = page.fetch();
  const auto entries = s.svc.audit().list(q);
  return Response::json(http::page_body(
      page, entries, [](const auth::AuditEntry& e) { return e.to_json(); },
      [](const auth::AuditEntry& e) { return std::to_string(e.id); }));
}

Response list_tenants(AuthShared& s, const Request&) {
  json items = json::array();
  for (const auto& t : s.ids.list_tenants()) items.push_back(t.to_json());
  return Response::json(http::page_body(std::move(items)));
}

Response create_tenant(AuthShared& s, const Request& req) {
  const json body = req.json();
  const std::string name = body["name"].get<std::string>();
  auto t = s.ids.create_tenant(s.ids.db(), name, optional_string(body, "display_name"));
  auto entry = audit_entry(req, "tenant.create", "tenant:" + t.id, {{"name", name}});
  entry.tenant_id = t.id;  // recorded where the tenant's admins will look, not in the superadmin's tenant
  s.svc.audit().record(entry);
  return Response::json(t.to_json(), 201);
}

// A superadmin may read any tenant's limits; everyone else only their own.
std::string limits_tenant(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  std::string id(req.param("id"));
  if (id == "current") id = who.tenant_id;
  if (id != who.tenant_id && !who.allows(Role::kSuperadmin)) throw Error(ErrorCode::kNotFound, "no such tenant");
  if (!s.ids.tenant_by_id(id)) throw Error(ErrorCode::kNotFound, "no such tenant");
  return id;
}

Response get_limits(AuthShared& s, const Request& req) {
  const std::string id = limits_tenant(s, req);
  auto t = s.ids.tenant_by_id(id);
  return Response::json({{"effective", s.svc.limits_for(id).to_json()}, {"overrides", t->limits}});
}

Response put_limits(AuthShared& s, const Request& req) {
  const std::string id = limits_tenant(s, req);
  const json body = req.json();
  json overrides = json::object();
  for (const auto& [k, v] : body.items()) {
    if (!v.is_null()) overrides[k] = v;
  }
  s.ids.set_tenant_limits(id, overrides);
  s.svc.forget_tenant(id);
  auto entry = audit_entry(req, "tenant.limits_change", "tenant:" + id, overrides);
  entry.tenant_id = id;  // the tenant acted on
  s.svc.audit().record(entry);
  return get_limits(s, req);
}

}  // namespace

void add_tenant_routes(http::Router& router, const std::shared_ptr<AuthShared>& s) {
  const auto superadmin = role_options(Role::kSuperadmin);
  router.add(Method::kGet, "/api/v1/audit", handler(s, list_audit),
             {.summary = "The tenant's audit log, newest first (?action=&actor=&limit=&cursor=)",
              .tag = "auth",
              .response_schema = http::page_schema()},
             role_options(Role::kAdmin));
  router.add(Method::kGet, "/api/v1/tenants", handler(s, list_tenants),
             {.summary = "Every tenant (one page)", .tag = "tenants", .response_schema = http::page_schema()},
             superadmin);
  router.add(Method::kPost, "/api/v1/tenants", handler(s, create_tenant),
             {.summary = "Create a tenant",
              .tag = "tenants",
              .request_schema =
                  object_schema({{"name", {{"type", "string"}}}, {"display_name", optional_string_schema()}}, {"name"}),
              .success_status = 201},
             superadmin);
  router.add(Method::kGet, "/api/v1/tenants/{id}/limits", handler(s, get_limits),
             {.summary = "A tenant's effective limits and overrides (id \"current\": the caller's)", .tag = "tenants"},
             role_options(Role::kViewer));
  router.add(Method::kPut, "/api/v1/tenants/{id}/limits", handler(s, put_limits),
             {.summary = "Set a tenant's limit overrides (null removes one)",
              .tag = "tenants",
              .request_schema = limit_overrides_schema()},
             superadmin);
}

}  // namespace tyto::api::detail
