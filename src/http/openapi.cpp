#include "tyto/http/openapi.hpp"

#include <cctype>

namespace tyto::http {
namespace {

using nlohmann::json;

json error_schema() {
  return {{"type", "object"},
          {"required", {"error"}},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", {"code", "message", "details"}},
              {"properties",
               {{"code", {{"type", "string"}, {"description", "stable snake_case error code"}}},
                {"message", {{"type", "string"}}},
                {"details", {{"type", "object"}}}}}}}}}};
}

std::string operation_id(const Route& r) {
  std::string id(method_name(r.method));
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool upper = true;
  for (char c : r.pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
      upper = false;
    } else {
      upper = true;
    }
  }
  return id;
}

json operation(const Route& r) {
  json op = {{"operationId", operation_id(r)}, {"summary", r.doc.summary}};
  if (!r.doc.tag.empty()) op["tags"] = {r.doc.tag};
  json params = json::array();
  std::string_view p = r.pattern;
  for (auto open = p.find('{'); open != std::string_view::npos; open = p.find('{', open + 1)) {
    auto close = p.find('}', open);
    std::string name(p.substr(open + 1, close - open - 1));
    if (name.ends_with("...")) name.resize(name.size() - 3);
    params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  if (!params.empty()) op["parameters"] = params;
  if (!r.doc.request_schema.is_null()) {
    op["requestBody"] = {{"required", !r.doc.request_body_optional},
                         {"content", {{"application/json", {{"schema", r.doc.request_schema}}}}}};
  }
  json responses = json::object();
  if (r.websocket_handler) {
    op["description"] = "WebSocket endpoint: send Upgrade: websocket.";
    responses["101"] = {{"description", "Switching Protocols"}};
  } else {
    json success = {{"description", "Success"}};
    if (!r.doc.response_schema.is_null()) {
      success["content"] = {{r.doc.success_content_type, {{"schema", r.doc.response_schema}}}};
    } else if (r.doc.success_status != 204) {
      success["content"] = {{r.doc.success_content_type, json::object()}};
    }
    responses[std::to_string(r.doc.success_status)] = success;
  }
  if (!r.doc.request_schema.is_null()) {
    responses["422"] = {{"description",
                         "validation_failed: the body does not match the request schema; details.fields names each "
                         "bad field"},
                        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  }
  responses["default"] = {{"description", "Error"},
                          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  op["responses"] = responses;
  // Who may call it: no credentials on public routes; else a bearer token and at least this role.
  if (r.options.public_route) {
    op["security"] = json::array();
  } else {
    op["security"] = {{{"bearer", json::array()}}};
    op["x-tyto-role"] = auth::role_name(r.options.role);
  }
  return op;
}

}  // namespace

std::string openapi_path(std::string_view pattern) {
  std::string out(pattern);
  if (auto pos = out.find("...}"); pos != std::string::npos) out.erase(pos, 3);
  return out;
}

json build_openapi(const Router& router, std::string_view title, std::string_view version) {
  json paths = json::object();
  for (const auto& r : router.routes()) {
    std::string method(method_name(r->method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[openapi_path(r->pattern)][method] = operation(*r);
  }
  // The build's product roles, for clients and the isolation matrix: who declares each and what it opens.
  json roles = json::array();
  for (const auto& r : auth::product_roles()) {
    roles.push_back({{"name", r.name}, {"product", r.product}, {"description", r.description}});
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", title}, {"version", version}}},
          {"paths", paths},
          {"x-tyto-roles", roles},
          {"components",
           {{"schemas", {{"Error", error_schema()}}},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace tyto::http
