#include "http/detail/cors.hpp"

#include <algorithm>

namespace tyto::http::detail {

CorsPolicy::CorsPolicy(const HttpConfig& config)
    : origins_(config.cors_allowed_origins),
      any_origin_(std::find(origins_.begin(), origins_.end(), "*") != origins_.end()),
      credentials_(config.cors_allow_credentials),
      max_age_s_(config.cors_max_age_s) {}

bool CorsPolicy::is_preflight(const Request& req) noexcept {
  return req.method == Method::kOptions && req.headers.has("Origin") &&
         req.headers.has("Access-Control-Request-Method");
}

std::optional<std::string> CorsPolicy::allow_origin_value(std::string_view origin) const {
  if (origins_.empty() || origin.empty()) return std::nullopt;
  // With credentials the spec forbids "*": echo the origin instead.
  if (any_origin_) return credentials_ ? std::string(origin) : std::string("*");
  for (const auto& o : origins_) {
    if (o == origin) return o;
  }
  return std::nullopt;
}

Response CorsPolicy::preflight(const Request& req, const std::vector<Method>& allowed) const {
  Response res = Response::no_content();
  auto value = allow_origin_value(req.headers.get("Origin").value_or(""));
  res.headers.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  if (!value) return res;
  std::string methods;
  for (Method m : allowed) {
    if (!methods.empty()) methods += ", ";
    methods += method_name(m);
  }
  res.headers.set("Access-Control-Allow-Origin", *value);
  res.headers.set("Access-Control-Allow-Methods", methods);
  res.headers.set("Access-Control-Allow-Headers",
                  std::string(req.headers.get("Access-Control-Request-Headers")
                                  .value_or("Authorization, Content-Type, Idempotency-Key, X-Request-Id")));
  res.headers.set("Access-Control-Max-Age", std::to_string(max_age_s_));
  if (credentials_) res.headers.set("Access-Control-Allow-Credentials", "true");
  return res;
}

void CorsPolicy::decorate(const Request& req, Response& res) const {
  if (origins_.empty()) return;
  auto origin = req.headers.get("Origin");
  if (!origin) return;
  auto value = allow_origin_value(*origin);
  if (!any_origin_ || credentials_) res.headers.set("Vary", "Origin");
  if (!value) return;
  res.headers.set("Access-Control-Allow-Origin", *value);
  res.headers.set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Location");
  if (credentials_) res.headers.set("Access-Control-Allow-Credentials", "true");
}

}  // namespace tyto::http::detail
