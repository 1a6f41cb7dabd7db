// Routes of scans (docs/products/accessibility.md).
#include "scan_routes.hpp"

#include "axe.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/api/streams.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/browser/render.hpp"
#include "tyto/core/csv.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/page.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <regex>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr std::size_t kIssuesInScan = 1000;  // GET /scans/{id} answers at most this many; the rest are paged

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string one_of(const http::Request& req, const char* name, std::initializer_list<const char*> allowed) {
  const auto v = req.query(name);
  if (!v || v->empty()) return {};
  for (const char* a : allowed)
    if (*v == a) return *v;
  std::vector<std::string> names(allowed.begin(), allowed.end());
  throw Error(ErrorCode::kValidationFailed, "invalid query", {{"fields", {{name, "one of " + join(names, ", ")}}}});
}

bool well_formed_seq(std::string_view c) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
  return ec == std::errc() && end == c.data() + c.size() && v >= 0;
}

json scan_body_schema() {
  json p = scan_settings_properties();
  p["url"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}};
  p["dom_object_id"] = {{"type", "string"}};
  p["screenshot_object_id"] = {{"type", "string"}};
  p["project_id"] = {{"type", "string"}};
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", p}};
}

json compare_schema() {
  const json list = {{"type", "array"}, {"items", issue_schema()}};
  return {{"type", "object"},
          {"properties",
           {{"scan_id", {{"type", "string"}}},
            {"other_id", {{"type", "string"}}},
            {"new", list},
            {"fixed", list},
            {"unchanged", list},
            {"counts", {{"type", "object"}}}}}};
}

}  // namespace

json scan_settings_properties() {
  const json render = browser::render_request_schema()["properties"];
  const json names = {
      {"type", "array"}, {"maxItems", 200}, {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}}};
  return {{"viewport", render["viewport"]},
          {"actions", render["actions"]},
          {"wait_ms", render["wait_ms"]},
          {"cookies", render["cookies"]},
          {"headers", render["headers"]},
          {"tags", names},
          {"rules", names}};
}

void check_scan_settings(const json& body, json& fields) {
  if (const auto t = body.find("tags"); t != body.end() && t->is_array()) {
    const auto& known = known_axe_tags();
    for (const auto& tag : *t) {
      if (tag.is_string() && std::find(known.begin(), known.end(), tag.get<std::string>()) == known.end()) {
        fields["tags"] = fmt::format("unknown tag {}; known: {}", tag.dump(), join(known, ", "));
      }
    }
  }
  if (const auto r = body.find("rules"); r != body.end() && r->is_array()) {
    static const std::regex id("[a-z0-9][a-z0-9-]{0,99}");
    for (const auto& rule : *r) {
      if (rule.is_string() && !std::regex_match(rule.get<std::string>(), id)) {
        fields["rules"] = "rule ids are axe's: lowercase letters, digits and dashes";
      }
    }
  }
  // The renderer's own reading of actions, viewport and the rest: what it refuses, the scan would fail on.
  json render = {{"url", "https://example.org/"}};
  for (const char* key : {"viewport", "actions", "wait_ms", "cookies", "headers"})
    if (body.contains(key)) render[key] = body[key];
  try {
    (void)browser::render_request_from_json(render);
  } catch (const Error& e) {
    const auto named = e.details().find("fields");
    if (named != e.details().end() && named->is_object() && !named->empty()) {
      for (auto it = named->begin(); it != named->end(); ++it) fields[it.key()] = *it;  // "actions[0]": …
    } else {
      fields["actions"] = e.what();
    }
  }
}

void check_scan_url(const std::string& url, json& fields) {
  try {
    (void)http::parse_outbound_url(url);
  } catch (const Error& e) {
    fields["url"] = std::string("an http or https URL: ") + e.what();
  }
}

Scan ScanRoutes::scan(const http::Request& req, std::string_view param) {
  const auto id = req.param(param);
  check_id(id, "scan");
  auto s = scans_.get(req.who().tenant_id, std::string(id));
  if (!s) throw Error(ErrorCode::kNotFound, "no such scan", {{"id", std::string(id)}});
  return std::move(*s);
}

void ScanRoutes::check_upload(const http::Request& req, const json& body) {
  const auto& who = req.who();
  auto object = [&](const char* name, std::string_view type_prefix, const char* what) {
    const std::string id = body.at(name);
    const auto o = is_uuid(id) ? s_.objects.get_object(who.tenant_id, id) : std::nullopt;
    // Someone else's object reads as unknown unless the caller is an admin, as on /api/v1/objects.
    if (!o || (!who.allows(auth::Role::kAdmin) && o->owner_id != who.owner_id())) {
      throw Error(ErrorCode::kNotFound, "no such object", {{name, id}});
    }
    if (o->content_type.rfind(type_prefix, 0) != 0) {
      throw Error(ErrorCode::kValidationFailed, "invalid scan",
                  {{"fields", {{name, fmt::format("must be {}, is {}", what, o->content_type)}}}});
    }
  };
  object("dom_object_id", "text/html", "an HTML file (text/html)");
  object("screenshot_object_id", "image/", "an image");
}

http::Response ScanRoutes::start(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const bool dom = body.contains("dom_object_id"), screenshot = body.contains("screenshot_object_id");
  const bool upload = dom || screenshot;
  if (upload == body.contains("url") || dom != screenshot) {
    throw Error(ErrorCode::kValidationFailed, "invalid scan",
                {{"fields", {{"url", "give either url, or dom_object_id with screenshot_object_id"}}}});
  }
  if (upload) check_upload(req, body);
  std::optional<std::string> project_id;
  if (body.contains("project_id")) {
    project_id = body["project_id"].get<std::string>();
    check_id(*project_id, "project");
    if (!projects_.get(who.tenant_id, *project_id)) {
      throw Error(ErrorCode::kNotFound, "no such project", {{"project_id", *project_id}});
    }
  }
  if (scans_.started_since(who.tenant_id, now_micros() - 86'400'000'000LL) >= quotas_.scans_per_day) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant's scans for the day are used up",
                {{"quota", "accessibility.scans_per_day"}, {"limit", quotas_.scans_per_day}});
  }
  Scan s;
  s.id = new_uuid_v7();
  s.tenant_id = who.tenant_id;
  s.project_id = project_id;
  s.url = upload ? "upload:" + body["dom_object_id"].get<std::string>() : body["url"].get<std::string>();
  s.request = body;
  if (!who.user_id.empty()) s.created_by = who.user_id;
  s.created_at = now_micros();
  auto spec = s_.jobs.spec("accessibility.scan", who.tenant_id, {{"scan_id", s.id}});
  spec.created_by = s.created_by;
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  scans_.insert(*tx, s);
  s.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  scans_.set_job(*tx, s.tenant_id, s.id, *s.job_id);
  s_.audit.record(*tx, api::audit_entry(req, "accessibility.scan_start", "scan:" + s.id, {{"url", s.url}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  json out = scan_json(s);
  out["scan_id"] = s.id;
  return http::Response::json(out, 202);
}

http::Response ScanRoutes::list(http::Request& req) {
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const std::string project = req.query("project_id").value_or("");
  if (!project.empty()) check_id(project, "project");
  const auto scans = scans_.list(req.who().tenant_id, project, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(
      q, scans, [](const Scan& s) { return scan_json(s, false); }, [](const Scan& s) { return s.id; }));
}

http::Response ScanRoutes::get(http::Request& req) {
  const Scan s = scan(req);
  json out = scan_json(s);
  json list = json::array();
  const auto all = scans_.all_issues(s.tenant_id, s.id);
  for (std::size_t i = 0; i < all.size() && i < kIssuesInScan; ++i) list.push_back(stored_issue_json(all[i]));
  out["issues"] = std::move(list);
  out["issues_truncated"] = all.size() > kIssuesInScan;
  return http::Response::json(out);
}

http::Response ScanRoutes::issues(http::Request& req) {
  const Scan s = scan(req);
  IssueQuery q;
  q.tenant_id = s.tenant_id;
  q.scan_id = s.id;
  q.impact = one_of(req, "impact", {"minor", "moderate", "serious", "critical"});
  q.status = one_of(req, "status", {"violation", "needs_review"});
  q.rule = req.query("rule").value_or("");
  const auto page = http::page_query(req, 50, 500, well_formed_seq);
  q.after = page.cursor ? std::stoll(*page.cursor) : 0;
  q.limit = page.fetch();
  return http::Response::json(http::page_body(page, scans_.issues(q), stored_issue_json,
                                              [](const StoredIssue& i) { return std::to_string(i.seq); }));
}

http::Response ScanRoutes::issues_csv(http::Request& req) {
  const Scan s = scan(req);
  std::string csv =
      "seq,rule,source,impact,status,wcag,selector,html,x,y,width,height,message,help_url,evidence_object_id\r\n";
  for (const auto& stored : scans_.all_issues(s.tenant_id, s.id)) {
    const Issue& i = stored.issue;
    auto num = [&](double IssueBox::*m) { return i.bbox ? fmt::format("{:.1f}", (*i.bbox).*m) : std::string(); };
    const std::vector<std::string> cells = {std::to_string(stored.seq),
                                            i.rule,
                                            i.source,
                                            i.impact,
                                            i.status,
                                            join(i.wcag, " "),
                                            i.selector,
                                            i.html,
                                            num(&IssueBox::x),
                                            num(&IssueBox::y),
                                            num(&IssueBox::width),
                                            num(&IssueBox::height),
                                            i.message,
                                            i.help_url,
                                            i.evidence_object_id.value_or("")};
    append_csv_row(csv, cells);
  }
  auto r = http::Response::text(std::move(csv), "text/csv; charset=utf-8");
  r.headers.set("Content-Disposition", fmt::format("attachment; filename=\"a11y-scan-{}.csv\"", s.id));
  return r;
}

http::Response ScanRoutes::issues_json(http::Request& req) {
  const Scan s = scan(req);
  json out = scan_json(s);
  out["issues"] = json::array();
  for (const auto& stored : scans_.all_issues(s.tenant_id, s.id)) out["issues"].push_back(stored_issue_json(stored));
  auto r = http::Response::json(out);
  r.headers.set("Content-Disposition", fmt::format("attachment; filename=\"a11y-scan-{}.json\"", s.id));
  return r;
}

// Issues keyed by rule and selector: new in {id} (absent from {other_id}), fixed (in {other_id} only), unchanged.
http::Response ScanRoutes::compare(http::Request& req) {
  const Scan current = scan(req, "id");
  const Scan other = scan(req, "other_id");
  auto keyed = [&](const Scan& s) {
    std::map<std::pair<std::string, std::string>, StoredIssue> out;
    for (auto& i : scans_.all_issues(s.tenant_id, s.id)) {
      auto key = std::make_pair(i.issue.rule, i.issue.selector);
      out.emplace(std::move(key), std::move(i));  // the first of a key stands for it
    }
    return out;
  };
  const auto now = keyed(current);
  const auto before = keyed(other);
  json added = json::array(), fixed = json::array(), unchanged = json::array();
  for (const auto& [key, issue] : now) (before.count(key) ? unchanged : added).push_back(stored_issue_json(issue));
  for (const auto& [key, issue] : before)
    if (!now.count(key)) fixed.push_back(stored_issue_json(issue));
  json counts = {{"new", added.size()}, {"fixed", fixed.size()}, {"unchanged", unchanged.size()}};
  return http::Response::json({{"scan_id", current.id},
                               {"other_id", other.id},
                               {"same_url", current.url == other.url},
                               {"new", std::move(added)},
                               {"fixed", std::move(fixed)},
                               {"unchanged", std::move(unchanged)},
                               {"counts", std::move(counts)}});
}

void ScanRoutes::install(http::Router& router) {
  const auto tag = "accessibility";
  const http::BodyCheck check = [](const http::Request&, const json& body, json& fields) {
    check_scan_settings(body, fields);
    if (const auto u = body.find("url"); u != body.end() && u->is_string())
      check_scan_url(u->get<std::string>(), fields);
  };
  router.add(http::Method::kPost, "/api/v1/scans", [this](http::Request& r) { return start(r); },
             {.summary = "Start an accessibility scan of a page (url), or of an uploaded DOM snapshot and screenshot; "
                         "a job runs it",
              .tag = tag,
              .request_schema = scan_body_schema(),
              .response_schema = scan_schema(),
              .success_status = 202},
             {.role = auth::Role::kUser, .body_check = check});
  router.add(http::Method::kGet, "/api/v1/scans", [this](http::Request& r) { return list(r); },
             {.summary = "The tenant's scans, newest first (?project_id=)",
              .tag = tag,
              .response_schema = http::page_schema(scan_schema())});
  router.add(http::Method::kGet, "/api/v1/scans/{id}", [this](http::Request& r) { return get(r); },
             {.summary = "One scan: status, summary, score and issues", .tag = tag, .response_schema = scan_schema()});
  router.add(http::Method::kGet, "/api/v1/scans/{id}/issues", [this](http::Request& r) { return issues(r); },
             {.summary = "A scan's issues in the order found (?impact=&rule=&status=)",
              .tag = tag,
              .response_schema = http::page_schema(issue_schema())});
  router.add(http::Method::kGet, "/api/v1/scans/{id}/issues.csv", [this](http::Request& r) { return issues_csv(r); },
             {.summary = "A scan's issues as CSV", .tag = tag, .success_content_type = "text/csv"});
  router.add(http::Method::kGet, "/api/v1/scans/{id}/issues.json", [this](http::Request& r) { return issues_json(r); },
             {.summary = "A scan with all its issues, as a JSON file", .tag = tag, .response_schema = scan_schema()});
  router.add(http::Method::kGet, "/api/v1/scans/{id}/compare/{other_id}",
             [this](http::Request& r) { return compare(r); },
             {.summary = "Issues new in a scan, fixed since another and unchanged (keyed by rule and selector)",
              .tag = tag,
              .response_schema = compare_schema()});
  // Live: the scan now, then scan.running, issue.found (axe's, then each check's), check.finished,
  // scan.summary and scan.finished.
  s_.streams.add(router, {.sse_path = "/api/v1/scans/{id}/events",
                          .websocket_path = "/ws/scans/{id}",
                          .resolve =
                              [this](const http::Request& req) {
                                const Scan s = scan(req);
                                return api::StreamSource{s.tenant_id, scan_topic(s.id), scan_json(s)};
                              },
                          .what = "an accessibility scan",
                          .tag = tag});
}

}  // namespace tyto::products::accessibility
