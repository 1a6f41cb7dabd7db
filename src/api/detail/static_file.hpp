// Answers for static files (the console, the API reference page): validators and the headers every such
// file carries. Private to tyto_api.
#pragma once

#include "tyto/http/request.hpp"

#include <string>
#include <string_view>

namespace tyto::api::detail {

// A content type from the file name's extension; application/octet-stream for one not known.
std::string_view content_type_for(std::string_view path);

// 200 with data, or 304 without a body when req's If-None-Match names etag. Either way with ETag,
// "Cache-Control: no-cache" (browsers revalidate, so a new build's files show at once) and
// "X-Content-Type-Options: nosniff". Callers add what else a file needs (a CSP on HTML pages).
http::Response static_file(const http::Request& req, std::string data, std::string etag, std::string_view content_type);

// The ETag of a file from its SHA-256 (hex): the first 32 digits, quoted.
std::string etag_of_sha256(std::string_view sha256_hex);

}  // namespace tyto::api::detail
