// The OpenAPI 3.1 document of the API, built from the router's own route table, so it cannot drift
// from the routes that exist.
#pragma once

#include "tyto/http/router.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace tyto::http {

// One operation per route: summary, tag, path parameters, request body and success response from
// RouteDoc, and the error envelope (components/schemas/Error) as the default response.
nlohmann::json build_openapi(const Router& router, std::string_view title, std::string_view version);

// "/jobs/{id}" → "/jobs/{id}", "/assets/{path...}" → "/assets/{path}".
std::string openapi_path(std::string_view pattern);

}  // namespace tyto::http
