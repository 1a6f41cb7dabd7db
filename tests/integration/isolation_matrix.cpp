#include "integration/isolation_matrix.hpp"

#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <thread>

using nlohmann::json;
using namespace std::chrono_literals;

namespace tyto::test {
namespace {}  // namespace

std::string Victim::id_for(const std::string& path) const {
  std::string best;
  std::string id = "01900000-0000-7000-8000-000000000000";  // unknown: must be 404 all the same
  for (const auto& [prefix, value] : ids) {
    if (path.rfind(prefix, 0) == 0 && prefix.size() > best.size()) {
      best = prefix;
      id = value;
    }
  }
  return id;
}

namespace {

std::string fill(const std::string& pattern, const Victim& v) {
  static const std::regex param(R"(\{[a-z_]+\})");
  return std::regex_replace(pattern, param, v.id_for(pattern));
}

// The smallest value a JSON Schema accepts, as far as the routes' schemas go: required members filled in,
// the first of an enum, a UUID for strings (ids, names and most text take one).
json sample_of(const json& schema) {
  if (!schema.is_object()) return json::object();
  if (schema.contains("enum") && !schema["enum"].empty()) return schema["enum"][0];
  std::string type = "object";
  if (schema.contains("type")) type = schema["type"].is_array() ? schema["type"][0] : schema["type"];
  if (type == "string") return "01900000-0000-7000-8000-000000000000";
  if (type == "integer") return schema.value("minimum", 1);
  if (type == "number") return schema.value("minimum", 0.5);
  if (type == "boolean") return false;
  if (type == "array") return json::array();
  if (type == "null") return nullptr;
  json out = json::object();
  for (const auto& name : schema.value("required", json::array())) {
    out[name.get<std::string>()] = sample_of(schema.value("properties", json::object()).value(name, json::object()));
  }
  return out;
}

// Bodies for routes that validate their body before looking the resource up: a hook's, or one made from the
// operation's request schema so that the router lets it through to the handler's lookup.
json body_for(const std::string& method, const std::string& pattern, const Victim& v, const json& op = {}) {
  if (method == "get" || method == "delete") return nullptr;
  if (const auto it = v.bodies.find(pattern); it != v.bodies.end()) return it->second;
  const json::json_pointer schema("/requestBody/content/application~1json/schema");
  if (op.is_object() && op.contains(schema) && op.at(schema).contains("required")) return sample_of(op.at(schema));
  if (pattern == "/api/v1/users/{id}") return {{"role", "viewer"}};
  return json::object();
}

std::string upper(std::string m) {
  for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return m;
}

// A new member of the victim's tenant with `role`, registered through an invitation; returns its access token
// and id.
std::pair<std::string, std::string> new_member(std::uint16_t port, const std::string& email, const std::string& role) {
  auto inv = api(port, "POST", "/api/v1/invitations", {{"email", email}, {"role", role}});
  REQUIRE(inv.status == 201);
  auto reg = api(port, "POST", "/api/v1/auth/register",
                 {{"email", email}, {"password", "a long enough password"}, {"invitation", inv.body["token"]}},
                 {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  return {reg.body["access_token"], reg.body["user"]["id"]};
}

// The build's product roles (the document's x-tyto-roles): for each, a viewer granted it may call the routes
// that require it and none that require user, admin, superadmin or another product role; a user without the
// grant may not call its routes. Runs after the cross-tenant walk: allowed calls act on the victim's data.
void check_product_roles(std::uint16_t port, const json& doc, const Victim& v, const std::string& plain_user) {
  int allowed = 0;
  for (const auto& declared : doc.value("x-tyto-roles", json::array())) {
    const std::string name = declared["name"];
    INFO("product role " << name << " of " << declared["product"]);
    CHECK(declared["description"].is_string());
    const auto [token, id] = new_member(port, "holder-" + name + "@example.com", "viewer");
    REQUIRE(api(port, "PUT", "/api/v1/users/" + id + "/grants/" + name).status == 204);
    for (const auto& [pattern, methods] : doc["paths"].items()) {
      for (const auto& [method, op] : methods.items()) {
        const std::string role = op.value("x-tyto-role", "");
        // Viewer routes (every role's, DELETE /me among them) say nothing of product roles.
        if (op["security"].empty() || role == "viewer" || op["responses"].contains("101")) continue;
        const std::string path = fill(pattern, v);
        INFO(upper(method) << " " << pattern << " (role " << role << ")");
        auto res = api(port, upper(method), path, body_for(method, pattern, v, op), bearer(token));
        INFO(res.raw.body.substr(0, 400));
        if (role == name) {
          ++allowed;
          CHECK(res.status != 401);
          CHECK(res.status != 403);
          auto refused = api(port, upper(method), path, body_for(method, pattern, v, op), bearer(plain_user));
          INFO(refused.raw.body.substr(0, 400));
          CHECK(refused.status == 403);
          CHECK(refused.body["error"]["code"] == "forbidden");
          CHECK(refused.body["error"]["details"]["required"] == name);
        } else {
          CHECK(res.status == 403);
        }
      }
    }
  }
  // Every declared role that some route requires was tried both ways.
  std::set<std::string> required;
  for (const auto& [pattern, methods] : doc["paths"].items()) {
    for (const auto& [method, op] : methods.items()) {
      const std::string role = op.value("x-tyto-role", "");
      for (const auto& declared : doc.value("x-tyto-roles", json::array())) {
        if (declared["name"] == role && !op["responses"].contains("101")) required.insert(role);
      }
    }
  }
  CHECK(allowed >= static_cast<int>(required.size()));
}

}  // namespace

void check_isolation(std::uint16_t port, const std::vector<IsolationHook>& hooks) {
  // The victim: the default tenant, with one of everything.
  Victim v;
  auto sa_login = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                      {{"Authorization", ""}});
  REQUIRE(sa_login.status == 200);
  const std::string superadmin = sa_login.body["access_token"];
  v.add("/api/v1/tenants/", sa_login.body["tenant"]["id"]);
  auto job = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}});
  REQUIRE(job.status == 202);
  v.add("/api/v1/jobs/", job.body["id"]);
  v.add("/ws/jobs/", job.body["id"]);
  auto schedule = api(port, "POST", "/api/v1/schedules", {{"pipeline", "builtin.noop"}, {"cron", "0 0 1 1 *"}});
  REQUIRE(schedule.status == 201);
  v.add("/api/v1/schedules/", schedule.body["id"]);
  auto key = api(port, "POST", "/api/v1/api-keys", {{"name", "victim key"}, {"role", "user"}});
  REQUIRE(key.status == 201);
  v.add("/api/v1/api-keys/", key.body["id"]);
  auto inv = api(port, "POST", "/api/v1/invitations", {{"email", "member@example.com"}, {"role", "user"}});
  REQUIRE(inv.status == 201);
  auto member =
      api(port, "POST", "/api/v1/auth/register",
          {{"email", "member@example.com"}, {"password", "a long enough password"}, {"invitation", inv.body["token"]}},
          {{"Authorization", ""}});
  REQUIRE(member.status == 201);
  v.add("/api/v1/users/", member.body["user"]["id"]);
  const std::string member_token = member.body["access_token"];
  auto viewer = api(port, "POST", "/api/v1/api-keys", {{"name", "viewer"}, {"role", "viewer"}});
  REQUIRE(viewer.status == 201);
  const std::string viewer_key = viewer.body["key"];
  for (const auto& hook : hooks) hook(port, v);

  // The intruder: an admin of another tenant.
  REQUIRE(api(port, "POST", "/api/v1/tenants", {{"name", "intruder"}}, bearer(superadmin)).status == 201);
  auto in_other =
      api(port, "POST", "/api/v1/auth/login",
          {{"email", kAdminEmail}, {"password", kAdminPassword}, {"tenant", "intruder"}}, {{"Authorization", ""}});
  REQUIRE(in_other.status == 200);
  auto other_key = api(port, "POST", "/api/v1/api-keys", {{"name", "intruder"}, {"role", "admin"}},
                       bearer(in_other.body["access_token"]));
  REQUIRE(other_key.status == 201);
  const std::string intruder = other_key.body["key"];
  // Raise both callers' rate limits: the walk makes many requests quickly.
  for (const auto& t : {std::string("current")}) {
    REQUIRE(api(port, "PUT", "/api/v1/tenants/" + t + "/limits", {{"key_burst", 10000}, {"tenant_burst", 10000}},
                bearer(superadmin))
                .status == 200);
  }
  REQUIRE(api(port, "PUT", "/api/v1/tenants/current/limits", {{"key_burst", 10000}, {"tenant_burst", 10000}},
              bearer(in_other.body["access_token"]))
              .status == 200);
  std::this_thread::sleep_for(5500ms);  // the limits cache

  auto doc = api(port, "GET", "/api/v1/openapi.json", nullptr);
  REQUIRE(doc.status == 200);
  int protected_routes = 0, role_checked = 0;
  for (const auto& [pattern, methods] : doc.body["paths"].items()) {
    for (const auto& [method, op] : methods.items()) {
      if (op["security"].empty()) continue;  // public
      ++protected_routes;
      const std::string path = fill(pattern, v);
      const std::string verb = [&] {
        std::string m = method;
        for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return m;
      }();
      const std::string role = op.value("x-tyto-role", "");
      INFO(verb << " " << pattern << " → " << path << " (role " << role << ")");

      if (op["responses"].contains("101")) {  // WebSocket: the upgrade must not show the victim's data
        Client c(port);
        if (c.websocket_upgrade(path, "Bearer " + intruder)) {
          auto first = c.websocket_read_text(5s);
          REQUIRE(first);
          // A stream of another tenant's resource ends with an error; one of the caller's own (a route without
          // an id: their notifications) may start with its snapshot, which never holds the victim's data.
          if (pattern.find('{') != std::string::npos) CHECK(json::parse(*first)["type"] == "error");
          for (const auto& id : v.all) CHECK(first->find(id) == std::string::npos);
        }
        continue;
      }
      auto res = api(port, verb, path, body_for(method, pattern, v, op), bearer(intruder));
      INFO(res.raw.body.substr(0, 400));
      if (pattern.find('{') != std::string::npos) {
        CHECK((res.status == 404 || res.status == 403));
      } else {
        for (const auto& id : v.all) CHECK(res.raw.body.find(id) == std::string::npos);
      }

      if (role != "viewer") {
        ++role_checked;
        auto small = api(port, verb, path, body_for(method, pattern, v, op), bearer(viewer_key));
        INFO(small.raw.body.substr(0, 400));
        CHECK(small.status == 403);
        if (role == "superadmin") CHECK(api(port, verb, path, body_for(method, pattern, v, op)).status == 403);
      }
    }
  }
  CHECK(protected_routes >= 25);
  CHECK(role_checked >= 10);

  check_product_roles(port, doc.body, v, member_token);

  // The victim's resources are untouched.
  CHECK(api(port, "GET", "/api/v1/jobs/" + v.ids["/api/v1/jobs/"], nullptr).status == 200);
  CHECK(api(port, "GET", "/api/v1/schedules/" + v.ids["/api/v1/schedules/"], nullptr).status == 200);
  auto keys = api(port, "GET", "/api/v1/api-keys", nullptr);
  for (const auto& k : keys.body["items"]) {
    if (k["id"] == v.ids["/api/v1/api-keys/"]) CHECK(k["revoked_at"].is_null());
  }
  auto users = api(port, "GET", "/api/v1/users", nullptr);
  CHECK(users.raw.body.find("member@example.com") != std::string::npos);
}

}  // namespace tyto::test
