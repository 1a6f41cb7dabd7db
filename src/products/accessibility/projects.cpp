#include "projects.hpp"

#include "scan_routes.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/cron.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"
#include "tyto/jobs/scheduler.hpp"

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

#define PROJECT_COLUMNS                                                                                        \
  "SELECT id, tenant_id, name, url, settings, schedule, schedule_id, created_by, created_at, updated_at FROM " \
  "accessibility_projects "
constexpr std::string_view kInsert =
    "INSERT INTO accessibility_projects (id, tenant_id, name, url, settings, schedule, schedule_id, created_by, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kUpdate =
    "UPDATE accessibility_projects SET name = $3, url = $4, settings = $5, schedule = $6, schedule_id = $7, "
    "updated_at = $8 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDelete = "DELETE FROM accessibility_projects WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelect = PROJECT_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kList = PROJECT_COLUMNS "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kCreatedBy = PROJECT_COLUMNS "WHERE created_by = $1 ORDER BY id";
#undef PROJECT_COLUMNS
constexpr std::string_view kForget = "UPDATE accessibility_projects SET created_by = NULL WHERE created_by = $1";
constexpr std::string_view kDetachScans =
    "UPDATE accessibility_scans SET project_id = NULL WHERE tenant_id = $1 AND project_id = $2";

Project from_row(const storage::Row& r) {
  return {r.get<std::string>(0),
          r.get<std::string>(1),
          r.get<std::string>(2),
          r.get<std::string>(3),
          json::parse(r.get<std::string>(4)),
          r.get<std::string>(5),
          r.get_optional<std::string>(6),
          r.get_optional<std::string>(7),
          r.get<std::int64_t>(8),
          r.get<std::int64_t>(9)};
}

json project_body_schema(bool create) {
  json p = scan_settings_properties();
  p["name"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}};
  p["url"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}};
  p["schedule"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}};
  json s = {{"type", "object"}, {"additionalProperties", false}, {"properties", p}};
  if (create) s["required"] = {"name", "url"};
  return s;
}

json project_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"name", {{"type", "string"}}},
            {"url", {{"type", "string"}}},
            {"schedule", {{"type", "string"}}},
            {"schedule_id", {{"type", {"string", "null"}}}},
            {"settings", {{"type", "object"}}}}}};
}

// The members of a project body that are scan settings.
json settings_of(const json& body) {
  json out = json::object();
  for (const char* key : {"viewport", "tags", "rules", "actions", "wait_ms", "cookies", "headers"})
    if (body.contains(key)) out[key] = body[key];
  return out;
}

void check_project_body(const json& body, json& fields) {
  check_scan_settings(body, fields);
  if (const auto u = body.find("url"); u != body.end() && u->is_string()) check_scan_url(u->get<std::string>(), fields);
  if (const auto s = body.find("schedule"); s != body.end() && s->is_string()) {
    const auto text = s->get<std::string>();
    if (text != "manual" && text != "daily" && text != "weekly") {
      try {
        (void)CronExpression::parse(text);
      } catch (const std::exception& e) {
        fields["schedule"] = std::string("manual, daily, weekly or a cron expression: ") + e.what();
      }
    }
  }
}

}  // namespace

json project_json(const Project& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"url", p.url},
          {"settings", redacted_settings(p.settings)},
          {"schedule", p.schedule},
          {"schedule_id", p.schedule_id ? json(*p.schedule_id) : json(nullptr)},
          {"created_at", format_rfc3339(p.created_at)},
          {"updated_at", format_rfc3339(p.updated_at)}};
}

std::optional<std::string> schedule_cron(const std::string& schedule) {
  if (schedule == "manual") return std::nullopt;
  if (schedule == "daily") return "0 3 * * *";
  if (schedule == "weekly") return "0 3 * * 1";
  return schedule;
}

void ProjectStore::insert(storage::Session& tx, const Project& p) {
  tx.execute(kInsert, {p.id, p.tenant_id, p.name, p.url, p.settings.dump(), p.schedule, p.schedule_id, p.created_by,
                       p.created_at, p.updated_at});
}

void ProjectStore::update(storage::Session& tx, const Project& p) {
  tx.execute(kUpdate, {p.tenant_id, p.id, p.name, p.url, p.settings.dump(), p.schedule, p.schedule_id, p.updated_at});
}

bool ProjectStore::remove(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  tx.execute(kDetachScans, {tenant_id, id});
  return tx.execute(kDelete, {tenant_id, id}) > 0;
}

std::optional<Project> ProjectStore::get(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  const auto row = tx.query_one(kSelect, {tenant_id, id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::vector<Project> ProjectStore::list(const std::string& tenant_id, const std::string& before, int limit) {
  std::vector<Project> out;
  for (const auto& r : db_.query(kList, {tenant_id, before, limit}).rows) out.push_back(from_row(r));
  return out;
}

std::vector<Project> ProjectStore::created_by(const std::string& user_id) {
  std::vector<Project> out;
  for (const auto& r : db_.query(kCreatedBy, {user_id}).rows) out.push_back(from_row(r));
  return out;
}

void ProjectStore::forget_user(storage::Session& tx, const std::string& user_id) { tx.execute(kForget, {user_id}); }

api::ExportPart Projects::export_user(const std::string& user_id) {
  api::ExportPart part{{{"projects", json::array()}, {"scans", json::array()}}, {}};
  for (const auto& p : store_.created_by(user_id)) part.data["projects"].push_back(project_json(p));
  for (const auto& s : scans_.created_by(user_id)) part.data["scans"].push_back(scan_json(s));
  return part;
}

// Projects and scans are the tenant's: erasing a user keeps them without their creator.
void Projects::erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) {
  store_.forget_user(tx, user_id);
  scans_.forget_user(tx, user_id);
}

Project Projects::find(storage::Session& tx, const std::string& tenant_id, std::string_view id) {
  check_id(id, "project");
  auto p = store_.get(tx, tenant_id, std::string(id));
  if (!p) throw Error(ErrorCode::kNotFound, "no such project", {{"id", std::string(id)}});
  return std::move(*p);
}

void Projects::sync_schedule(Project& p) {
  if (p.schedule_id) s_.schedules.remove(p.tenant_id, *p.schedule_id);
  p.schedule_id.reset();
  if (const auto cron = schedule_cron(p.schedule)) {
    jobs::Schedule schedule;
    schedule.tenant_id = p.tenant_id;
    schedule.name = "accessibility: " + p.name;
    schedule.pipeline = "accessibility.scan";
    schedule.input = {{"project_id", p.id}};
    schedule.cron = *cron;
    p.schedule_id = s_.schedules.create(std::move(schedule)).id;
  }
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.update(*tx, p);
  tx->commit();
}

http::Response Projects::create(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const auto now = now_micros();
  Project p{new_uuid_v7(),
            who.tenant_id,
            body.at("name"),
            body.at("url"),
            settings_of(body),
            body.value("schedule", std::string("manual")),
            std::nullopt,
            who.user_id.empty() ? std::nullopt : std::optional<std::string>(who.user_id),
            now,
            now};
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert(*tx, p);
  s_.audit.record(*tx, api::audit_entry(req, "accessibility.project_create", "project:" + p.id, {{"name", p.name}}));
  tx->commit();
  sync_schedule(p);
  return http::Response::json(project_json(p), 201);
}

http::Response Projects::get(http::Request& req) {
  return http::Response::json(project_json(find(s_.db, req.who().tenant_id, req.param("id"))));
}

http::Response Projects::list(http::Request& req) {
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto projects = store_.list(req.who().tenant_id, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, projects, project_json, [](const Project& p) { return p.id; }));
}

http::Response Projects::patch(http::Request& req) {
  const json change = req.json();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto p = find(*tx, req.who().tenant_id, req.param("id"));
  if (change.empty()) {
    throw Error(ErrorCode::kValidationFailed, "invalid project", {{"fields", {{"body", "names nothing to change"}}}});
  }
  if (change.contains("name")) p.name = change["name"];
  if (change.contains("url")) p.url = change["url"];
  if (change.contains("schedule")) p.schedule = change["schedule"];
  for (auto it = change.begin(); it != change.end(); ++it) {
    if (it.key() != "name" && it.key() != "url" && it.key() != "schedule") p.settings[it.key()] = *it;
  }
  p.updated_at = now_micros();
  store_.update(*tx, p);
  s_.audit.record(*tx, api::audit_entry(req, "accessibility.project_update", "project:" + p.id));
  tx->commit();
  if (change.contains("schedule") || change.contains("name")) sync_schedule(p);
  return http::Response::json(project_json(p));
}

http::Response Projects::remove(http::Request& req) {
  const auto& tenant = req.who().tenant_id;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  const auto p = find(*tx, tenant, req.param("id"));
  store_.remove(*tx, tenant, p.id);
  s_.audit.record(*tx, api::audit_entry(req, "accessibility.project_delete", "project:" + p.id));
  tx->commit();
  if (p.schedule_id) s_.schedules.remove(tenant, *p.schedule_id);
  return http::Response::no_content();
}

void Projects::install(http::Router& router) {
  const auto tag = "accessibility";
  const http::BodyCheck check = [](const http::Request&, const json& body, json& fields) {
    check_project_body(body, fields);
  };
  router.add(http::Method::kPost, "/api/v1/projects", [this](http::Request& r) { return create(r); },
             {.summary = "Create a project: a site's page, the settings of its scans and a rescan schedule",
              .tag = tag,
              .request_schema = project_body_schema(true),
              .response_schema = project_schema(),
              .success_status = 201},
             {.role = auth::Role::kUser, .body_check = check});
  router.add(http::Method::kGet, "/api/v1/projects", [this](http::Request& r) { return list(r); },
             {.summary = "The tenant's projects, newest first",
              .tag = tag,
              .response_schema = http::page_schema(project_schema())});
  router.add(http::Method::kGet, "/api/v1/projects/{id}", [this](http::Request& r) { return get(r); },
             {.summary = "One project", .tag = tag, .response_schema = project_schema()});
  router.add(http::Method::kPatch, "/api/v1/projects/{id}", [this](http::Request& r) { return patch(r); },
             {.summary = "Change a project: the members given replace the stored ones",
              .tag = tag,
              .request_schema = project_body_schema(false),
              .response_schema = project_schema()},
             {.role = auth::Role::kUser, .body_check = check});
  router.add(http::Method::kDelete, "/api/v1/projects/{id}", [this](http::Request& r) { return remove(r); },
             {.summary = "Delete a project and its schedule (its scans stay, without a project)",
              .tag = tag,
              .success_status = 204},
             {.role = auth::Role::kUser});
}

}  // namespace tyto::products::accessibility
