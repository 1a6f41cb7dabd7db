// Pieces shared by the upload and object routes. Private to tyto_api.
#pragma once

#include "tyto/api/object_routes.hpp"

#include <optional>
#include <string>

namespace tyto::api::detail {

struct ObjectShared {
  ObjectRoutesDeps deps;
};

// Whose objects and uploads the caller sees: nullopt for every one of the tenant (admins), else the
// caller's Principal::owner_id() (its user, or the key itself for a key made without a user).
std::optional<std::string> owner_scope(const auth::Principal& who);

// The owner id to record for what the caller creates.
std::optional<std::string> owner_of(const auth::Principal& who);

bool visible_to(const auth::Principal& who, const std::optional<std::string>& owner_id);

// Throws Error(kNotFound) unless id looks like an id the server made (a UUID): nothing else is looked up,
// and nothing a client sends ever becomes part of a path or key.
void check_id(std::string_view id, std::string_view what);

// POST/GET /api/v1/uploads…, PUT/HEAD of the signed upload URL.
void add_upload_routes(http::Router& router, const std::shared_ptr<ObjectShared>& shared);

}  // namespace tyto::api::detail
