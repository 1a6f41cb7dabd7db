// Who is making a request, once the server has authenticated it: a user (by JWT access token) or a
// service (by API key), always acting inside exactly one tenant with one role.
//
// Handlers read it from http::Request::principal. It is set for every route that is not public; a
// public route sees nullopt. Every query a handler makes is scoped by principal.tenant_id.
#pragma once

#include "tyto/auth/roles.hpp"

#include <string>
#include <vector>

namespace tyto::auth {

struct Principal {
  enum class Kind { kUser, kApiKey };

  Kind kind = Kind::kUser;
  std::string subject_id;  // the user's id, or the API key's id
  std::string user_id;     // the user's id; for an API key, the user who created it (may be empty)
  std::string tenant_id;   // every row the request touches belongs to this tenant
  std::string tenant_name;
  Role role = Role::kViewer;  // the role in this tenant (superadmin: a platform role, see roles.hpp)
  std::vector<Role> grants;   // product roles granted to the user in this tenant (users only; API keys: none)
  std::string email;          // users only
  std::string session_id;     // users: the login session (refresh family) the access token belongs to

  bool allows(Role need) const noexcept { return role_allows(role, grants, need); }
  bool is_user() const noexcept { return kind == Kind::kUser; }
  // Who owns what this principal creates (objects, uploads, jobs): the user, or for an API key made
  // without a user (by the CLI, the bootstrap key) the key itself, so such keys never share one owner.
  const std::string& owner_id() const noexcept { return user_id.empty() ? subject_id : user_id; }
  // "user:<id>" or "api_key:<id>": how audit entries and logs name the actor.
  std::string actor() const { return (kind == Kind::kUser ? "user:" : "api_key:") + subject_id; }
};

}  // namespace tyto::auth
