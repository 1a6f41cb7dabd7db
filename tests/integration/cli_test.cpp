// The `tyto` command line and start-up behaviour, on SQLite and on a real PostgreSQL.
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "tyto/storage/migrations.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace tyto::test;
using nlohmann::json;

namespace {

// A copy of the project's migrations that a test may extend or (to test the guard) edit.
std::filesystem::path copy_migrations(const TempDir& dir) {
  const auto target = dir.path() / "migrations";
  std::filesystem::copy(source_dir() / "migrations", target, std::filesystem::copy_options::recursive);
  return target;
}

}  // namespace

TEST_CASE("tyto version prints the version", "[integration][cli]") {
  auto r = run_tyto({"version"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("tyto 0."));
}

TEST_CASE("tyto config prints the effective configuration with secrets masked", "[integration][cli]") {
  auto r = run_tyto({"config", "--listen", "0.0.0.0:9999"},
                    {{"TYTO_DATABASE_URL", "postgres://tyto:s3cret@db:5432/tyto"}, {"TYTO_LOG_LEVEL", "warn"}});
  REQUIRE(r.status == 0);
  const auto config = json::parse(r.out);
  CHECK(config["listen"] == "0.0.0.0:9999");
  CHECK(config["log"]["level"] == "warn");
  CHECK(config["database"]["url"] == "postgres://tyto:***@db:5432/tyto");
  CHECK(r.out.find("s3cret") == std::string::npos);
}

TEST_CASE("An unknown option or a bad value exits 2 with a message", "[integration][cli]") {
  auto unknown = run_tyto({"serve", "--frobnicate", "1"});
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown option --frobnicate"));
  auto bad = run_tyto({"serve", "--listen", "localhost"});
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("HOST:PORT"));
  auto bad_env = run_tyto({"serve"}, {{"TYTO_HTTP_IO_THREADS", "-3"}});
  CHECK(bad_env.status == 2);
  CHECK_THAT(bad_env.err, Catch::Contains("TYTO_HTTP_IO_THREADS"));
  CHECK(run_tyto({"frobnicate"}).status == 2);
}

TEST_CASE("tyto migrate applies the migrations once", "[integration][cli][migrations]") {
  TempDir dir;
  const std::string db = "sqlite:" + (dir.path() / "t.db").string();
  auto first = run_tyto({"migrate", "--database", db});
  CHECK(first.status == 0);
  CHECK_THAT(first.out, Catch::Contains("applied migration 0001"));
  auto second = run_tyto({"migrate", "--database", db});
  CHECK(second.status == 0);
  CHECK_THAT(second.out, !Catch::Contains("applied migration"));
  CHECK_THAT(second.out, Catch::Contains("0 pending"));
}

TEST_CASE("tyto serve refuses to start when an applied migration was edited", "[integration][cli][migrations]") {
  TempDir dir;
  const auto migrations = copy_migrations(dir);
  const std::string db = "sqlite:" + (dir.path() / "t.db").string();
  REQUIRE(run_tyto({"migrate", "--database", db, "--database-migrations-dir", migrations.string()}).status == 0);

  const auto file = migrations / "sqlite" / "0001_init.sql";
  write_file(file, read_file(file) + "\n-- an edit after landing\n");
  TytoProcess server(
      {"serve", "--listen", "127.0.0.1:0", "--database", db, "--database-migrations-dir", migrations.string()});
  CHECK(server.wait() == 1);
  CHECK_THAT(server.stderr_text(), Catch::Contains("0001_init.sql"));
  CHECK_THAT(server.stderr_text(), Catch::Contains("changed"));
}

TEST_CASE("/ready answers 503 while migrations are pending", "[integration][cli][migrations]") {
  TempDir dir;
  const auto migrations = copy_migrations(dir);
  const std::string db = "sqlite:" + (dir.path() / "t.db").string();
  REQUIRE(run_tyto({"migrate", "--database", db, "--database-migrations-dir", migrations.string()}).status == 0);
  write_file(migrations / "sqlite" / "9001_later.sql", "CREATE TABLE later_things (id TEXT PRIMARY KEY);");

  auto server = TytoProcess::serve(
      {"--database", db, "--database-migrations-dir", migrations.string(), "--database-migrate-on-start", "false"});
  auto res = request(server->port(), "GET", "/ready");
  CHECK(res.status == 503);
  const auto err = json::parse(res.body)["error"];
  CHECK(err["code"] == "unavailable");
  CHECK(err["details"]["checks"]["migrations"] == "pending");
  CHECK(request(server->port(), "GET", "/health").status == 200);  // alive, just not ready
}

TEST_CASE("tyto serve runs on PostgreSQL", "[integration][cli][postgres]") {
  ScratchPostgres pg;
  auto server = TytoProcess::serve({"--database", pg.url()});
  auto res = request(server->port(), "GET", "/ready");
  CHECK(res.status == 200);
  CHECK(json::parse(res.body)["checks"]["migrations"] == "current");
  CHECK_THAT(server->stderr_text(), Catch::Contains("postgres://"));
  server->signal(SIGTERM);
  CHECK(server->wait() == 0);
}

TEST_CASE("tyto serve exits 1 with a clear message when the database is unreachable", "[integration][cli]") {
  TytoProcess server({"serve", "--listen", "127.0.0.1:0", "--database", "postgres://nobody@127.0.0.1:1/none"});
  CHECK(server.wait() == 1);
  CHECK_THAT(server.stderr_text(), Catch::Contains("cannot start"));
}

TEST_CASE("tyto serve exits 1 when its port is taken", "[integration][cli]") {
  auto first = TytoProcess::serve();
  TytoProcess second({"serve", "--listen", "127.0.0.1:" + std::to_string(first->port()), "--data-dir", "data"});
  CHECK(second.wait() == 1);
  CHECK_THAT(second.stderr_text(), Catch::Contains("cannot listen"));
}

TEMPLATE_TEST_CASE("A database migrated before components existed upgrades in place and keeps its data",
                   "[integration][cli][migrations]", SqliteBackend, PostgresBackend) {
  TestType backend;
  {
    // The database exactly as the binary before per-component migrations left it: every platform migration
    // applied and recorded in the old schema_migrations(version, name, checksum, applied_at).
    auto db = backend.open();
    db->execute_script(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY NOT NULL, name TEXT NOT NULL, "
        "checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    for (const auto& m : tyto::storage::builtin_migrations(db->dialect())) {
      db->execute_script(m.sql);
      db->execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                  {m.version, m.name, m.checksum(), 1});
    }
    db->execute("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)", {"kept", "yes", 1});
  }

  auto server = TytoProcess::serve(backend.args());
  CHECK(api(server->port(), "GET", "/ready").status == 200);
  auto db = backend.open();
  // The old rows are the platform's now; products of the build got their own sets on top.
  auto rows = db->query("SELECT component, version FROM schema_migrations WHERE component = 'platform'");
  CHECK(rows.rows.size() == tyto::storage::builtin_migrations(db->dialect()).size());
  CHECK(db->query_one("SELECT COUNT(*) FROM schema_migrations WHERE component = ''")->template get<std::int64_t>(0) ==
        0);
  CHECK(db->query_one("SELECT value FROM settings WHERE key = 'kept'")->template get<std::string>(0) == "yes");
}
