// Requests and responses as handlers see them: plain values, independent of Boost.Beast, so a
// handler (and its test) needs neither the network library nor a socket.
#pragma once

#include "tyto/auth/principal.hpp"
#include "tyto/core/json_text.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view method_name(Method m) noexcept;  // "GET", …; "OTHER" for kOther
Method parse_method(std::string_view name) noexcept;

// Header fields in arrival order. Names compare case-insensitively.
class Headers {
 public:
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  void set(std::string_view name, std::string value);  // replaces every field of that name
  void add(std::string name, std::string value);
  void erase(std::string_view name);

  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

struct Request {
  Method method = Method::kGet;
  std::string target;        // as received: "/api/v1/jobs?state=queued"
  std::string path;          // decoded path without the query: "/api/v1/jobs"
  std::string query_string;  // raw text after '?'
  Headers headers;
  std::string body;
  std::string request_id;  // from X-Request-Id if well-formed, else generated
  std::string remote_address;
  std::string route;                                        // the matched route pattern, "/api/v1/jobs/{id}"
  std::vector<std::pair<std::string, std::string>> params;  // path parameters, decoded
  // Who sent it: set by the server before the handler runs on every route that is not public.
  std::optional<auth::Principal> principal;
  // How deeply json() lets the body nest (http.max_json_depth; the server sets it).
  std::size_t max_json_depth = kDefaultJsonDepth;
  // Held until the request's connection ends (RouteOptions::admission of long-lived routes).
  std::shared_ptr<void> admission;
  // The body as the router parsed and checked it against the route's request schema; json() returns it.
  std::optional<nlohmann::json> checked_body;

  // The principal of an authenticated route; throws Error(kUnauthorized) on a public one (a bug
  // in the route, reported as 401 rather than trusted).
  const auth::Principal& who() const;

  // Path parameter by name; throws Error(kInternal) if the route has no such parameter (a bug).
  std::string_view param(std::string_view name) const;

  // Query parameter by name (first occurrence, percent-decoded, '+' as space).
  std::optional<std::string> query(std::string_view name) const;

  // The body parsed as JSON (checked_body when the router has set it). Throws
  // Error(kUnsupportedMediaType) if a Content-Type other than JSON is declared, Error(kInvalidJson) with
  // the reason (and the parser's position where it has one) if the body is not valid JSON, nests deeper
  // than max_json_depth or holds a number no double holds.
  nlohmann::json json() const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response json(const nlohmann::json& value, int status = 200);
  static Response text(std::string body, std::string_view content_type = "text/plain; charset=utf-8", int status = 200);
  static Response no_content();
};

// The ?limit= of a list route: `fallback` when absent or empty, else a plain decimal integer from 1 to
// `most`. Anything else ("1.5", "10abc", "0", "-3") throws Error(kValidationFailed) naming limit.
int page_limit(const Request& req, int fallback, int most);

// Percent-decodes s; '+' becomes a space only when plus_as_space. Returns nullopt for a malformed
// escape or a decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

}  // namespace tyto::http
