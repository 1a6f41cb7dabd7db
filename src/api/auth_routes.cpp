// The identity API's entry point and what its resources share; each resource's routes are in their own
// file (session_routes.cpp, account_routes.cpp, api_key_routes.cpp, member_routes.cpp, tenant_routes.cpp).
#include "tyto/api/auth_routes.hpp"

#include "api/detail/auth_routes.hpp"

#include "tyto/auth/tokens.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"

#include <memory>

namespace tyto::api {

namespace detail {

using nlohmann::json;

constexpr std::size_t kSmallBody = 16 * 1024;

http::Handler handler(const std::shared_ptr<AuthShared>& s, AuthHandler fn) {
  return [s, fn](http::Request& req) { return fn(*s, req); };
}

http::RouteOptions public_options() { return {.max_body_bytes = kSmallBody, .public_route = true}; }

http::RouteOptions role_options(auth::Role role) { return {.max_body_bytes = kSmallBody, .role = role}; }

json object_schema(json properties, json required) {
  json schema = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

json optional_string_schema(std::size_t max_length) {
  json schema = {{"type", {"string", "null"}}};
  if (max_length > 0) schema["maxLength"] = max_length;
  return schema;
}

json role_schema() {
  json names = json::array();
  for (const auth::Role role : auth::all_roles()) names.push_back(auth::role_name(role));
  return {{"type", "string"}, {"enum", std::move(names)}};
}

std::string optional_string(const json& body, const char* name) {
  const auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

auth::Role role_or(const json& body, const char* name, auth::Role fallback) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return fallback;
  return auth::parse_role(it->get<std::string>()).value_or(fallback);
}

void check_email_form(const json& body, json& fields) {
  const auto it = body.find("email");
  if (it != body.end() && it->is_string() && !auth::normalize_email(it->get<std::string>())) {
    fields["email"] = "not an email address";
  }
}

void check_grantable(const auth::Principal& who, auth::Role role) {
  if (role == auth::Role::kSuperadmin || !who.allows(role)) {
    throw Error(ErrorCode::kForbidden, "you may not grant this role", {{"role", auth::role_name(role)}});
  }
}

void bad_credentials() { throw Error(ErrorCode::kUnauthorized, "wrong email or password"); }

}  // namespace detail

auth::AuditEntry audit_entry(const http::Request& req, std::string action, std::string resource,
                             nlohmann::json metadata) {
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
  auto s = std::make_shared<detail::AuthShared>(detail::AuthShared{deps, deps.service, deps.service.identity(), {}});
  s->dummy_hash = auth::hash_password("not a password of anyone", deps.service.password_params());
  detail::add_session_routes(router, s);
  detail::add_account_routes(router, s);
  detail::add_api_key_routes(router, s);
  detail::add_member_routes(router, s);
  detail::add_tenant_routes(router, s);
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
      auto user =
          ids.create_user(*tx, *email, auth::hash_password(password, svc.password_params()), "Administrator", true);
      ids.add_membership(*tx, user.id, tenant->id, auth::Role::kAdmin);
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
      throw Error(ErrorCode::kValidationFailed,
                  "auth.bootstrap_api_key must be a tyto_… key (tyto apikey create makes one)");
    }
    try {
      ids.create_api_key(ids.db(), tenant->id, "bootstrap", auth::Role::kAdmin, {}, std::nullopt,
                         cfg.bootstrap_api_key);
      log::info("created the bootstrap API key");
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kConflict) throw;
    }
  }
}

}  // namespace tyto::api
