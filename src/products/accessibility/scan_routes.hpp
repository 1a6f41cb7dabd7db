// Routes of scans (docs/products/accessibility.md): start one (of a URL, or of an uploaded DOM snapshot and
// screenshot), read it with its summary, score and issues, page and filter its issues, export them as CSV or
// JSON, compare two scans, and stream its issues as they are found.
#pragma once

#include "projects.hpp"
#include "scans.hpp"
#include "tyto/http/request.hpp"
#include "tyto/product.hpp"

#include <nlohmann/json.hpp>

namespace tyto::products::accessibility {

// The members of a scan body (and a project's) that say how to render and what to check: viewport, tags,
// rules, actions, wait_ms, cookies, headers, as JSON Schema properties.
nlohmann::json scan_settings_properties();
// Checks what the schema cannot (known tags, rule id syntax, actions the renderer understands), adding a
// message per bad member to fields.
void check_scan_settings(const nlohmann::json& body, nlohmann::json& fields);
// http or https, a host, no user information (the outbound guard decides the address when the page loads).
void check_scan_url(const std::string& url, nlohmann::json& fields);

struct ScanQuotas {
  std::int64_t scans_per_day = 500;  // per tenant, over the last 24 hours
};

class ScanRoutes {
 public:
  ScanRoutes(Services& services, ScanStore& scans, ProjectStore& projects, ScanQuotas quotas)
      : s_(services), scans_(scans), projects_(projects), quotas_(quotas) {}

  void install(http::Router& router);

 private:
  Scan scan(const http::Request& req, std::string_view param = "id");

  http::Response start(http::Request& req);
  http::Response list(http::Request& req);
  http::Response get(http::Request& req);
  http::Response issues(http::Request& req);
  http::Response issues_csv(http::Request& req);
  http::Response issues_json(http::Request& req);
  http::Response compare(http::Request& req);
  // The uploaded DOM snapshot and screenshot of a scan body, checked: the caller's, of the right types.
  void check_upload(const http::Request& req, const nlohmann::json& body);

  Services& s_;
  ScanStore& scans_;
  ProjectStore& projects_;
  ScanQuotas quotas_;
};

}  // namespace tyto::products::accessibility
