// The caller's own account: who am I, change my password, delete me.
#include "api/detail/auth_routes.hpp"

#include "tyto/core/error.hpp"

namespace tyto::api::detail {
namespace {

using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

Response me(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  json out = {{"role", auth::role_name(who.role)}, {"user", nullptr}, {"api_key", nullptr}, {"tenants", json::array()}};
  out["grants"] = json::array();
  for (const auto r : who.grants) out["grants"].push_back(auth::role_name(r));
  if (auto t = s.ids.tenant_by_id(who.tenant_id)) out["tenant"] = t->to_json();
  if (who.is_user()) {
    if (auto u = s.ids.user_by_id(who.user_id)) out["user"] = u->to_json();
    for (const auto& m : s.ids.memberships_of(who.user_id)) {
      if (auto t = s.ids.tenant_by_id(m.tenant_id)) {
        json item = t->to_json();
        item["role"] = auth::role_name(m.role);
        out["tenants"].push_back(item);
      }
    }
  } else if (auto k = s.ids.api_key(who.tenant_id, who.subject_id)) {
    out["api_key"] = {{"id", k->id}, {"name", k->name}};
  }
  return Response::json(out);
}

Response change_password(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  if (!who.is_user()) throw Error(ErrorCode::kForbidden, "only users have passwords");
  const json body = req.json();
  const std::string current = body["current_password"].get<std::string>();
  const std::string next = body["new_password"].get<std::string>();
  auto user = s.ids.user_by_id(who.user_id);
  AuthService::PasswordSlot slot(s.svc);
  if (!user || !auth::verify_password(current, user->password_hash)) bad_credentials();
  s.ids.set_password_hash(user->id, auth::hash_password(next, s.svc.password_params()));
  s.ids.revoke_all_of_user(user->id, who.session_id);  // every other session ends, its access tokens too
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "auth.password_change", "user:" + user->id));
  return Response::no_content();
}

}  // namespace

void add_account_routes(http::Router& router, const std::shared_ptr<AuthShared>& s) {
  const auto viewer = role_options(auth::Role::kViewer);
  router.add(Method::kGet, "/api/v1/auth/me", handler(s, me),
             {.summary = "The caller: user or API key, tenant, role and granted product roles", .tag = "auth"}, viewer);
  http::RouteOptions password = viewer;
  // The password policy needs the blocklist: no schema's business.
  password.body_check = [s](const Request&, const json& body, json& fields) {
    if (!body.contains("new_password") || !body["new_password"].is_string()) return;
    if (auto why = auth::check_password_policy(body["new_password"].get<std::string>(), &s->svc.password_blocklist())) {
      fields["new_password"] = *why;
    }
  };
  router.add(Method::kPost, "/api/v1/auth/password", handler(s, change_password),
             {.summary = "Change the caller's password (ends other sessions)",
              .tag = "auth",
              .request_schema =
                  object_schema({{"current_password", {{"type", "string"}}}, {"new_password", {{"type", "string"}}}},
                                {"current_password", "new_password"}),
              .success_status = 204},
             password);
}

}  // namespace tyto::api::detail
