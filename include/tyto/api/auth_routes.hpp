// The identity API: registration, login, token refresh and logout, the current user, API keys, users
// and invitations of a tenant, tenants and their limits (superadmins), and the audit log (admins).
#pragma once

#include "tyto/api/auth_service.hpp"
#include "tyto/http/router.hpp"

#include <functional>

namespace tyto::api {

struct AuthRoutesDeps {
  AuthService& service;
};

// POST /api/v1/auth/{register,login,refresh,logout} (public), GET /api/v1/auth/me,
// POST /api/v1/auth/password, GET/POST /api/v1/api-keys, DELETE /api/v1/api-keys/{id},
// GET /api/v1/users, PATCH/DELETE /api/v1/users/{id}, POST /api/v1/invitations, GET /api/v1/audit,
// GET/POST /api/v1/tenants, GET/PUT /api/v1/tenants/{id}/limits. (DELETE /api/v1/me is in
// personal_data_routes.hpp.)
void add_auth_routes(http::Router& router, AuthRoutesDeps deps);

// An audit entry for req: its principal (or "anonymous"), address and request id.
auth::AuditEntry audit_entry(const http::Request& req, std::string action, std::string resource = {},
                             nlohmann::json metadata = nlohmann::json::object());

// Creates the default tenant, the first admin (printing a random password once unless
// auth.admin_password is set) and the bootstrap API key (auth.bootstrap_api_key) when missing.
// Safe to run from several instances at once.
void bootstrap_identity(AuthService& service);

}  // namespace tyto::api
