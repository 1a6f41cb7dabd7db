// Members of a tenant and invitations to join it (admins).
#include "api/detail/auth_routes.hpp"

#include "tyto/core/error.hpp"
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
constexpr std::int64_t kInvitationLifetime = 7LL * 86400 * kMicros;

json grant_names(const std::vector<Role>& grants) {
  json names = json::array();
  for (const Role r : grants) names.push_back(auth::role_name(r));
  return names;
}

// The member {id} of the caller's tenant (404 otherwise, as for another tenant's) and the product role {role}
// (404 for a name the build does not declare as a product role).
std::pair<std::string, Role> grant_target(AuthShared& s, const Request& req) {
  const std::string id(req.param("id"));
  const std::string name(req.param("role"));
  if (!s.ids.membership(id, req.who().tenant_id)) throw Error(ErrorCode::kNotFound, "no such user in this tenant");
  const auto role = auth::parse_role(name);
  if (!role || !auth::is_product_role(*role)) {
    throw Error(ErrorCode::kNotFound, "no product declares this role", {{"role", name}});
  }
  return {id, *role};
}

// Grants are idempotent: granting a held role again answers 204 and records nothing.
Response grant_role(AuthShared& s, const Request& req) {
  const auto [id, role] = grant_target(s, req);
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  if (s.ids.grant_role(*tx, req.who().tenant_id, id, role, req.who().user_id)) {
    s.svc.audit().record(*tx, audit_entry(req, "user.role_grant", "user:" + id, {{"role", auth::role_name(role)}}));
  }
  tx->commit();
  s.svc.forget_caches();
  return Response::no_content();
}

Response revoke_role(AuthShared& s, const Request& req) {
  const auto [id, role] = grant_target(s, req);
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  if (!s.ids.revoke_role(*tx, req.who().tenant_id, id, role)) {
    throw Error(ErrorCode::kNotFound, "the member does not hold this role by grant", {{"role", auth::role_name(role)}});
  }
  s.svc.audit().record(*tx, audit_entry(req, "user.role_revoke", "user:" + id, {{"role", auth::role_name(role)}}));
  tx->commit();
  s.svc.forget_caches();
  return Response::no_content();
}

Response list_users(AuthShared& s, const Request& req) {
  json items = json::array();
  for (const auto& m : s.ids.members(req.who().tenant_id)) {
    json u = m.user.to_json();
    u["role"] = auth::role_name(m.role);
    u["grants"] = grant_names(m.grants);
    items.push_back(u);
  }
  return Response::json(http::page_body(std::move(items)));
}

Response update_user(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  const Role role = role_or(req.json(), "role", Role::kViewer);
  check_grantable(who, role);
  if (!s.ids.set_role(who.tenant_id, id, role)) throw Error(ErrorCode::kNotFound, "no such user in this tenant");
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "user.role_change", "user:" + id, {{"role", auth::role_name(role)}}));
  return Response::no_content();
}

Response remove_user(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  if (id == who.user_id) throw Error(ErrorCode::kConflict, "use DELETE /api/v1/me to leave");
  if (!s.ids.remove_membership(who.tenant_id, id)) throw Error(ErrorCode::kNotFound, "no such user in this tenant");
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "user.remove", "user:" + id));
  return Response::no_content();
}

Response invite(AuthShared& s, const Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const std::string email = *auth::normalize_email(body["email"].get<std::string>());
  const Role role = role_or(body, "role", Role::kUser);
  check_grantable(who, role);
  if (s.svc.config().auth.registration == "closed") {
    throw Error(ErrorCode::kForbidden, "registration is closed, so an invitation could not be used",
                {{"registration", "closed"}});
  }
  const std::int64_t expires = now_micros() + kInvitationLifetime;
  auto [inv, token] = s.ids.create_invitation(who.tenant_id, email, role, who.user_id, expires);
  s.svc.audit().record(audit_entry(req, "invitation.create", "invitation:" + inv.id,
                                   {{"email", email}, {"role", auth::role_name(role)}}));
  return Response::json({{"id", inv.id},
                         {"email", inv.email},
                         {"role", auth::role_name(role)},
                         {"token", token},
                         {"expires_at", format_rfc3339(expires)}},
                        201);
}

}  // namespace

void add_member_routes(http::Router& router, const std::shared_ptr<AuthShared>& s) {
  const auto admin = role_options(Role::kAdmin);
  router.add(Method::kGet, "/api/v1/users", handler(s, list_users),
             {.summary = "Members of the tenant and their roles (one page)",
              .tag = "auth",
              .response_schema = http::page_schema()},
             admin);
  router.add(Method::kPatch, "/api/v1/users/{id}", handler(s, update_user),
             {.summary = "Change a member's role",
              .tag = "auth",
              .request_schema = object_schema({{"role", role_schema()}}, {"role"}),
              .success_status = 204},
             admin);
  router.add(Method::kDelete, "/api/v1/users/{id}", handler(s, remove_user),
             {.summary = "Remove a member from the tenant", .tag = "auth", .success_status = 204}, admin);
  router.add(
      Method::kPut, "/api/v1/users/{id}/grants/{role}", handler(s, grant_role),
      {.summary = "Grant a member a product role, beside its role (idempotent)", .tag = "auth", .success_status = 204},
      admin);
  router.add(Method::kDelete, "/api/v1/users/{id}/grants/{role}", handler(s, revoke_role),
             {.summary = "Revoke a product role granted to a member", .tag = "auth", .success_status = 204}, admin);
  http::RouteOptions invitation = admin;
  invitation.body_check = [](const Request&, const json& body, json& fields) { check_email_form(body, fields); };
  router.add(Method::kPost, "/api/v1/invitations", handler(s, invite),
             {.summary = "Invite someone to the tenant; the token is in this response only",
              .tag = "auth",
              .request_schema = object_schema(
                  {{"email", {{"type", "string"}, {"format", "email"}}}, {"role", role_schema()}}, {"email"}),
              .success_status = 201},
             invitation);
}

}  // namespace tyto::api::detail
