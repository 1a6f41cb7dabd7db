#include "api/detail/static_file.hpp"

#include <utility>

namespace tyto::api::detail {

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

http::Response static_file(const http::Request& req, std::string data, std::string etag,
                           std::string_view content_type) {
  http::Response res;
  res.headers.set("Cache-Control", "no-cache");
  res.headers.set("X-Content-Type-Options", "nosniff");
  if (auto inm = req.headers.get("If-None-Match"); inm && *inm == etag) {
    res.headers.set("ETag", std::move(etag));
    res.status = 304;
    return res;
  }
  res.headers.set("ETag", std::move(etag));
  res.headers.set("Content-Type", std::string(content_type));
  res.body = std::move(data);
  return res;
}

std::string etag_of_sha256(std::string_view sha256_hex) { return "\"" + std::string(sha256_hex.substr(0, 32)) + "\""; }

}  // namespace tyto::api::detail
