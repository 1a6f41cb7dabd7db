// What only the PostgreSQL driver does: a bounded pool, reconnection, server-side statement reuse.
#include "storage/backends.hpp"
#include "support/private_postgres.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

std::int64_t backend_pid(Session& session) {
  return session.query_one("SELECT pg_backend_pid()")->get<std::int64_t>(0);
}

}  // namespace

TEST_CASE("A PostgreSQL pool with one busy connection reports exhaustion as DatabaseUnavailable", "[storage]") {
  PostgresBackend backend;
  DatabaseOptions db_options;
  db_options.pool_size = 1;
  db_options.acquire_timeout = 200ms;
  std::unique_ptr<Database> db = open_db(backend, db_options);
  auto tx = db->begin();

  auto started = std::chrono::steady_clock::now();
  auto error = thrown_by<DatabaseUnavailable>([&] { db->query("SELECT 1"); });
  CHECK(std::chrono::steady_clock::now() - started >= 150ms);
  CHECK_THAT(error.what(), Contains("database connection pool exhausted"));
  CHECK(error.code() == ErrorCode::kUnavailable);
  CHECK(error_status(error.code()) == 503);

  tx->commit();
  CHECK(db->query_one("SELECT 1")->get<int>(0) == 1);
}

TEST_CASE("A PostgreSQL database carries on after the server restarts", "[storage]") {
  PrivatePostgres server;
  DatabaseOptions options;
  options.url = server.url();
  options.pool_size = 2;
  std::unique_ptr<Database> db = open_database(options);
  db->execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY)");

  // One connection is inside a transaction across the restart; the other sits idle in the pool.
  auto tx = db->begin();
  tx->execute("INSERT INTO items (id) VALUES ($1)", {2});
  db->execute("INSERT INTO items (id) VALUES ($1)", {1});
  REQUIRE(server.restart());

  // The idle connection notices the restart when it is taken from the pool and reconnects first.
  CHECK(count_rows(*db, "items") == 1);
  CHECK_NOTHROW(db->execute("INSERT INTO items (id) VALUES ($1)", {3}));

  // The transaction's statement cannot be saved: its session is gone, so it fails loudly.
  CHECK_THROWS_AS(tx->execute("INSERT INTO items (id) VALUES ($1)", {4}), DatabaseUnavailable);
  tx.reset();

  // Its connection was replaced too: both pooled connections work now.
  auto held = db->begin();
  CHECK(count_rows(*held, "items") == 2);
  CHECK(count_rows(*db, "items") == 2);
  held->commit();
  CHECK_NOTHROW(db->ping());
}

TEST_CASE("A PostgreSQL connection terminated by the server is replaced before its next use", "[storage]") {
  PostgresBackend backend;
  DatabaseOptions db_options;
  db_options.pool_size = 1;
  std::unique_ptr<Database> db = open_db(backend, db_options);
  std::int64_t pid = backend_pid(*db);

  std::unique_ptr<Database> admin = open_db(backend);
  CHECK(admin->query_one("SELECT pg_terminate_backend($1)", {pid})->get<bool>(0));
  for (int i = 0; i < 100 && admin->query_one("SELECT 1 FROM pg_stat_activity WHERE pid = $1", {pid}); ++i) {
    std::this_thread::sleep_for(20ms);
  }

  CHECK(backend_pid(*db) != pid);
}

TEST_CASE("A PostgreSQL connection prepares each statement once", "[storage]") {
  PostgresBackend backend;
  DatabaseOptions db_options;
  db_options.pool_size = 1;
  std::unique_ptr<Database> db = open_db(backend, db_options);
  constexpr std::string_view kSql = "SELECT $1::bigint + 1";
  for (int i = 0; i < 50; ++i) REQUIRE(db->query_one(kSql, {i})->get<int>(0) == i + 1);
  auto prepared = db->query_one("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = $1", {kSql});
  CHECK(prepared->get<int>(0) == 1);
}

TEST_CASE("PostgreSQL column types read as typed values", "[storage]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  auto row = db->query_one(
      "SELECT 1::smallint AS s, 2::integer AS i, 3::bigint AS b, 1.5::real AS r, 2.25::numeric AS n, "
      "true AS t, false AS f, '\\x00ff'::bytea AS bytes, 'text'::varchar AS v, NULL::integer AS z, "
      "'NaN'::float8 AS nan, 'Infinity'::float8 AS inf");
  REQUIRE(row);
  CHECK(row->at("s") == Value(1));
  CHECK(row->at("i") == Value(2));
  CHECK(row->at("b") == Value(3));
  CHECK(row->at("r") == Value(1.5));
  CHECK(row->at("n") == Value(2.25));
  CHECK(row->at("t") == Value(true));
  CHECK(row->at("f") == Value(false));
  CHECK(row->at("bytes") == Value(Blob{std::string("\0\xff", 2)}));
  CHECK(row->at("v") == Value("text"));
  CHECK(row->is_null("z"));
  CHECK(std::isnan(row->get<double>("nan")));
  CHECK(std::isinf(row->get<double>("inf")));
  CHECK(db->query_one("SELECT $1::float8 AS d", {1.0 / 3.0})->get<double>(0) == 1.0 / 3.0);
}

TEST_CASE("A PostgreSQL serialization failure throws TransactionConflict", "[storage]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script("CREATE TABLE counters (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  db->execute("INSERT INTO counters (id, n) VALUES (1, 0)");

  auto tx = db->begin();
  tx->execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  CHECK(tx->query_one("SELECT n FROM counters WHERE id = 1")->get<int>(0) == 0);
  db->execute("UPDATE counters SET n = n + 1 WHERE id = 1");
  auto conflict = thrown_by<TransactionConflict>([&] { tx->execute("UPDATE counters SET n = n + 1 WHERE id = 1"); });
  CHECK(conflict.code() == ErrorCode::kConflict);
}

TEST_CASE("An unreachable PostgreSQL server throws DatabaseUnavailable without the password", "[storage]") {
  DatabaseOptions options;
  options.url = "postgres://tyto:s3cret-pw@127.0.0.1:1/tyto?connect_timeout=2";
  auto error = thrown_by<DatabaseUnavailable>([&] { open_database(options); });
  std::string message = error.what();
  CHECK_THAT(message, Contains("postgres://tyto:***@127.0.0.1:1/tyto"));
  CHECK_THAT(message, !Contains("s3cret-pw"));
  CHECK(error.code() == ErrorCode::kUnavailable);
}

TEST_CASE("A malformed PostgreSQL URL is a validation error", "[storage]") {
  DatabaseOptions options;
  options.url = "postgres://127.0.0.1/db?no_such_option=1";
  auto error = thrown_by<Error>([&] { open_database(options); });
  CHECK(error.code() == ErrorCode::kValidationFailed);
}
