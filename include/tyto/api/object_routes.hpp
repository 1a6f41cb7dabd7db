// The uploads and objects API (docs/api.md, "Uploads and objects"):
//   POST /api/v1/uploads, GET /api/v1/uploads/{id}, POST /api/v1/uploads/{id}/complete,
//   PUT and HEAD /api/v1/uploads/{id} (signed URL, local store only),
//   GET /api/v1/objects, GET/DELETE /api/v1/objects/{id}, GET /api/v1/objects/{id}/content,
//   POST /api/v1/objects/{id}/share, GET /api/v1/shared/objects/{id} (signed URL).
// Every route reads and writes only the caller's tenant; a user (or viewer) sees the objects they own, an
// admin every object of the tenant.
#pragma once

#include "tyto/auth/audit.hpp"
#include "tyto/core/config.hpp"
#include "tyto/http/router.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/storage/database.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace tyto::api {

struct ObjectRoutesDeps {
  storage::Database& db;
  objects::ObjectStore& store;
  objects::Catalog& catalog;
  auth::AuditLog& audit;
  UploadsConfig uploads;
  // The tenant's stored-bytes quota (limits.stored_bytes or the tenant's override); 0: none.
  std::function<std::int64_t(const std::string& tenant_id)> stored_bytes_limit;
  std::string url_signing_key;    // HMAC-SHA256 key of local upload URLs (32 raw bytes)
  std::string share_signing_key;  // HMAC-SHA256 key of share URLs; empty: url_signing_key
  std::string public_url;         // prefix of the URLs handed out; empty: relative URLs
  // Called after an upload became an object (the object.created webhook). May be empty.
  std::function<void(const objects::Object&)> on_object_created;
};

// The references must outlive the router.
void add_object_routes(http::Router& router, ObjectRoutesDeps deps);

}  // namespace tyto::api
