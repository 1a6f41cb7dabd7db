// What the identity routes share: their dependencies, route options, schema pieces and role rules.
// add_auth_routes (auth_routes.cpp) calls one add_*_routes per resource.
#pragma once

#include "tyto/api/auth_routes.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace tyto::api::detail {

struct AuthShared {
  AuthRoutesDeps deps;
  AuthService& svc;
  auth::IdentityStore& ids;
  std::string dummy_hash;  // verified against when the email is unknown, so timing does not tell
};

using AuthHandler = http::Response (*)(AuthShared&, const http::Request&);

// fn as a route handler that sees s.
http::Handler handler(const std::shared_ptr<AuthShared>& s, AuthHandler fn);

// The identity routes' options: small bodies; public ones see no principal.
http::RouteOptions public_options();
http::RouteOptions role_options(auth::Role role);

// {"type": "object", "properties": properties, "required": required}.
nlohmann::json object_schema(nlohmann::json properties, nlohmann::json required = nlohmann::json::array());
// A string, or null standing for "not given".
nlohmann::json optional_string_schema(std::size_t max_length = 0);
// A role name (every role; check_grantable refuses superadmin with 403).
nlohmann::json role_schema();

// The member `name` of a body checked against a schema that types it as a string or null; "" when absent
// or null.
std::string optional_string(const nlohmann::json& body, const char* name);
// The role named by body[name] (checked by role_schema), else `fallback`.
auth::Role role_or(const nlohmann::json& body, const char* name, auth::Role fallback);

// The email address form, which auth::normalize_email decides: adds fields.email "not an email address"
// when body.email is a string it refuses (a RouteOptions::body_check piece).
void check_email_form(const nlohmann::json& body, nlohmann::json& fields);

// An admin may grant any role it holds itself; nobody grants superadmin through the API. Throws 403.
void check_grantable(const auth::Principal& who, auth::Role role);

[[noreturn]] void bad_credentials();

void add_session_routes(http::Router& router, const std::shared_ptr<AuthShared>& s);  // auth/login … logout
void add_account_routes(http::Router& router, const std::shared_ptr<AuthShared>& s);  // me, password
void add_api_key_routes(http::Router& router, const std::shared_ptr<AuthShared>& s);
void add_member_routes(http::Router& router, const std::shared_ptr<AuthShared>& s);  // users, invitations
void add_tenant_routes(http::Router& router, const std::shared_ptr<AuthShared>& s);  // tenants, limits, audit

}  // namespace tyto::api::detail
