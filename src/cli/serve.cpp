#include "cli/cli.hpp"

#include "tyto/api/system_routes.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/core/version.hpp"
#include "tyto/http/server.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/storage/migrations.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include <unistd.h>

namespace tyto::cli {
namespace {

std::unique_ptr<storage::Database> open(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) throw Error(ErrorCode::kUnavailable, fmt::format("cannot create data dir {}: {}", config.data_dir, ec.message()));
  storage::DatabaseOptions options;
  options.url = config.database.url;
  options.pool_size = config.database.pool_size;
  options.acquire_timeout = config.database.acquire_timeout;
  options.busy_timeout = config.database.busy_timeout;
  return storage::open_database(options);
}

std::vector<storage::Migration> migrations_for(const Config& config, storage::Dialect dialect) {
  if (config.database.migrations_dir.empty()) return storage::builtin_migrations(dialect);
  return storage::load_migrations(std::filesystem::path(config.database.migrations_dir) /
                                  std::string(storage::dialect_name(dialect)));
}

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string console_url(const HttpConfig& http, std::uint16_t port) {
  std::string host = http.host;
  if (host == "0.0.0.0" || host == "::") host = "localhost";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("http://{}:{}/", host, port);
}

// Records this process in `instances` while it serves, so operators (and later the job rescuer)
// can see which processes share the database.
class InstanceRecord {
 public:
  InstanceRecord(storage::Database& db, std::uint16_t port) : db_(db), id_(new_uuid_v7()) {
    const auto now = now_micros();
    db_.execute("INSERT INTO instances (id, hostname, version, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
                {id_, fmt::format("{}:{}", hostname(), port), std::string(build_info().version), now});
  }
  ~InstanceRecord() {
    try {
      db_.execute("DELETE FROM instances WHERE id = $1", {id_});
    } catch (const std::exception& e) {
      log::warn("could not remove instance record", {{"error", e.what()}});
    }
  }

 private:
  storage::Database& db_;
  std::string id_;
};

}  // namespace

void add_routes(http::Router& router, const Config& config, api::SystemDeps deps) {
  api::add_system_routes(router, std::move(deps));
  api::add_console_routes(router, config.console);
  // Products add their routes here as they land, each in its own add_*_routes function.
}

int migrate(const Config& config) {
  try {
    auto db = open(config);
    storage::MigrationRunner runner(*db, migrations_for(config, db->dialect()));
    const auto applied = runner.migrate();
    for (int v : applied) std::cout << fmt::format("applied migration {:04}\n", v);
    const auto status = runner.status();
    std::cout << fmt::format("database {} is at migration {:04} ({} applied, {} pending)\n", db->display_url(),
                             status.applied.empty() ? 0 : status.applied.back(), status.applied.size(),
                             status.pending.size());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tyto migrate: " << e.what() << "\n";
    return 1;
  }
}

int serve(const Config& config) {
  std::unique_ptr<storage::Database> db;
  std::vector<storage::Migration> migrations;
  try {
    db = open(config);
    migrations = migrations_for(config, db->dialect());
    storage::MigrationRunner runner(*db, migrations);
    if (config.database.migrate_on_start) {
      for (int v : runner.migrate()) log::info("applied migration", {{"version", v}});
    } else if (auto status = runner.status(); !status.current()) {
      log::warn("database migrations are pending; /ready answers 503 until `tyto migrate` runs",
                {{"pending", static_cast<std::int64_t>(status.pending.size())}});
    }
  } catch (const std::exception& e) {
    log::error("cannot start: database not usable", {{"error", e.what()}, {"database", storage::mask_database_url(config.database.url)}});
    log::flush();
    return 1;
  }

  metrics::Registry registry;
  metrics::add_process_collector(registry);
  http::Router router;
  add_routes(router, config, {*db, migrations, registry});

  http::Server::block_shutdown_signals();
  http::Server server(config.http, router, registry);
  try {
    std::optional<InstanceRecord> instance;
    server.start();
    instance.emplace(*db, server.port());
    log::info("listening", {{"host", config.http.host},
                            {"port", static_cast<std::int64_t>(server.port())},
                            {"version", build_info().version},
                            {"database", db->display_url()},
                            {"console", console_url(config.http, server.port())}});
    std::cout << "Tyto console: " << console_url(config.http, server.port()) << std::endl;
    server.wait_for_signal();
    instance.reset();
    log::info("stopped");
    log::flush();
    return 0;
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}});
    log::flush();
    return 1;
  }
}

}  // namespace tyto::cli
