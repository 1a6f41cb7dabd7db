#include "scans.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

#define SCAN_COLUMNS                                                                                      \
  "SELECT id, tenant_id, project_id, url, request, job_id, state, score, summary, screenshot_object_id, " \
  "issue_count, error, created_by, created_at, finished_at FROM accessibility_scans "
constexpr std::string_view kInsertScan =
    "INSERT INTO accessibility_scans (id, tenant_id, project_id, url, request, state, created_by, created_at) "
    "VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7)";
constexpr std::string_view kSetJob = "UPDATE accessibility_scans SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelectScan = SCAN_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kScanOfJob = SCAN_COLUMNS "WHERE tenant_id = $1 AND job_id = $2";
constexpr std::string_view kListScans =
    SCAN_COLUMNS "WHERE tenant_id = $1 AND ($2 = '' OR project_id = $2) AND id < $3 ORDER BY id DESC LIMIT $4";
constexpr std::string_view kScansOf = SCAN_COLUMNS "WHERE created_by = $1 ORDER BY id";
#undef SCAN_COLUMNS
constexpr std::string_view kScansSince =
    "SELECT COUNT(*) FROM accessibility_scans WHERE tenant_id = $1 AND created_at >= $2";
constexpr std::string_view kSetRunning =
    "UPDATE accessibility_scans SET state = 'running' WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetScreenshot =
    "UPDATE accessibility_scans SET screenshot_object_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kFinish =
    "UPDATE accessibility_scans SET state = $3, score = $4, summary = $5, issue_count = $6, error = $7, "
    "finished_at = $8 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kForgetCreator = "UPDATE accessibility_scans SET created_by = NULL WHERE created_by = $1";

constexpr std::string_view kClearIssues = "DELETE FROM accessibility_issues WHERE tenant_id = $1 AND scan_id = $2";
constexpr std::string_view kInsertIssue =
    "INSERT INTO accessibility_issues (tenant_id, scan_id, seq, rule, source, impact, status, selector, body) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kListIssues =
    "SELECT seq, body FROM accessibility_issues WHERE tenant_id = $1 AND scan_id = $2 AND seq > $3 "
    "AND ($4 = '' OR impact = $4) AND ($5 = '' OR rule = $5) AND ($6 = '' OR status = $6) ORDER BY seq LIMIT $7";
constexpr std::string_view kAllIssues =
    "SELECT seq, body FROM accessibility_issues WHERE tenant_id = $1 AND scan_id = $2 ORDER BY seq";

json opt_json(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

Scan scan_from_row(const storage::Row& r) {
  Scan s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.project_id = r.get_optional<std::string>(2);
  s.url = r.get<std::string>(3);
  s.request = json::parse(r.get<std::string>(4));
  s.job_id = r.get_optional<std::string>(5);
  s.state = r.get<std::string>(6);
  s.score = r.get_optional<std::int64_t>(7);
  s.summary = r.is_null(8) ? json(nullptr) : json::parse(r.get<std::string>(8));
  s.screenshot_object_id = r.get_optional<std::string>(9);
  s.issue_count = r.get<std::int64_t>(10);
  s.error = r.get_optional<std::string>(11);
  s.created_by = r.get_optional<std::string>(12);
  s.created_at = r.get<std::int64_t>(13);
  s.finished_at = r.get_optional<std::int64_t>(14);
  return s;
}

std::vector<StoredIssue> issues_from(const storage::Result& result) {
  std::vector<StoredIssue> out;
  for (const auto& r : result.rows)
    out.push_back({r.get<std::int64_t>(0), issue_from_json(json::parse(r.get<std::string>(1)))});
  return out;
}

}  // namespace

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id)) {
    throw Error(ErrorCode::kNotFound, "no such " + std::string(what), {{"id", std::string(id.substr(0, 64))}});
  }
}

json scan_json(const Scan& s, bool with_request) {
  json out = {{"id", s.id},
              {"project_id", opt_json(s.project_id)},
              {"url", s.url},
              {"job_id", opt_json(s.job_id)},
              {"status", s.state},
              {"score", s.score ? json(*s.score) : json(nullptr)},
              {"summary", s.summary},
              {"screenshot_object_id", opt_json(s.screenshot_object_id)},
              {"issue_count", s.issue_count},
              {"error", opt_json(s.error)},
              {"created_at", format_rfc3339(s.created_at)},
              {"finished_at", s.finished_at ? json(format_rfc3339(*s.finished_at)) : json(nullptr)}};
  if (with_request) out["request"] = redacted_settings(s.request);
  return out;
}

json redacted_settings(json settings) {
  constexpr const char* kRedacted = "[redacted]";
  if (!settings.is_object()) return settings;
  if (auto c = settings.find("cookies"); c != settings.end() && c->is_array()) {
    for (auto& cookie : *c)
      if (cookie.is_object() && cookie.contains("value")) cookie["value"] = kRedacted;
  }
  if (auto h = settings.find("headers"); h != settings.end() && h->is_object()) {
    for (auto it = h->begin(); it != h->end(); ++it) it.value() = kRedacted;
  }
  if (auto a = settings.find("actions"); a != settings.end() && a->is_array()) {
    for (auto& action : *a)
      if (action.is_object() && action.value("action", "") == "type" && action.contains("text"))
        action["text"] = kRedacted;
  }
  return settings;
}

json scan_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"project_id", {{"type", {"string", "null"}}}},
            {"url", {{"type", "string"}}},
            {"job_id", {{"type", {"string", "null"}}}},
            {"status", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed"}}}},
            {"score", {{"type", {"integer", "null"}}, {"minimum", 0}, {"maximum", 100}}},
            {"summary", {{"type", {"object", "null"}}}},
            {"screenshot_object_id", {{"type", {"string", "null"}}}},
            {"issue_count", {{"type", "integer"}}},
            {"issues", {{"type", "array"}, {"items", issue_schema()}}},
            {"error", {{"type", {"string", "null"}}}},
            {"created_at", {{"type", "string"}}},
            {"finished_at", {{"type", {"string", "null"}}}}}}};
}

json stored_issue_json(const StoredIssue& i) {
  json out = issue_json(i.issue);
  out["seq"] = i.seq;
  return out;
}

json issue_schema() {
  const json text = {{"type", "string"}};
  return {{"type", "object"},
          {"properties",
           {{"seq", {{"type", "integer"}}},
            {"rule", text},
            {"source", {{"type", "string"}, {"enum", {"axe", "tyto"}}}},
            {"impact", {{"type", "string"}, {"enum", {"minor", "moderate", "serious", "critical"}}}},
            {"wcag", {{"type", "array"}, {"items", text}}},
            {"status", {{"type", "string"}, {"enum", {"violation", "needs_review"}}}},
            {"selector", text},
            {"html", text},
            {"bbox", {{"type", {"object", "null"}}}},
            {"message", text},
            {"help_url", text},
            {"data", {{"type", "object"}}},
            {"evidence_object_id", {{"type", {"string", "null"}}}}}}};
}

std::string scan_topic(const std::string& scan_id) { return "a11y_scan:" + scan_id; }

void ScanStore::insert(storage::Session& tx, const Scan& s) {
  tx.execute(kInsertScan, {s.id, s.tenant_id, s.project_id, s.url, s.request.dump(), s.created_by, s.created_at});
}

void ScanStore::set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                        const std::string& job_id) {
  tx.execute(kSetJob, {tenant_id, id, job_id});
}

std::optional<Scan> ScanStore::get(const std::string& tenant_id, const std::string& id) {
  return get(db_, tenant_id, id);
}

std::optional<Scan> ScanStore::get(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  const auto row = tx.query_one(kSelectScan, {tenant_id, id});
  if (!row) return std::nullopt;
  return scan_from_row(*row);
}

std::optional<Scan> ScanStore::of_job(const std::string& tenant_id, const std::string& job_id) {
  const auto row = db_.query_one(kScanOfJob, {tenant_id, job_id});
  if (!row) return std::nullopt;
  return scan_from_row(*row);
}

std::vector<Scan> ScanStore::list(const std::string& tenant_id, const std::string& project_id,
                                  const std::string& before, int limit) {
  std::vector<Scan> out;
  for (const auto& r : db_.query(kListScans, {tenant_id, project_id, before, limit}).rows) {
    out.push_back(scan_from_row(r));
  }
  return out;
}

std::int64_t ScanStore::started_since(const std::string& tenant_id, std::int64_t since) {
  return db_.query_one(kScansSince, {tenant_id, since})->get<std::int64_t>(0);
}

void ScanStore::set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  tx.execute(kSetRunning, {tenant_id, id});
}

void ScanStore::set_screenshot(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                               const std::string& object_id) {
  tx.execute(kSetScreenshot, {tenant_id, id, object_id});
}

void ScanStore::clear_issues(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  tx.execute(kClearIssues, {tenant_id, id});
}

void ScanStore::add_issue(storage::Session& tx, const std::string& tenant_id, const std::string& scan_id,
                          std::int64_t seq, const Issue& issue) {
  tx.execute(kInsertIssue, {tenant_id, scan_id, seq, issue.rule, issue.source, issue.impact, issue.status,
                            issue.selector, issue_json(issue).dump()});
}

void ScanStore::finish(storage::Session& tx, const std::string& tenant_id, const std::string& id, bool ok,
                       std::optional<std::int64_t> score, const json& summary, std::int64_t issue_count,
                       const std::optional<std::string>& error) {
  tx.execute(kFinish,
             {tenant_id, id, ok ? "succeeded" : "failed", score,
              summary.is_null() ? storage::Value() : storage::Value(summary.dump()), issue_count, error, now_micros()});
}

std::vector<StoredIssue> ScanStore::issues(const IssueQuery& q) {
  return issues_from(db_.query(kListIssues, {q.tenant_id, q.scan_id, q.after, q.impact, q.rule, q.status, q.limit}));
}

std::vector<StoredIssue> ScanStore::all_issues(const std::string& tenant_id, const std::string& scan_id) {
  return issues_from(db_.query(kAllIssues, {tenant_id, scan_id}));
}

std::vector<Scan> ScanStore::created_by(const std::string& user_id) {
  std::vector<Scan> out;
  for (const auto& r : db_.query(kScansOf, {user_id}).rows) out.push_back(scan_from_row(r));
  return out;
}

void ScanStore::forget_user(storage::Session& tx, const std::string& user_id) { tx.execute(kForgetCreator, {user_id}); }

}  // namespace tyto::products::accessibility
