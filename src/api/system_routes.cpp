#include "tyto/api/system_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/version.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <mutex>

namespace tyto::api {
namespace {

using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

json object_schema(json properties, json required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

// Whether the object store takes writes: a probe object written and deleted, a success trusted for a
// while so that frequent readiness checks cost one write every kTrust, a failure never trusted.
class WriteProbe {
 public:
  explicit WriteProbe(objects::ObjectStore& store) : store_(store) {}

  // Throws Error(kUnavailable) with details.checks when the store cannot write.
  void check(const json& checks) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now < ok_until_) return;
    try {
      objects::probe_write(store_);
    } catch (const std::exception& e) {
      log::warn("readiness: the object store cannot store objects", {{"store", store_.kind()}, {"error", e.what()}});
      json failed = checks;
      failed["objects"] = "unwritable";
      throw Error(ErrorCode::kUnavailable, fmt::format("the object store ({}) cannot store objects", store_.kind()),
                  {{"checks", failed}});
    }
    ok_until_ = now + kTrust;
  }

 private:
  static constexpr std::chrono::seconds kTrust{2};
  objects::ObjectStore& store_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point ok_until_;  // GUARDED_BY(mutex_)
};

}  // namespace

void add_system_routes(http::Router& router, SystemDeps deps) {
  const auto& build = build_info();

  // /health answers from memory on the I/O thread: it says the process is alive, nothing more.
  const std::string health_body = json{{"status", "ok"}, {"version", build.version}}.dump();
  router.add(
      Method::kGet, "/health",
      [health_body](Request&) {
        Response res;
        res.headers.set("Content-Type", "application/json");
        res.headers.set("Cache-Control", "no-store");
        res.body = health_body;
        return res;
      },
      {"Liveness: the process is up", "system", nullptr,
       object_schema({{"status", {{"type", "string"}}}, {"version", {{"type", "string"}}}}, {"status", "version"})},
      {.run_on = http::RunOn::kIoThread, .public_route = true, .monitoring = true});

  auto shared = std::make_shared<SystemDeps>(std::move(deps));
  auto probe = shared->objects ? std::make_shared<WriteProbe>(*shared->objects) : nullptr;
  router.add(
      Method::kGet, "/ready",
      [shared, probe](Request&) {
        json checks = json::object();
        try {
          shared->db.ping();
          checks["database"] = "ok";
        } catch (const Error& e) {
          throw Error(ErrorCode::kUnavailable, std::string("database unreachable: ") + e.what(),
                      {{"checks", {{"database", "unreachable"}}}});
        }
        storage::MigrationRunner runner(shared->db, shared->migrations);
        storage::MigrationStatus status;
        try {
          status = runner.status();
        } catch (const storage::MigrationError& e) {
          throw Error(ErrorCode::kUnavailable, e.what(), {{"checks", {{"database", "ok"}, {"migrations", "invalid"}}}});
        }
        if (!status.current()) {
          json pending = json::array();
          for (const auto& m : status.pending) pending.push_back(m.component + "/" + m.name);
          throw Error(ErrorCode::kUnavailable, "database migrations are pending; run `tyto migrate`",
                      {{"checks", {{"database", "ok"}, {"migrations", "pending"}}}, {"pending", pending}});
        }
        checks["migrations"] = "current";
        if (probe) {
          probe->check(checks);
          checks["objects"] = "ok";
        }
        std::vector<std::string> failing;
        for (const auto* m : shared->modules) {
          for (const auto& [check, state] : m->readiness()) {
            const std::string key = std::string(m->name()) + "." + check;
            checks[key] = state;
            if (state != "ok" && !state.starts_with("ok: ")) failing.push_back(key + ": " + state);
          }
        }
        if (!failing.empty()) {
          std::string message = "not ready: " + failing.front();
          if (failing.size() > 1) message += fmt::format(" (and {} more)", failing.size() - 1);
          throw Error(ErrorCode::kUnavailable, message, {{"checks", checks}});
        }
        return Response::json({{"status", "ready"}, {"checks", checks}});
      },
      {"Readiness: the database is reachable, its migrations are current and the object store takes writes", "system",
       nullptr,
       object_schema({{"status", {{"type", "string"}}}, {"checks", {{"type", "object"}}}}, {"status", "checks"})},
      {.public_route = true, .monitoring = true});

  router.add(
      Method::kGet, "/metrics",
      [shared](Request&) {
        return Response::text(shared->registry.render(), "text/plain; version=0.0.4; charset=utf-8");
      },
      {"Prometheus metrics", "system", nullptr, nullptr, 200, "text/plain"},
      deps.metrics_public ? http::RouteOptions{.public_route = true, .monitoring = true}
                          : http::RouteOptions{.role = auth::Role::kAdmin, .monitoring = true});

  router.add(Method::kGet, "/api/v1",
             [](Request&) {
               const auto& b = build_info();
               return Response::json({{"name", "tyto"},
                                      {"version", b.version},
                                      {"api_version", "v1"},
                                      {"links",
                                       {{"openapi", "/api/v1/openapi.json"},
                                        {"docs", "/docs"},
                                        {"health", "/health"},
                                        {"ready", "/ready"},
                                        {"metrics", "/metrics"},
                                        {"console", "/"}}}});
             },
             {"API index: version and links", "system", nullptr,
              object_schema(
                  {{"name", {{"type", "string"}}}, {"version", {{"type", "string"}}}, {"links", {{"type", "object"}}}},
                  {"name", "version", "links"})},
             {.run_on = http::RunOn::kIoThread});

  router.add(Method::kPost, "/api/v1/config/validate",
             [shared](Request& req) {
               const json body = req.json();
               Config candidate;
               candidate.extra_options = shared->extra_options;  // the modules' and products' options of this build
               try {
                 apply_config_json(candidate, body["config"]);
               } catch (const ConfigError& e) {
                 const std::string key = config_error_key(e);
                 throw validation_error(e.what(), {{key.empty() ? "config" : key, e.what()}});
               }
               return Response::json({{"valid", true}});
             },
             {"Check a configuration document (the config file's format) without applying it", "system",
              object_schema({{"config", {{"type", "object"}}}}, {"config"}),
              object_schema({{"valid", {{"type", "boolean"}}}}, {"valid"})},
             {.run_on = http::RunOn::kIoThread, .max_body_bytes = 64 * 1024, .role = auth::Role::kAdmin});
}

}  // namespace tyto::api
