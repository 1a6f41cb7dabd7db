#include "tyto/api/docs_routes.hpp"

#include "tyto/core/version.hpp"
#include "tyto/http/openapi.hpp"

namespace tyto::api {

using http::Method;
using http::Request;
using http::Response;

void add_docs_routes(http::Router& router, DocsOptions options) {
  const http::RouteOptions access = options.public_docs ? http::RouteOptions{.public_route = true} : http::RouteOptions{};
  router.add(
      Method::kGet, "/api/v1/openapi.json",
      [&router](Request&) { return Response::json(http::build_openapi(router, "Tyto API", build_info().version)); },
      {"This OpenAPI 3.1 document, generated from the route table", "system", nullptr,
       {{"type", "object"}, {"required", {"openapi", "paths"}}}},
      access);
}

}  // namespace tyto::api
