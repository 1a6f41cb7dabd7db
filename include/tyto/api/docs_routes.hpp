// The API reference: the OpenAPI document and the page that renders it for people.
#pragma once

#include "tyto/http/router.hpp"

namespace tyto::api {

struct DocsOptions {
  // Serve all of them without authentication (auth.api_docs_public). When false, every caller needs a
  // credential; a browser opening /docs then gets 401, as it cannot send a bearer token by itself.
  bool public_docs = true;
};

// GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the router at request time, so routes
// added after this call are listed too; the router must outlive the routes.
// GET /docs: an interactive reference (Swagger UI, compiled into the binary from the npm package pinned in
// assets/api-docs/package.json) rendered from that document, and GET /docs/{file}: its scripts, style and
// licence texts.
void add_docs_routes(http::Router& router, DocsOptions options);

}  // namespace tyto::api
