// URLs the server signs itself (HMAC-SHA256 under the URL signing key) for clients without credentials:
//   upload: <public_url>/api/v1/uploads/<id>?expires=<unix s>&max=<bytes>&ct=<content type>&sig=<hex>
//   share:  <public_url>/api/v1/shared/objects/<id>?expires=<unix s>&sig=<hex>
// The MAC covers a purpose tag, the id and every parameter, so an upload signature never works as a share
// signature, and changing any parameter (a larger max, another type, a later expiry) breaks it.
#pragma once

#include "tyto/http/request.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tyto::api::detail {

struct UploadGrant {
  std::string upload_id;
  std::int64_t expires = 0;     // Unix seconds
  std::uint64_t max_bytes = 0;  // the most bytes the upload may hold
  std::string content_type;     // the Content-Type a PUT must send
};

std::string upload_url(std::string_view key, std::string_view public_url, const UploadGrant& grant);

// The grant a request to an upload URL carries. Throws Error(kForbidden) when a parameter is missing or
// malformed, the signature does not match, or the URL expired (now_s is Unix seconds).
UploadGrant verify_upload_url(std::string_view key, std::string_view upload_id, const http::Request& req,
                              std::int64_t now_s);

std::string share_url(std::string_view key, std::string_view public_url, std::string_view object_id,
                      std::int64_t expires);

// Throws Error(kForbidden) like verify_upload_url; returns the expiry.
std::int64_t verify_share_url(std::string_view key, std::string_view object_id, const http::Request& req,
                              std::int64_t now_s);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view s);

}  // namespace tyto::api::detail
