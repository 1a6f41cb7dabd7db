// The migration runner against both backends, and the loading of migration files.
#include "tyto/storage/migrations.hpp"
#include "storage/backends.hpp"
#include "tyto/core/hash.hpp"

#include <chrono>
#include <thread>

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;
using Catch::Matchers::Contains;

namespace {

constexpr std::string_view kFirst = "CREATE TABLE a (id BIGINT PRIMARY KEY);\n";
constexpr std::string_view kSecond = "CREATE TABLE b (id BIGINT PRIMARY KEY, a_id BIGINT REFERENCES a (id));\n";
constexpr std::string_view kTenth = "INSERT INTO a (id) VALUES (1);\nINSERT INTO b (id, a_id) VALUES (1, 1);\n";

// A directory of migrations, written out of order on purpose.
struct MigrationDir {
  TempDir dir;
  MigrationDir() {
    write("0010_seed.sql", kTenth);
    write("0001_create_a.sql", kFirst);
    write("0002_create_b.sql", kSecond);
  }
  void write(const std::string& name, std::string_view sql) const { write_file(dir.path() / name, std::string(sql)); }
  std::vector<Migration> load() const { return load_migrations(dir.path()); }
};

std::int64_t now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEMPLATE_TEST_CASE("The migration runner applies numbered files in order and records their checksums",
                   "[storage][migrations]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  std::int64_t started = now_micros();

  MigrationRunner runner(*db, files.load());
  CHECK(runner.migrate() == std::vector<int>{1, 2, 10});
  CHECK(count_rows(*db, "b") == 1);

  Result recorded = db->query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version");
  REQUIRE(recorded.rows.size() == 3);
  CHECK(recorded.rows[0].get<std::string>("name") == "0001_create_a.sql");
  CHECK(recorded.rows[0].get<std::string>("checksum") == sha256_hex(kFirst));
  CHECK(recorded.rows[1].get<std::string>("checksum") == sha256_hex(kSecond));
  CHECK(recorded.rows[2].get<int>("version") == 10);
  CHECK(recorded.rows[2].get<std::int64_t>("applied_at") >= started);
  CHECK(recorded.rows[2].get<std::int64_t>("applied_at") <= now_micros());

  SECTION("a second run applies nothing") {
    MigrationRunner again(*db, files.load());
    CHECK(again.migrate().empty());
    CHECK(again.status().current());
    CHECK(count_rows(*db, "schema_migrations") == 3);
  }
}

TEMPLATE_TEST_CASE("status() reports applied and pending versions", "[storage][migrations]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  std::vector<Migration> all = files.load();

  MigrationStatus fresh = MigrationRunner(*db, all).status();
  CHECK(fresh.applied.empty());
  CHECK(fresh.pending_versions() == std::vector<int>{1, 2, 10});
  CHECK_FALSE(fresh.current());

  MigrationRunner(*db, {all[0], all[1]}).migrate();
  MigrationStatus partly = MigrationRunner(*db, all).status();
  CHECK(partly.applied_versions() == std::vector<int>{1, 2});
  CHECK(partly.pending_versions() == std::vector<int>{10});
}

TEMPLATE_TEST_CASE("A migration edited after it was applied is refused", "[storage][migrations]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  MigrationRunner(*db, files.load()).migrate();

  files.write("0001_create_a.sql", "CREATE TABLE a (id BIGINT PRIMARY KEY, extra TEXT);\n");
  MigrationRunner runner(*db, files.load());
  CHECK_THROWS_WITH(runner.status(), Contains("0001_create_a.sql was changed after it was applied") &&
                                         Contains(sha256_hex(kFirst).substr(0, 12)));
  CHECK_THROWS_AS(runner.migrate(), MigrationError);
}

TEMPLATE_TEST_CASE("A database migrated by a newer binary is refused", "[storage][migrations]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  std::vector<Migration> all = files.load();
  MigrationRunner(*db, all).migrate();

  MigrationRunner older(*db, {all[0], all[1]});
  CHECK_THROWS_WITH(older.status(), Contains("database has migration 0010") && Contains("newer Tyto"));
  CHECK_THROWS_AS(older.migrate(), MigrationError);
}

TEMPLATE_TEST_CASE("A failing migration is rolled back and the earlier ones stay applied", "[storage][migrations]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  files.write("0002_create_b.sql", std::string(kSecond) + "INSERT INTO no_such_table (x) VALUES (1);\n");

  CHECK_THROWS_WITH(MigrationRunner(*db, files.load()).migrate(),
                    Contains("0002_create_b.sql failed and was rolled back"));
  MigrationStatus status = MigrationRunner(*db, files.load()).status();
  CHECK(status.applied_versions() == std::vector<int>{1});
  CHECK(status.pending_versions() == std::vector<int>{2, 10});
  CHECK(count_rows(*db, "a") == 0);
  CHECK_THROWS_AS(db->query("SELECT COUNT(*) FROM b"), DatabaseError);  // table b was rolled back too

  // A migration that never landed may still be fixed.
  files.write("0002_create_b.sql", kSecond);
  CHECK(MigrationRunner(*db, files.load()).migrate() == std::vector<int>{2, 10});
}

TEMPLATE_TEST_CASE("Two processes migrating one database at once apply each migration once", "[storage][migrations]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> first = open_db(backend);
  std::unique_ptr<Database> second = open_db(backend);
  MigrationDir files;
  std::vector<int> applied_first;
  std::vector<int> applied_second;
  std::string error;

  std::thread other([&] {
    try {
      applied_second = MigrationRunner(*second, files.load()).migrate();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  applied_first = MigrationRunner(*first, files.load()).migrate();
  other.join();

  CHECK(error.empty());
  CHECK(applied_first.size() + applied_second.size() == 3);
  CHECK(count_rows(*first, "schema_migrations") == 3);
  CHECK(count_rows(*first, "b") == 1);
}

TEMPLATE_TEST_CASE("The built-in migrations apply cleanly", "[storage][migrations]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::vector<Migration> builtin = builtin_migrations(db->dialect());
  REQUIRE_FALSE(builtin.empty());
  CHECK(builtin.front().name == "0001_init.sql");

  MigrationRunner runner(*db, builtin);
  CHECK(runner.migrate().size() == builtin.size());
  CHECK(runner.status().current());
  CHECK(runner.migrate().empty());

  db->execute("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)", {"theme", "dark", now_micros()});
  db->execute("INSERT INTO instances (id, hostname, version, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
              {"i-1", "host", "0.1.0", now_micros()});
  CHECK_THROWS_AS(db->execute("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)", {"theme", "x", 1}),
                  UniqueViolation);
}

TEST_CASE("The built-in migrations of both dialects carry the same versions", "[storage][migrations]") {
  std::vector<int> sqlite_versions;
  std::vector<int> postgres_versions;
  for (const Migration& m : builtin_migrations(Dialect::kSqlite)) sqlite_versions.push_back(m.version);
  for (const Migration& m : builtin_migrations(Dialect::kPostgres)) postgres_versions.push_back(m.version);
  CHECK_FALSE(sqlite_versions.empty());
  CHECK(sqlite_versions == postgres_versions);
}

TEST_CASE("load_migrations reads NNNN_*.sql files and ignores other files", "[storage][migrations]") {
  MigrationDir files;
  files.write("README.md", "Numbered files, never edited once landed.\n");
  files.write("notes.txt", "not a migration");
  std::filesystem::create_directory(files.dir.path() / "0003_a_directory.sql");

  std::vector<Migration> migrations = files.load();
  REQUIRE(migrations.size() == 3);
  CHECK(migrations[0].version == 1);
  CHECK(migrations[0].name == "0001_create_a.sql");
  CHECK(migrations[0].sql == kFirst);
  CHECK(migrations[0].checksum() == sha256_hex(kFirst));
  CHECK(migrations[2].version == 10);
}

TEST_CASE("load_migrations rejects malformed names and duplicate versions", "[storage][migrations]") {
  SECTION("a .sql file without a number") {
    MigrationDir files;
    files.write("init.sql", "SELECT 1;");
    CHECK_THROWS_WITH(files.load(), Contains("init.sql must be named NNNN_description.sql"));
  }
  SECTION("a number without the underscore") {
    MigrationDir files;
    files.write("0004init.sql", "SELECT 1;");
    CHECK_THROWS_AS(files.load(), MigrationError);
  }
  SECTION("two files with one version") {
    MigrationDir files;
    files.write("1_again.sql", "SELECT 1;");
    CHECK_THROWS_WITH(files.load(), Contains("share version 0001"));
  }
  SECTION("a directory that does not exist") {
    TempDir dir;
    CHECK_THROWS_AS(load_migrations(dir.path() / "missing"), MigrationError);
  }
}

namespace {

// Two products' sets, each numbered from 0001, beside the platform's.
std::vector<MigrationSet> component_sets(const MigrationDir& platform) {
  return {{"platform", platform.load()},
          {"alpha", {{1, "0001_alpha.sql", "CREATE TABLE alpha_items (id BIGINT PRIMARY KEY);\n"}}},
          {"beta",
           {{1, "0001_beta.sql", "CREATE TABLE beta_items (id BIGINT PRIMARY KEY);\n"},
            {2, "0002_beta_seed.sql", "INSERT INTO beta_items (id) VALUES (7);\n"}}}};
}

}  // namespace

TEMPLATE_TEST_CASE("Each component has its own numbered set, applied platform first, in list order",
                   "[storage][migrations]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;

  const auto applied = MigrationRunner(*db, component_sets(files)).migrate_all();
  std::vector<std::string> order;
  for (const auto& m : applied) order.push_back(m.component + "/" + m.name);
  CHECK(order == std::vector<std::string>{"platform/0001_create_a.sql", "platform/0002_create_b.sql",
                                          "platform/0010_seed.sql", "alpha/0001_alpha.sql", "beta/0001_beta.sql",
                                          "beta/0002_beta_seed.sql"});
  CHECK(count_rows(*db, "beta_items") == 1);
  CHECK(count_rows(*db, "schema_migrations") == 6);
  CHECK(MigrationRunner(*db, component_sets(files)).status().current());
}

TEMPLATE_TEST_CASE("A component left out of the build leaves its tables alone instead of stopping start-up",
                   "[storage][migrations]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  MigrationRunner(*db, component_sets(files)).migrate();

  auto without_beta = component_sets(files);
  without_beta.pop_back();
  MigrationRunner runner(*db, without_beta);
  const auto status = runner.status();
  CHECK(status.current());
  CHECK(status.absent == std::vector<std::string>{"beta"});
  CHECK(runner.migrate().empty());
  CHECK(count_rows(*db, "beta_items") == 1);  // untouched

  SECTION("and a build with it again finds it current") {
    CHECK(MigrationRunner(*db, component_sets(files)).status().current());
  }
}

TEMPLATE_TEST_CASE("A changed file of a product's set stops start-up with the file's name", "[storage][migrations]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  MigrationRunner(*db, component_sets(files)).migrate();

  auto changed = component_sets(files);
  changed[1].migrations[0].sql = "CREATE TABLE alpha_items (id BIGINT PRIMARY KEY, extra TEXT);\n";
  CHECK_THROWS_WITH(MigrationRunner(*db, changed).status(),
                    Contains("0001_alpha.sql was changed after it was applied"));
  CHECK_THROWS_AS(MigrationRunner(*db, changed).migrate(), MigrationError);
}

TEMPLATE_TEST_CASE("A schema_migrations table from before components is upgraded in place", "[storage][migrations]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  MigrationDir files;
  const auto platform = files.load();
  // The table and rows exactly as the binary before components made them.
  db->execute_script(
      "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY NOT NULL, name TEXT NOT NULL, "
      "checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  for (const auto& m : {platform[0], platform[1]}) {
    db->execute_script(m.sql);
    db->execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                {m.version, m.name, m.checksum(), now_micros()});
  }

  MigrationRunner runner(*db, component_sets(files));
  CHECK(runner.status().pending_versions() == std::vector<int>{10});  // read before the upgrade, too
  const auto applied = runner.migrate_all();
  REQUIRE(applied.size() == 4);
  CHECK(applied.front() == MigrationRef{"platform", 10, "0010_seed.sql"});
  Result rows = db->query("SELECT component, version FROM schema_migrations ORDER BY component, version");
  REQUIRE(rows.rows.size() == 6);
  CHECK(rows.rows[3].get<std::string>(0) == "platform");  // alpha, beta, beta, then platform
  CHECK(rows.rows[3].get<int>(1) == 1);
  CHECK(runner.status().current());
}
