// The API reference: the OpenAPI document.
#pragma once

#include "tyto/http/router.hpp"

namespace tyto::api {

struct DocsOptions {
  // Serve the document without authentication (auth.api_docs_public). When false, every caller needs a
  // credential.
  bool public_docs = true;
};

// GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the router at request time, so routes
// added after this call are listed too; the router must outlive the routes.
void add_docs_routes(http::Router& router, DocsOptions options);

}  // namespace tyto::api
