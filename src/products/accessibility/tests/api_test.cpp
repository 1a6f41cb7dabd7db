// The accessibility product's API beside its scans: comparisons of two scans, projects with their platform
// schedules, validation and quotas, tenant isolation (the matrix) and personal data; on SQLite and PostgreSQL.
#include "integration/isolation_matrix.hpp"
#include "integration/unzip.hpp"
#include "support.hpp"
#include "support/process.hpp"

#include <set>

using namespace tyto::test;
using namespace tyto::test::a11y;

TEST_CASE("Comparing two scans of a page tells new, fixed and unchanged issues apart",
          "[integration][accessibility][compare]") {
  PageServer pages;
  serve_pages(pages);
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const std::uint16_t port = server->port();
  const json before = finished_scan(port, {{"url", pages.url("/rules.html")}});
  REQUIRE(before["status"] == "succeeded");
  // The page gets an alt text for the image and loses a label.
  std::string html = a11y_pages::rules_page();
  html.replace(html.find("<img id=\"missing-alt\" src=\"/photo.png\""), 38,
               "<img id=\"missing-alt\" alt=\"A photo\" src=\"/photo.png\"");
  html.replace(html.find("<label for=\"secret\">Password</label>"), 35, "");
  pages.page("/rules.html", html);
  const json after = finished_scan(port, {{"url", pages.url("/rules.html")}});
  REQUIRE(after["status"] == "succeeded");
  REQUIRE_FALSE(has(after, "image-alt", "#missing-alt"));

  auto cmp = api(port, "GET",
                 "/api/v1/scans/" + after["id"].get<std::string>() + "/compare/" + before["id"].get<std::string>());
  INFO(cmp.raw.body);
  REQUIRE(cmp.status == 200);
  CHECK(cmp.body["same_url"] == true);
  auto keys = [](const json& list) {
    std::set<std::string> out;
    for (const auto& i : list) out.insert(i["rule"].get<std::string>() + " " + i["selector"].get<std::string>());
    return out;
  };
  CHECK(keys(cmp.body["fixed"]).count("image-alt #missing-alt") == 1);
  CHECK(keys(cmp.body["new"]).count("label #secret") == 1);
  CHECK(keys(cmp.body["unchanged"]).count("label #unlabelled-name") == 1);
  CHECK(keys(cmp.body["unchanged"]).count("color-contrast #contrast-below") == 1);
  CHECK(cmp.body["counts"]["fixed"] == cmp.body["fixed"].size());
  CHECK(api(port, "GET",
            "/api/v1/scans/" + after["id"].get<std::string>() + "/compare/01900000-0000-7000-8000-000000000000")
            .status == 404);
}

TEMPLATE_TEST_CASE("Projects group scans and keep a platform schedule of rescans",
                   "[integration][accessibility][projects]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const std::uint16_t port = server->port();
  auto created = api(port, "POST", "/api/v1/projects",
                     {{"name", "Shop"},
                      {"url", "https://shop.example/"},
                      {"schedule", "daily"},
                      {"tags", {"wcag2aa"}},
                      {"headers", {{"Authorization", "Bearer shop-secret"}}},
                      {"cookies", {{{"name", "session"}, {"value", "cookie-secret"}}}}});
  INFO(created.raw.body);
  REQUIRE(created.status == 201);
  // Credentials for the site's scans are kept, never answered.
  CHECK(created.body["settings"]["headers"]["Authorization"] == "[redacted]");
  CHECK(created.body["settings"]["cookies"][0]["value"] == "[redacted]");
  CHECK(created.body["settings"]["tags"][0] == "wcag2aa");
  CHECK(api(port, "GET", "/api/v1/projects").raw.body.find("secret") == std::string::npos);
  const std::string id = created.body["id"];
  REQUIRE(created.body["schedule_id"].is_string());
  const std::string schedule_id = created.body["schedule_id"];
  auto schedule = api(port, "GET", "/api/v1/schedules/" + schedule_id);
  INFO(schedule.raw.body);
  REQUIRE(schedule.status == 200);
  CHECK(schedule.body["pipeline"] == "accessibility.scan");
  CHECK(schedule.body["cron"] == "0 3 * * *");
  CHECK(schedule.body["input"]["project_id"] == id);

  // Weekly replaces the schedule; manual removes it.
  auto weekly = api(port, "PATCH", "/api/v1/projects/" + id, {{"schedule", "weekly"}});
  REQUIRE(weekly.status == 200);
  CHECK(weekly.body["schedule_id"] != schedule_id);
  CHECK(api(port, "GET", "/api/v1/schedules/" + schedule_id).status == 404);
  const std::string weekly_id = weekly.body["schedule_id"];
  CHECK(api(port, "GET", "/api/v1/schedules/" + weekly_id).body["cron"] == "0 3 * * 1");
  auto manual = api(port, "PATCH", "/api/v1/projects/" + id, {{"schedule", "manual"}});
  CHECK(manual.body["schedule_id"].is_null());
  CHECK(api(port, "GET", "/api/v1/schedules/" + weekly_id).status == 404);
  CHECK(api(port, "PATCH", "/api/v1/projects/" + id, {{"schedule", "every tuesday"}}).status == 422);
  CHECK(api(port, "GET", "/api/v1/projects").body["items"].size() == 1);

  // A scan in the project is listed under it.
  auto scan = api(port, "POST", "/api/v1/scans", {{"url", "https://shop.example/"}, {"project_id", id}});
  REQUIRE(scan.status == 202);
  auto listed = api(port, "GET", "/api/v1/scans?project_id=" + id);
  REQUIRE(listed.body["items"].size() == 1);
  CHECK(listed.body["items"][0]["project_id"] == id);
  CHECK(api(port, "GET", "/api/v1/scans?project_id=" + created.body["schedule_id"].get<std::string>())
            .body["items"]
            .empty());

  REQUIRE(api(port, "DELETE", "/api/v1/projects/" + id).status == 204);
  CHECK(api(port, "GET", "/api/v1/projects/" + id).status == 404);
  CHECK(api(port, "GET", "/api/v1/scans/" + scan.body["scan_id"].get<std::string>()).body["project_id"].is_null());
}

TEST_CASE("Scan requests are validated, and a tenant's scans per day are a quota",
          "[integration][accessibility][validation]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args({"--products-accessibility-scans-per-day", "2"}));
  const std::uint16_t port = server->port();
  for (const json& bad :
       {json{{"url", "ftp://example.org/"}}, json{{"url", "javascript:alert(1)"}},
        json{{"url", "https://user:pw@example.org/"}}, json::object(),
        json{{"url", "https://example.org/"}, {"tags", {"wcag9"}}},
        json{{"url", "https://example.org/"}, {"rules", {"Image Alt"}}},
        json{{"url", "https://example.org/"}, {"actions", {{{"action", "dance"}}}}},
        json{{"url", "https://example.org/"}, {"viewport", {{"width", 0}}}},
        json{{"url", "https://example.org/"}, {"project_id", "01900000-0000-7000-8000-000000000000"}}}) {
    auto res = api(port, "POST", "/api/v1/scans", bad);
    INFO(bad.dump() << " → " << res.raw.body);
    CHECK((res.status == 422 || res.status == 404));
  }
  CHECK(api(port, "POST", "/api/v1/scans", {{"url", "https://example.org/"}, {"tags", {"wcag2aa", "best-practice"}}})
            .status == 202);
  CHECK(api(port, "POST", "/api/v1/scans", {{"url", "https://example.org/"}, {"rules", {"image-alt"}}}).status == 202);
  auto over = api(port, "POST", "/api/v1/scans", {{"url", "https://example.org/"}});
  CHECK(over.status == 429);
  CHECK(over.body["error"]["code"] == "quota_exceeded");
}

TEMPLATE_TEST_CASE("Another tenant reaches none of the accessibility routes' resources",
                   "[integration][accessibility][isolation]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(
      server->port(), {[](std::uint16_t port, Victim& v) {
        auto project = api(port, "POST", "/api/v1/projects", {{"name", "Site"}, {"url", "https://example.org/"}});
        REQUIRE(project.status == 201);
        v.add("/api/v1/projects/", project.body["id"]);
        auto scan = api(port, "POST", "/api/v1/scans", {{"url", "https://example.org/"}});
        REQUIRE(scan.status == 202);
        v.add("/api/v1/scans/", scan.body["scan_id"]);
        v.add("/ws/scans/", scan.body["scan_id"]);
        v.bodies["/api/v1/scans"] = {{"url", "https://example.org/"}};
      }});
}

TEST_CASE("A user's projects and scans are in their export, and erasing the user keeps them for the tenant",
          "[integration][accessibility][privacy]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args({"--auth-registration", "open"}));
  const std::uint16_t port = server->port();
  auto reg = api(port, "POST", "/api/v1/auth/register",
                 {{"email", "auditor@example.com"}, {"password", "a long enough password"}}, {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  const std::map<std::string, std::string> who = {
      {"Authorization", "Bearer " + reg.body["access_token"].get<std::string>()}};
  auto project = api(port, "POST", "/api/v1/projects", {{"name", "Mine"}, {"url", "https://example.org/"}}, who);
  REQUIRE(project.status == 201);
  auto scan = api(port, "POST", "/api/v1/scans", {{"url", "https://example.org/"}}, who);
  REQUIRE(scan.status == 202);
  const json data = json::parse(exported_archive(port, who).at("tyto-export.json"));
  REQUIRE(data["accessibility"]["projects"].size() == 1);
  CHECK(data["accessibility"]["projects"][0]["id"] == project.body["id"]);
  REQUIRE(data["accessibility"]["scans"].size() == 1);
  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, who).status == 204);
  // The user's own tenant keeps the rows, without their creator.
  auto db = backend.open();
  for (const auto& [table, id] : {std::pair{"accessibility_projects", project.body["id"].get<std::string>()},
                                  std::pair{"accessibility_scans", scan.body["scan_id"].get<std::string>()}}) {
    auto row = db->query_one(std::string("SELECT created_by FROM ") + table + " WHERE id = $1", {id});
    REQUIRE(row);
    CHECK(row->is_null(0));
  }
}
