#include "tyto/api/docs_routes.hpp"

#include "api/detail/static_file.hpp"
#include "tyto/core/embedded.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/version.hpp"
#include "tyto/http/openapi.hpp"

#include <string_view>

namespace tyto {
// assets/api-docs/: "index.html", "init.js", "docs.css", "node_modules/swagger-ui-dist/…" (tyto_embed in
// src/CMakeLists.txt). Declared here rather than in embedded.hpp: nothing else reads it.
std::span<const EmbeddedFile> embedded_api_docs();
}  // namespace tyto

namespace tyto::api {
namespace {

using http::Method;
using http::Request;
using http::Response;

// What /docs/{file} serves: the name in the URL → the embedded file.
struct Asset {
  std::string_view name;
  std::string_view path;
};
constexpr Asset kAssets[] = {
    {"init.js", "init.js"},
    {"docs.css", "docs.css"},
    {"swagger-ui-bundle.js", "node_modules/swagger-ui-dist/swagger-ui-bundle.js"},
    {"swagger-ui.css", "node_modules/swagger-ui-dist/swagger-ui.css"},
    {"swagger-ui-LICENSE.txt", "node_modules/swagger-ui-dist/LICENSE"},
    {"swagger-ui-NOTICE.txt", "node_modules/swagger-ui-dist/NOTICE"},
    {"swagger-ui-third-party.txt", "node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt"},
};

const EmbeddedFile* embedded(std::string_view path) {
  for (const auto& f : embedded_api_docs()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

Response serve(const Request& req, std::string_view name, std::string_view path) {
  const EmbeddedFile* f = embedded(path);
  if (f == nullptr)
    throw Error(ErrorCode::kNotFound, "no such file of the API reference", {{"file", std::string(name)}});
  return detail::static_file(req, std::string(f->data), detail::etag_of_sha256(f->sha256),
                             detail::content_type_for(name));
}

Response page(const Request& req) {
  Response res = serve(req, "index.html", "index.html");
  // Swagger UI needs no inline script or style element; its stylesheet draws icons from data: URLs.
  res.headers.set("Content-Security-Policy",
                  "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.headers.set("X-Frame-Options", "DENY");
  res.headers.set("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace

void add_docs_routes(http::Router& router, DocsOptions options) {
  const http::RouteOptions access =
      options.public_docs ? http::RouteOptions{.public_route = true} : http::RouteOptions{};
  router.add(
      Method::kGet, "/api/v1/openapi.json",
      [&router](Request&) { return Response::json(http::build_openapi(router, "Tyto API", build_info().version)); },
      {"This OpenAPI 3.1 document, generated from the route table",
       "system",
       nullptr,
       {{"type", "object"}, {"required", {"openapi", "paths"}}}},
      access);
  router.add(Method::kGet, "/docs", page,
             {"The API reference, rendered from this document", "docs", nullptr, nullptr, 200, "text/html"}, access);
  router.add(
      Method::kGet, "/docs/{file}",
      [](Request& req) {
        const std::string name(req.param("file"));
        for (const auto& a : kAssets) {
          if (a.name == name) return serve(req, a.name, a.path);
        }
        throw Error(ErrorCode::kNotFound, "no such file of the API reference", {{"file", name}});
      },
      {"Scripts, styles and licence texts of the API reference page", "docs", nullptr, nullptr, 200,
       "application/octet-stream"},
      access);
}

}  // namespace tyto::api
