// CORS as configured by http.cors.*: preflight answers and headers on actual responses.
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/http/request.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tyto::http::detail {

class CorsPolicy {
 public:
  explicit CorsPolicy(const HttpConfig& config);

  bool enabled() const noexcept { return !origins_.empty(); }

  // A preflight: OPTIONS with Origin and Access-Control-Request-Method.
  static bool is_preflight(const Request& req) noexcept;

  // 204 with the Access-Control-Allow-* headers when the origin is allowed, plain 204 otherwise
  // (the browser then refuses the request).
  Response preflight(const Request& req, const std::vector<Method>& allowed) const;

  // Adds Access-Control-Allow-Origin (and friends) to a response for an allowed origin.
  void decorate(const Request& req, Response& res) const;

 private:
  std::optional<std::string> allow_origin_value(std::string_view origin) const;

  std::vector<std::string> origins_;
  bool any_origin_ = false;
  bool credentials_ = false;
  int max_age_s_ = 600;
};

}  // namespace tyto::http::detail
