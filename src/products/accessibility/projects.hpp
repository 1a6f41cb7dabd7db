// Projects: a site's scans grouped, with the settings its scans use and a schedule of rescans (manual,
// daily, weekly or a cron expression) kept as a platform schedule (/api/v1/schedules) that runs the internal
// pipeline accessibility.scan with {project_id}. Routes /api/v1/projects (projects.cpp).
#pragma once

#include "scans.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/http/request.hpp"
#include "tyto/http/router.hpp"
#include "tyto/product.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tyto::products::accessibility {

struct Project {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string url;
  nlohmann::json settings = nlohmann::json::object();  // viewport, tags, rules, actions, wait_ms, cookies, headers
  std::string schedule = "manual";
  std::optional<std::string> schedule_id;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

nlohmann::json project_json(const Project& p);
// "manual" → nullopt, "daily" / "weekly" → their cron, anything else is a cron expression itself.
std::optional<std::string> schedule_cron(const std::string& schedule);

class ProjectStore {
 public:
  explicit ProjectStore(storage::Database& db) : db_(db) {}
  void insert(storage::Session& tx, const Project& p);
  void update(storage::Session& tx, const Project& p);
  bool remove(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::optional<Project> get(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::optional<Project> get(const std::string& tenant_id, const std::string& id) { return get(db_, tenant_id, id); }
  std::vector<Project> list(const std::string& tenant_id, const std::string& before, int limit);
  std::vector<Project> created_by(const std::string& user_id);
  void forget_user(storage::Session& tx, const std::string& user_id);

 private:
  storage::Database& db_;
};

// The project routes, and what the product keeps about users (projects and scans they created).
class Projects final : public api::PersonalData {
 public:
  Projects(Services& s, ProjectStore& store, ScanStore& scans) : s_(s), store_(store), scans_(scans) {}

  void install(http::Router& router);

  std::string_view section() const override { return "accessibility"; }
  api::ExportPart export_user(const std::string& user_id) override;
  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) override;

 private:
  http::Response create(http::Request& req);
  http::Response get(http::Request& req);
  http::Response list(http::Request& req);
  http::Response patch(http::Request& req);
  http::Response remove(http::Request& req);
  Project find(storage::Session& tx, const std::string& tenant_id, std::string_view id);
  void sync_schedule(Project& p);

  Services& s_;
  ProjectStore& store_;
  ScanStore& scans_;
};

}  // namespace tyto::products::accessibility
