// Sessions: register, log in, refresh and log out (public routes).
#include "api/detail/auth_routes.hpp"

#include "tyto/auth/tokens.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

namespace tyto::api::detail {
namespace {

using auth::Role;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::int64_t kMicros = 1'000'000;

std::string tenant_name_for(const std::string& email) {
  std::string base;
  for (char c : email.substr(0, email.find('@'))) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) base.push_back(c);
    if (base.size() >= 40) break;
  }
  if (base.empty()) base = "tenant";
  return base + "-" + hex_encode(random_bytes(3));
}

Response login(AuthShared& s, const Request& req) {
  const json body = req.json();
  const std::string email_in = body["email"].get<std::string>();
  const std::string password = body["password"].get<std::string>();
  const std::string tenant_name = optional_string(body, "tenant");
  s.svc.admit_login(req);
  const std::string email = auth::normalize_email(email_in).value_or(email_in.substr(0, 254));
  const std::int64_t now = now_micros();
  if (auto wait = s.svc.login_guard().check(email, req.remote_address, now)) {
    auto e = audit_entry(req, "auth.login_locked", {}, {{"email", email}});
    if (auto u = s.ids.user_by_email(email)) {
      e.resource = "user:" + u->id;
      if (auto ms = s.ids.memberships_of(u->id); !ms.empty()) e.tenant_id = ms.front().tenant_id;
    }
    s.svc.audit().record(e);
    throw Error(ErrorCode::kRateLimited, "too many failed logins; try again later",
                {{"scope", "login"}, {"retry_after_s", static_cast<std::int64_t>(wait->count())}});
  }
  auto user = s.ids.user_by_email(email);
  std::optional<AuthService::PasswordSlot> slot(std::in_place, s.svc);
  const bool ok = auth::verify_password(password, user ? user->password_hash : s.dummy_hash) && user && !user->disabled;
  slot.reset();
  if (!ok) {
    s.svc.login_guard().record_failure(email, req.remote_address, now);
    // A failed login on a known account is shown to its tenant's admins; unknown emails stay platform-level.
    auto e = audit_entry(req, "auth.login_failed", user ? "user:" + user->id : "", {{"email", email}});
    if (user) {
      if (auto ms = s.ids.memberships_of(user->id); !ms.empty()) e.tenant_id = ms.front().tenant_id;
    }
    s.svc.audit().record(e);
    bad_credentials();
  }
  // The tenant: the one asked for, else the first membership.
  std::optional<auth::Tenant> tenant;
  if (!tenant_name.empty()) {
    tenant = s.ids.tenant_by_name(tenant_name);
  } else if (auto ms = s.ids.memberships_of(user->id); !ms.empty()) {
    tenant = s.ids.tenant_by_id(ms.front().tenant_id);
  } else if (user->superadmin) {
    tenant = s.ids.tenant_by_name("default");
  }
  std::optional<Role> role = tenant ? s.svc.role_in(*user, tenant->id) : std::nullopt;
  if (!role) throw Error(ErrorCode::kForbidden, "the account is not a member of this tenant");
  s.svc.login_guard().record_success(email, req.remote_address, now);
  if (auth::needs_rehash(user->password_hash, s.svc.password_params())) {
    AuthService::PasswordSlot rehash_slot(s.svc);
    s.ids.set_password_hash(user->id, auth::hash_password(password, s.svc.password_params()));
  }
  s.ids.touch_login(user->id);
  auto entry = audit_entry(req, "auth.login", "user:" + user->id);
  entry.tenant_id = tenant->id;
  entry.actor = "user:" + user->id;
  s.svc.audit().record(entry);
  return Response::json(s.svc.issue_tokens(*user, *tenant, *role, s.svc.start_session(*user, *tenant)));
}

// The email's form and the password policy (which needs the blocklist) are no schema's business.
void check_registration(AuthService& svc, const json& body, json& fields) {
  check_email_form(body, fields);
  if (body.contains("password") && body["password"].is_string()) {
    if (auto why = auth::check_password_policy(body["password"].get<std::string>(), &svc.password_blocklist())) {
      fields["password"] = *why;
    }
  }
}

Response register_user(AuthShared& s, const Request& req) {
  const std::string& mode = s.svc.config().auth.registration;
  const json body = req.json();
  const std::string email = *auth::normalize_email(body["email"].get<std::string>());
  const std::string password = body["password"].get<std::string>();
  const std::string display_name = optional_string(body, "display_name");
  const std::string invitation_token = optional_string(body, "invitation");
  const std::string tenant_name = optional_string(body, "tenant_name");
  if (mode == "closed") throw Error(ErrorCode::kForbidden, "registration is closed");
  s.svc.admit_login(req);

  std::optional<auth::Invitation> invitation;
  if (!invitation_token.empty()) {
    invitation = s.ids.open_invitation(invitation_token);
    if (!invitation) throw Error(ErrorCode::kForbidden, "the invitation is unknown, used or expired");
    if (invitation->email != email) throw Error(ErrorCode::kForbidden, "the invitation is for another email address");
  } else if (mode != "open") {
    throw Error(ErrorCode::kForbidden, "registration needs an invitation");
  }

  std::string hash;
  {
    AuthService::PasswordSlot slot(s.svc);
    hash = auth::hash_password(password, s.svc.password_params());
  }
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  auth::User user = s.ids.create_user(*tx, email, hash, display_name);
  auth::Tenant tenant;
  Role role = Role::kAdmin;
  if (invitation) {
    s.ids.accept_invitation(*tx, invitation->id);
    tenant = *s.ids.tenant_by_id(invitation->tenant_id);
    role = invitation->role;
  } else {
    tenant = s.ids.create_tenant(*tx, tenant_name.empty() ? tenant_name_for(email) : tenant_name, display_name);
  }
  s.ids.add_membership(*tx, user.id, tenant.id, role);
  auto entry = audit_entry(req, "auth.register", "user:" + user.id, {{"role", auth::role_name(role)}});
  entry.tenant_id = tenant.id;
  entry.actor = "user:" + user.id;
  s.svc.audit().record(*tx, entry);
  tx->commit();
  return Response::json(s.svc.issue_tokens(user, tenant, role, s.svc.start_session(user, tenant)), 201);
}

Response refresh(AuthShared& s, const Request& req) {
  const std::string token = req.json()["refresh_token"].get<std::string>();
  const std::int64_t now = now_micros();
  auto r = s.ids.rotate_refresh_token(token, now, now + s.svc.config().auth.refresh_ttl.count() * kMicros,
                                      s.svc.config().auth.refresh_grace.count() * 1000);
  if (r.outcome == auth::RefreshOutcome::kReused) {
    auth::AuditEntry e = audit_entry(req, "auth.refresh_reuse", "user:" + r.user_id, {{"family", r.family_id}});
    e.tenant_id = r.tenant_id;
    s.svc.audit().record(e);
    log::warn("a used refresh token was presented again; its session is revoked", {{"user", r.user_id}});
  }
  if (r.outcome == auth::RefreshOutcome::kRaced) {
    throw Error(ErrorCode::kConflict, "this refresh token was used a moment ago; use the tokens that answer returned");
  }
  if (r.outcome != auth::RefreshOutcome::kRotated) throw Error(ErrorCode::kUnauthorized, "invalid refresh token");
  auto user = s.ids.user_by_id(r.user_id);
  auto tenant = s.ids.tenant_by_id(r.tenant_id);
  std::optional<Role> role = user && !user->disabled && tenant ? s.svc.role_in(*user, tenant->id) : std::nullopt;
  if (!role) throw Error(ErrorCode::kUnauthorized, "the account no longer has access to this tenant");
  return Response::json(s.svc.issue_tokens(*user, *tenant, *role, {r.new_token, r.family_id}));
}

Response logout(AuthShared& s, const Request& req) {
  const std::string token = req.json()["refresh_token"].get<std::string>();
  if (auto owner = s.ids.revoke_family_of(token)) {
    auto e = audit_entry(req, "auth.logout", "user:" + owner->first);
    e.actor = "user:" + owner->first;
    e.tenant_id = owner->second;
    s.svc.audit().record(e);
    s.svc.forget_caches();  // the session's access tokens stop here at once, elsewhere within the cache TTL
  }
  return Response::no_content();
}

json token_schema() {
  return object_schema({{"access_token", {{"type", "string"}}},
                        {"token_type", {{"type", "string"}}},
                        {"expires_in", {{"type", "integer"}}},
                        {"refresh_token", {{"type", "string"}}},
                        {"user", {{"type", "object"}}},
                        {"tenant", {{"type", "object"}}},
                        {"role", {{"type", "string"}}}});
}

}  // namespace

void add_session_routes(http::Router& router, const std::shared_ptr<AuthShared>& s) {
  const json refresh_in = object_schema({{"refresh_token", {{"type", "string"}}}}, {"refresh_token"});
  router.add(
      Method::kPost, "/api/v1/auth/login", handler(s, login),
      {.summary = "Log in: an access token (JWT) and a refresh token",
       .tag = "auth",
       .request_schema = object_schema(
           {{"email", {{"type", "string"}}}, {"password", {{"type", "string"}}}, {"tenant", optional_string_schema()}},
           {"email", "password"}),
       .response_schema = token_schema()},
      public_options());
  http::RouteOptions registration = public_options();
  registration.body_check = [s](const Request&, const json& body, json& fields) {
    check_registration(s->svc, body, fields);
  };
  router.add(Method::kPost, "/api/v1/auth/register", handler(s, register_user),
             {.summary = "Create an account (auth.registration: open, invite or closed)",
              .tag = "auth",
              .request_schema = object_schema({{"email", {{"type", "string"}, {"format", "email"}}},
                                               {"password", {{"type", "string"}}},
                                               {"display_name", optional_string_schema(200)},
                                               {"invitation", optional_string_schema()},
                                               {"tenant_name", optional_string_schema()}},
                                              {"email", "password"}),
              .response_schema = token_schema(),
              .success_status = 201},
             registration);
  router.add(Method::kPost, "/api/v1/auth/refresh", handler(s, refresh),
             {.summary = "Trade a refresh token for new tokens (the old one is used up)",
              .tag = "auth",
              .request_schema = refresh_in,
              .response_schema = token_schema()},
             public_options());
  router.add(Method::kPost, "/api/v1/auth/logout", handler(s, logout),
             {.summary = "End the session of a refresh token",
              .tag = "auth",
              .request_schema = refresh_in,
              .success_status = 204},
             public_options());
}

}  // namespace tyto::api::detail
