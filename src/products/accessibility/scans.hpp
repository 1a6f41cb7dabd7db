// Scans, their issues, and projects. A scan is one job (the internal pipeline accessibility.scan) that renders
// a page (or an uploaded DOM snapshot), runs axe-core and Tyto's checks, and keeps the issues in the order
// they were found. A project groups a site's scans and may rescan its page on a schedule.
//
// The stores hold the named SQL; every query names the tenant. They block: handlers on the blocking pool,
// stages.
#pragma once

#include "issue.hpp"
#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::accessibility {

struct Scan {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> project_id;
  std::string url;         // the page; for a scan of uploaded artifacts "upload:<dom object id>"
  nlohmann::json request;  // as requested (url or dom_object_id + screenshot_object_id, viewport, tags…)
  std::optional<std::string> job_id;
  std::string state = "queued";  // queued, running, succeeded, failed
  std::optional<std::int64_t> score;
  nlohmann::json summary;  // null until the scan finished
  std::optional<std::string> screenshot_object_id;
  std::int64_t issue_count = 0;
  std::optional<std::string> error;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> finished_at;
};

struct StoredIssue {
  std::int64_t seq = 0;
  Issue issue;
};

struct IssueQuery {
  std::string tenant_id;
  std::string scan_id;
  std::string impact, rule, status;  // empty: any
  std::int64_t after = 0;            // the cursor: the last seq shown
  int limit = 50;
};

// The scan as the API answers it; its request with redacted_settings().
nlohmann::json scan_json(const Scan& s, bool with_request = true);
// Scan settings as answered to the tenant's viewers: cookie values, header values and the text of type actions
// (a login's password) are replaced by "[redacted]". They are kept as given, for the scan and its reruns.
nlohmann::json redacted_settings(nlohmann::json settings);
nlohmann::json scan_schema();
nlohmann::json stored_issue_json(const StoredIssue& i);
nlohmann::json issue_schema();
// The events topic of a scan's stream: scan.running, issue.found, check.finished, scan.summary, scan.finished.
std::string scan_topic(const std::string& scan_id);
// A UUID, else Error(kNotFound) naming `what` (a malformed id is as unknown as a missing one).
void check_id(std::string_view id, std::string_view what);

class ScanStore {
 public:
  explicit ScanStore(storage::Database& db) : db_(db) {}

  void insert(storage::Session& tx, const Scan& s);
  void set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id, const std::string& job_id);
  std::optional<Scan> get(const std::string& tenant_id, const std::string& id);
  std::optional<Scan> get(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::optional<Scan> of_job(const std::string& tenant_id, const std::string& job_id);
  // Newest first, before `before` (an id; "~" for the first page); project_id empty: every scan.
  std::vector<Scan> list(const std::string& tenant_id, const std::string& project_id, const std::string& before,
                         int limit);
  // Scans the tenant started since `since` (microseconds): the daily quota.
  std::int64_t started_since(const std::string& tenant_id, std::int64_t since);
  void set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  void set_screenshot(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                      const std::string& object_id);
  // Drops the issues a failed earlier attempt left, so a retry starts clean.
  void clear_issues(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  void add_issue(storage::Session& tx, const std::string& tenant_id, const std::string& scan_id, std::int64_t seq,
                 const Issue& issue);
  void finish(storage::Session& tx, const std::string& tenant_id, const std::string& id, bool ok,
              std::optional<std::int64_t> score, const nlohmann::json& summary, std::int64_t issue_count,
              const std::optional<std::string>& error);

  std::vector<StoredIssue> issues(const IssueQuery& q);
  std::vector<StoredIssue> all_issues(const std::string& tenant_id, const std::string& scan_id);

  // Personal data: the scans a user started, and erasing them as their creator.
  std::vector<Scan> created_by(const std::string& user_id);
  void forget_user(storage::Session& tx, const std::string& user_id);

 private:
  storage::Database& db_;
};

}  // namespace tyto::products::accessibility
