#include "cli/cli.hpp"
#include "cli/platform.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/core/version.hpp"

#include <fmt/format.h>

#include <iostream>

#include <unistd.h>

namespace tyto::cli {
namespace {

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

// Records this process in `instances` while it serves, so operators can see which processes share
// the database.
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

int migrate(const Config& config, const Components& components) {
  try {
    auto db = open_database(config);
    storage::MigrationRunner runner(*db, migration_sets(config, db->dialect(), components));
    for (const auto& m : runner.migrate_all())
      std::cout << fmt::format("applied migration {} ({})\n", m.name, m.component);
    const auto status = runner.status();
    const auto platform = status.applied_versions();
    std::cout << fmt::format("database {} is at migration {:04} ({} applied, {} pending)\n", db->display_url(),
                             platform.empty() ? 0 : platform.back(), status.applied.size(), status.pending.size());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tyto migrate: " << e.what() << "\n";
    return 1;
  }
}

int serve(const Config& config, const Components& components) {
  http::Server::block_shutdown_signals();
  std::unique_ptr<Platform> platform;
  try {
    platform = std::make_unique<Platform>(config, components);
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}, {"database", storage::mask_database_url(config.database.url)}});
    log::flush();
    return 1;
  }
  try {
    platform->start();
    const auto port = platform->server().port();
    InstanceRecord instance(platform->db(), port);
    log::info("listening", {{"host", config.http.host},
                            {"port", static_cast<std::int64_t>(port)},
                            {"version", build_info().version},
                            {"database", platform->db().display_url()},
                            {"console", console_url(config.http, port)}});
    std::cout << "Tyto console: " << console_url(config.http, port) << std::endl;
    platform->server().wait_for_signal();
    platform->stop();
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}});
    log::flush();
    return 1;
  }
  log::info("stopped");
  log::flush();
  return 0;
}

}  // namespace tyto::cli
