#include "tyto/api/auth_routes.hpp"

#include "tyto/auth/tokens.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <memory>

namespace tyto::api {
namespace {

using auth::Role;
using http::Method;
using http::Request;
using http::Response;
using http::RouteOptions;
using nlohmann::json;

constexpr std::int64_t kMicros = 1'000'000;
constexpr std::size_t kSmallBody = 16 * 1024;

struct Shared {
  AuthRoutesDeps deps;
  AuthService& svc;
  auth::IdentityStore& ids;
  std::string dummy_hash;  // verified against when the email is unknown, so timing does not tell
};

std::string string_field(const json& body, const char* name, json& fields, bool required = true) {
  if (!body.contains(name) || body[name].is_null()) {
    if (required) fields[name] = "required";
    return {};
  }
  if (!body[name].is_string()) {
    fields[name] = "must be a string";
    return {};
  }
  return body[name].get<std::string>();
}

void throw_if(const json& fields) {
  if (!fields.empty()) throw validation_error("invalid request", fields);
}

json object_body(const Request& req) {
  json body = req.json();
  if (!body.is_object()) throw validation_error("the body must be a JSON object", {{"(root)", "must be an object"}});
  return body;
}

Role role_field(const json& body, const char* name, json& fields, Role fallback) {
  if (!body.contains(name)) return fallback;
  if (!body[name].is_string()) {
    fields[name] = "must be a role name";
    return fallback;
  }
  auto r = auth::parse_role(body[name].get<std::string>());
  if (!r) {
    fields[name] = "unknown role";
    return fallback;
  }
  return *r;
}

// An admin may grant any role it holds itself; nobody grants superadmin through the API.
void check_grantable(const auth::Principal& who, Role role) {
  if (role == Role::kSuperadmin || !who.allows(role)) {
    throw Error(ErrorCode::kForbidden, "you may not grant this role", {{"role", auth::role_name(role)}});
  }
}

[[noreturn]] void bad_credentials() { throw Error(ErrorCode::kUnauthorized, "wrong email or password"); }

std::string tenant_name_for(const std::string& email) {
  std::string base;
  for (char c : email.substr(0, email.find('@'))) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) base.push_back(c);
    if (base.size() >= 40) break;
  }
  if (base.empty()) base = "tenant";
  return base + "-" + hex_encode(random_bytes(3));
}

Response login(Shared& s, const Request& req) {
  json body = object_body(req);
  json fields = json::object();
  const std::string email_in = string_field(body, "email", fields);
  const std::string password = string_field(body, "password", fields);
  const std::string tenant_name = string_field(body, "tenant", fields, false);
  throw_if(fields);
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

Response register_user(Shared& s, const Request& req) {
  const std::string& mode = s.svc.config().auth.registration;
  json body = object_body(req);
  json fields = json::object();
  const std::string email_in = string_field(body, "email", fields);
  const std::string password = string_field(body, "password", fields);
  const std::string display_name = string_field(body, "display_name", fields, false);
  const std::string invitation_token = string_field(body, "invitation", fields, false);
  const std::string tenant_name = string_field(body, "tenant_name", fields, false);
  auto email = auth::normalize_email(email_in);
  if (!email_in.empty() && !email) fields["email"] = "not an email address";
  if (!password.empty()) {
    if (auto why = auth::check_password_policy(password, &s.svc.password_blocklist())) fields["password"] = *why;
  }
  if (display_name.size() > 200) fields["display_name"] = "at most 200 bytes";
  throw_if(fields);
  if (mode == "closed") throw Error(ErrorCode::kForbidden, "registration is closed");
  s.svc.admit_login(req);

  std::optional<auth::Invitation> invitation;
  if (!invitation_token.empty()) {
    invitation = s.ids.open_invitation(invitation_token);
    if (!invitation) throw Error(ErrorCode::kForbidden, "the invitation is unknown, used or expired");
    if (invitation->email != *email) throw Error(ErrorCode::kForbidden, "the invitation is for another email address");
  } else if (mode != "open") {
    throw Error(ErrorCode::kForbidden, "registration needs an invitation");
  }

  std::string hash;
  {
    AuthService::PasswordSlot slot(s.svc);
    hash = auth::hash_password(password, s.svc.password_params());
  }
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  auth::User user = s.ids.create_user(*tx, *email, hash, display_name);
  auth::Tenant tenant;
  Role role = Role::kAdmin;
  if (invitation) {
    s.ids.accept_invitation(*tx, invitation->id);
    tenant = *s.ids.tenant_by_id(invitation->tenant_id);
    role = invitation->role;
  } else {
    tenant = s.ids.create_tenant(*tx, tenant_name.empty() ? tenant_name_for(*email) : tenant_name, display_name);
  }
  s.ids.add_membership(*tx, user.id, tenant.id, role);
  auto entry = audit_entry(req, "auth.register", "user:" + user.id, {{"role", auth::role_name(role)}});
  entry.tenant_id = tenant.id;
  entry.actor = "user:" + user.id;
  s.svc.audit().record(*tx, entry);
  tx->commit();
  return Response::json(s.svc.issue_tokens(user, tenant, role, s.svc.start_session(user, tenant)), 201);
}

Response refresh(Shared& s, const Request& req) {
  json body = object_body(req);
  json fields = json::object();
  const std::string token = string_field(body, "refresh_token", fields);
  throw_if(fields);
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

Response logout(Shared& s, const Request& req) {
  json body = object_body(req);
  json fields = json::object();
  const std::string token = string_field(body, "refresh_token", fields);
  throw_if(fields);
  if (auto owner = s.ids.revoke_family_of(token)) {
    auto e = audit_entry(req, "auth.logout", "user:" + owner->first);
    e.actor = "user:" + owner->first;
    e.tenant_id = owner->second;
    s.svc.audit().record(e);
    s.svc.forget_caches();  // the session's access tokens stop here at once, elsewhere within the cache TTL
  }
  return Response::no_content();
}

Response me(Shared& s, const Request& req) {
  const auto& who = req.who();
  json out = {{"role", auth::role_name(who.role)}, {"user", nullptr}, {"api_key", nullptr}, {"tenants", json::array()}};
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

Response change_password(Shared& s, const Request& req) {
  const auto& who = req.who();
  if (!who.is_user()) throw Error(ErrorCode::kForbidden, "only users have passwords");
  json body = object_body(req);
  json fields = json::object();
  const std::string current = string_field(body, "current_password", fields);
  const std::string next = string_field(body, "new_password", fields);
  if (!next.empty()) {
    if (auto why = auth::check_password_policy(next, &s.svc.password_blocklist())) fields["new_password"] = *why;
  }
  throw_if(fields);
  auto user = s.ids.user_by_id(who.user_id);
  AuthService::PasswordSlot slot(s.svc);
  if (!user || !auth::verify_password(current, user->password_hash)) bad_credentials();
  s.ids.set_password_hash(user->id, auth::hash_password(next, s.svc.password_params()));
  s.ids.revoke_all_of_user(user->id, who.session_id);  // every other session ends, its access tokens too
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "auth.password_change", "user:" + user->id));
  return Response::no_content();
}

// ---- API keys

bool may_manage_key(const auth::Principal& who, const auth::ApiKey& k) {
  return who.allows(Role::kAdmin) || (!who.user_id.empty() && k.created_by == who.user_id);
}

Response list_keys(Shared& s, const Request& req) {
  const auto& who = req.who();
  const int limit = http::page_limit(req, 100, 500);
  std::optional<std::string> before;
  if (auto c = req.query("cursor"); c && !c->empty()) {
    if (!is_uuid(*c)) throw validation_error("invalid query", {{"cursor", "not a cursor"}});
    before = *c;
  }
  // Non-admins see the keys they made; a key made without a user is managed by admins only.
  std::optional<std::string> mine;
  if (!who.allows(Role::kAdmin)) {
    if (who.user_id.empty()) return Response::json({{"items", json::array()}, {"next_cursor", nullptr}});
    mine = who.user_id;
  }
  auto keys = s.ids.list_api_keys(who.tenant_id, mine, before, limit + 1);
  json items = json::array();
  json next = nullptr;
  for (int i = 0; i < static_cast<int>(keys.size()) && i < limit; ++i) items.push_back(keys[i].to_json());
  if (static_cast<int>(keys.size()) > limit) next = keys[limit - 1].id;
  return Response::json({{"items", items}, {"next_cursor", next}});
}

Response create_key(Shared& s, const Request& req) {
  const auto& who = req.who();
  json body = object_body(req);
  json fields = json::object();
  const std::string name = string_field(body, "name", fields);
  if (name.size() > 200) fields["name"] = "at most 200 bytes";
  const Role role = role_field(body, "role", fields, Role::kUser);
  std::optional<std::int64_t> expires_at;
  if (body.contains("expires_in_s") && !body["expires_in_s"].is_null()) {
    if (!body["expires_in_s"].is_number_integer() || body["expires_in_s"].get<std::int64_t>() < 60 ||
        body["expires_in_s"].get<std::int64_t>() > 5LL * 365 * 86400) {
      fields["expires_in_s"] = "an integer from 60 to 157680000";
    } else {
      expires_at = now_micros() + body["expires_in_s"].get<std::int64_t>() * kMicros;
    }
  }
  throw_if(fields);
  check_grantable(who, role);
  auto tx = s.ids.db().begin(storage::TxMode::kWrite);
  auto [key, secret] = s.ids.create_api_key(*tx, who.tenant_id, name, role, who.user_id, expires_at);
  s.svc.audit().record(*tx, audit_entry(req, "api_key.create", "api_key:" + key.id,
                                        {{"name", name}, {"role", auth::role_name(role)}}));
  tx->commit();
  json out = key.to_json();
  out["key"] = secret;
  return Response::json(out, 201);
}

Response revoke_key(Shared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  auto k = s.ids.api_key(who.tenant_id, id);
  if (!k || !may_manage_key(who, *k)) throw Error(ErrorCode::kNotFound, "no such API key");
  s.ids.revoke_api_key(who.tenant_id, id);
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "api_key.revoke", "api_key:" + id));
  return Response::no_content();
}

// ---- users, invitations

Response list_users(Shared& s, const Request& req) {
  json items = json::array();
  for (const auto& m : s.ids.members(req.who().tenant_id)) {
    json u = m.user.to_json();
    u["role"] = auth::role_name(m.role);
    items.push_back(u);
  }
  return Response::json({{"items", items}, {"next_cursor", nullptr}});
}

Response update_user(Shared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  json body = object_body(req);
  json fields = json::object();
  if (!body.contains("role")) fields["role"] = "required";
  const Role role = role_field(body, "role", fields, Role::kViewer);
  throw_if(fields);
  check_grantable(who, role);
  if (!s.ids.set_role(who.tenant_id, id, role)) throw Error(ErrorCode::kNotFound, "no such user in this tenant");
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "user.role_change", "user:" + id, {{"role", auth::role_name(role)}}));
  return Response::no_content();
}

Response remove_user(Shared& s, const Request& req) {
  const auto& who = req.who();
  const std::string id(req.param("id"));
  if (id == who.user_id) throw Error(ErrorCode::kConflict, "use DELETE /api/v1/me to leave");
  if (!s.ids.remove_membership(who.tenant_id, id)) throw Error(ErrorCode::kNotFound, "no such user in this tenant");
  s.svc.forget_caches();
  s.svc.audit().record(audit_entry(req, "user.remove", "user:" + id));
  return Response::no_content();
}

Response invite(Shared& s, const Request& req) {
  const auto& who = req.who();
  json body = object_body(req);
  json fields = json::object();
  const std::string email_in = string_field(body, "email", fields);
  auto email = auth::normalize_email(email_in);
  if (!email_in.empty() && !email) fields["email"] = "not an email address";
  const Role role = role_field(body, "role", fields, Role::kUser);
  throw_if(fields);
  check_grantable(who, role);
  if (s.svc.config().auth.registration == "closed") {
    throw Error(ErrorCode::kForbidden, "registration is closed, so an invitation could not be used",
                {{"registration", "closed"}});
  }
  const std::int64_t expires = now_micros() + 7LL * 86400 * kMicros;
  auto [inv, token] = s.ids.create_invitation(who.tenant_id, *email, role, who.user_id, expires);
  s.svc.audit().record(audit_entry(req, "invitation.create", "invitation:" + inv.id,
                                   {{"email", *email}, {"role", auth::role_name(role)}}));
  return Response::json({{"id", inv.id},
                         {"email", inv.email},
                         {"role", auth::role_name(role)},
                         {"token", token},
                         {"expires_at", format_rfc3339(expires)}},
                        201);
}

// ---- audit

Response list_audit(Shared& s, const Request& req) {
  auth::AuditQuery q;
  q.tenant_id = req.who().tenant_id;
  q.action = req.query("action");
  if (q.action && q.action->empty()) q.action.reset();
  q.actor = req.query("actor");
  if (q.actor && q.actor->empty()) q.actor.reset();
  json fields = json::object();
  if (auto c = req.query("cursor"); c && !c->empty()) {
    try {
      q.before_id = std::stoll(*c);
    } catch (const std::exception&) {
      fields["cursor"] = "not a cursor";
    }
  }
  q.limit = http::page_limit(req, q.limit, 500);
  throw_if(fields);
  const int wanted = q.limit;
  q.limit = wanted + 1;
  auto entries = s.svc.audit().list(q);
  json items = json::array();
  json next = nullptr;
  for (int i = 0; i < static_cast<int>(entries.size()) && i < wanted; ++i) items.push_back(entries[i].to_json());
  if (static_cast<int>(entries.size()) > wanted) next = std::to_string(entries[wanted - 1].id);
  return Response::json({{"items", items}, {"next_cursor", next}});
}

// ---- tenants (superadmins), limits

Response list_tenants(Shared& s, const Request&) {
  json items = json::array();
  for (const auto& t : s.ids.list_tenants()) items.push_back(t.to_json());
  return Response::json({{"items", items}, {"next_cursor", nullptr}});
}

Response create_tenant(Shared& s, const Request& req) {
  json body = object_body(req);
  json fields = json::object();
  const std::string name = string_field(body, "name", fields);
  const std::string display = string_field(body, "display_name", fields, false);
  throw_if(fields);
  auto t = s.ids.create_tenant(s.ids.db(), name, display);
  auto entry = audit_entry(req, "tenant.create", "tenant:" + t.id, {{"name", name}});
  entry.tenant_id = t.id;  // recorded where the tenant's admins will look, not in the superadmin's tenant
  s.svc.audit().record(entry);
  return Response::json(t.to_json(), 201);
}

// A superadmin may read any tenant's limits; everyone else only their own.
std::string limits_tenant(Shared& s, const Request& req) {
  const auto& who = req.who();
  std::string id(req.param("id"));
  if (id == "current") id = who.tenant_id;
  if (id != who.tenant_id && !who.allows(Role::kSuperadmin)) throw Error(ErrorCode::kNotFound, "no such tenant");
  if (!s.ids.tenant_by_id(id)) throw Error(ErrorCode::kNotFound, "no such tenant");
  return id;
}

Response get_limits(Shared& s, const Request& req) {
  const std::string id = limits_tenant(s, req);
  auto t = s.ids.tenant_by_id(id);
  return Response::json({{"effective", s.svc.limits_for(id).to_json()}, {"overrides", t->limits}});
}

Response put_limits(Shared& s, const Request& req) {
  const std::string id = limits_tenant(s, req);
  json body = object_body(req);
  validate_limit_overrides(body);
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

json token_schema() {
  return {{"type", "object"},
          {"properties",
           {{"access_token", {{"type", "string"}}},
            {"token_type", {{"type", "string"}}},
            {"expires_in", {{"type", "integer"}}},
            {"refresh_token", {{"type", "string"}}},
            {"user", {{"type", "object"}}},
            {"tenant", {{"type", "object"}}},
            {"role", {{"type", "string"}}}}}};
}

}  // namespace

auth::AuditEntry audit_entry(const Request& req, std::string action, std::string resource, json metadata) {
  auth::AuditEntry e;
  if (req.principal) {
    e.tenant_id = req.principal->tenant_id;
    e.actor = req.principal->actor();
  } else {
    e.actor = "anonymous";
  }
  e.action = std::move(action);
  e.resource = std::move(resource);
  e.ip = req.remote_address;
  e.request_id = req.request_id;
  e.metadata = std::move(metadata);
  return e;
}

void add_auth_routes(http::Router& router, AuthRoutesDeps deps) {
  auto s = std::make_shared<Shared>(Shared{deps, deps.service, deps.service.identity(), {}});
  s->dummy_hash = auth::hash_password("not a password of anyone", deps.service.password_params());
  const RouteOptions pub{.max_body_bytes = kSmallBody, .public_route = true};
  const RouteOptions viewer{.max_body_bytes = kSmallBody};
  const RouteOptions user{.max_body_bytes = kSmallBody, .role = Role::kUser};
  const RouteOptions admin{.max_body_bytes = kSmallBody, .role = Role::kAdmin};
  const RouteOptions superadmin{.max_body_bytes = kSmallBody, .role = Role::kSuperadmin};
  const json login_in = {{"type", "object"},
                         {"required", {"email", "password"}},
                         {"properties",
                          {{"email", {{"type", "string"}}},
                           {"password", {{"type", "string"}}},
                           {"tenant", {{"type", "string"}}}}}};
  auto bind = [s](Response (*fn)(Shared&, const Request&)) { return [s, fn](Request& req) { return fn(*s, req); }; };

  router.add(Method::kPost, "/api/v1/auth/login", bind(login),
             {"Log in: an access token (JWT) and a refresh token", "auth", login_in, token_schema()}, pub);
  router.add(Method::kPost, "/api/v1/auth/register", bind(register_user),
             {"Create an account (auth.registration: open, invite or closed)", "auth", nullptr, token_schema(), 201},
             pub);
  router.add(Method::kPost, "/api/v1/auth/refresh", bind(refresh),
             {"Trade a refresh token for new tokens (the old one is used up)", "auth", nullptr, token_schema()}, pub);
  router.add(Method::kPost, "/api/v1/auth/logout", bind(logout),
             {"End the session of a refresh token", "auth", nullptr, nullptr, 204}, pub);
  router.add(Method::kGet, "/api/v1/auth/me", bind(me), {"The caller: user or API key, tenant, role", "auth"}, viewer);
  router.add(Method::kPost, "/api/v1/auth/password", bind(change_password),
             {"Change the caller's password (ends other sessions)", "auth", nullptr, nullptr, 204}, viewer);
  router.add(Method::kGet, "/api/v1/api-keys", bind(list_keys), {"API keys (admins: all of the tenant)", "auth"}, user);
  router.add(Method::kPost, "/api/v1/api-keys", bind(create_key),
             {"Create an API key; the key is in this response only", "auth", nullptr, nullptr, 201}, user);
  router.add(Method::kDelete, "/api/v1/api-keys/{id}", bind(revoke_key),
             {"Revoke an API key", "auth", nullptr, nullptr, 204}, user);
  router.add(Method::kGet, "/api/v1/users", bind(list_users), {"Members of the tenant and their roles", "auth"}, admin);
  router.add(Method::kPatch, "/api/v1/users/{id}", bind(update_user),
             {"Change a member's role", "auth", nullptr, nullptr, 204}, admin);
  router.add(Method::kDelete, "/api/v1/users/{id}", bind(remove_user),
             {"Remove a member from the tenant", "auth", nullptr, nullptr, 204}, admin);
  router.add(Method::kPost, "/api/v1/invitations", bind(invite),
             {"Invite someone to the tenant; the token is in this response only", "auth", nullptr, nullptr, 201},
             admin);
  router.add(Method::kGet, "/api/v1/audit", bind(list_audit),
             {"The tenant's audit log, newest first (?action=&actor=&limit=&cursor=)", "auth"}, admin);
  router.add(Method::kGet, "/api/v1/tenants", bind(list_tenants), {"Every tenant", "tenants"}, superadmin);
  router.add(Method::kPost, "/api/v1/tenants", bind(create_tenant),
             {"Create a tenant", "tenants", nullptr, nullptr, 201}, superadmin);
  router.add(Method::kGet, "/api/v1/tenants/{id}/limits", bind(get_limits),
             {"A tenant's effective limits and overrides (id \"current\": the caller's)", "tenants"}, viewer);
  router.add(Method::kPut, "/api/v1/tenants/{id}/limits", bind(put_limits),
             {"Set a tenant's limit overrides (null removes one)", "tenants"}, superadmin);
}

void bootstrap_identity(AuthService& svc) {
  auto& ids = svc.identity();
  const auto& cfg = svc.config().auth;
  auto tenant = ids.tenant_by_name("default");
  if (!tenant) {
    try {
      tenant = ids.create_tenant(ids.db(), "default", "Default");
      log::info("created the default tenant", {{"tenant", tenant->id}});
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kConflict) throw;
      tenant = ids.tenant_by_name("default");  // another instance was first
    }
  }
  if (!ids.db().query_one("SELECT id FROM users LIMIT 1")) {
    const auto email = auth::normalize_email(cfg.admin_email);
    if (!email) throw Error(ErrorCode::kValidationFailed, "auth.admin_email is not an email address");
    const bool generated = cfg.admin_password.empty();
    const std::string password = generated ? hex_encode(random_bytes(12)) : cfg.admin_password;
    try {
      auto tx = ids.db().begin(storage::TxMode::kWrite);
      auto user = ids.create_user(*tx, *email, auth::hash_password(password, svc.password_params()), "Administrator",
                                  true);
      ids.add_membership(*tx, user.id, tenant->id, Role::kAdmin);
      tx->commit();
      if (generated) {
        log::warn("created the first admin; this password is shown once, change it after logging in",
                  {{"email", *email}, {"password", password}});
      } else {
        log::info("created the first admin", {{"email", *email}});
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kConflict) throw;
    }
  }
  if (!cfg.bootstrap_api_key.empty() && !ids.find_api_key(cfg.bootstrap_api_key)) {
    if (!auth::looks_like_api_key(cfg.bootstrap_api_key)) {
      throw Error(ErrorCode::kValidationFailed, "auth.bootstrap_api_key must be a tyto_… key (tyto apikey create makes one)");
    }
    try {
      ids.create_api_key(ids.db(), tenant->id, "bootstrap", Role::kAdmin, {}, std::nullopt, cfg.bootstrap_api_key);
      log::info("created the bootstrap API key");
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kConflict) throw;
    }
  }
}

}  // namespace tyto::api
