// The storage contract, run unchanged against SQLite and PostgreSQL.
#include "storage/backends.hpp"

#include <fmt/format.h>

#include <atomic>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;

namespace {

constexpr std::string_view kCreateItems = "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)";
constexpr std::string_view kInsertItem = "INSERT INTO items (id, name) VALUES ($1, $2)";

std::string every_byte() {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes.push_back(static_cast<char>(c));
  return bytes;
}

}  // namespace

TEMPLATE_TEST_CASE("Values of every type survive a round trip", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(
      fmt::format("CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b {}, f BOOLEAN)",
                  blob_type(*db)));
  constexpr std::string_view kInsert = "INSERT INTO vals (id, i, d, t, b, f) VALUES ($1, $2, $3, $4, $5, $6)";
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::string kText = "h\xc3\xa9llo \xf0\x9f\xa6\x89 'quoted' \"double\" \\ back";
  const std::string kLargeBlob(1 << 20, '\0');

  db->execute(kInsert, {1, kMax, 3.141592653589793, kText, Blob{every_byte()}, true});
  db->execute(kInsert, {2, kMin, -1e300, "", Blob{}, false});
  db->execute(kInsert, {3, 0, 0.1, std::string(100000, 'x'), Blob{kLargeBlob}, true});
  db->execute(kInsert, {4, nullptr, std::optional<double>(), std::optional<std::string>(), nullptr, nullptr});

  Result result = db->query("SELECT id, i, d, t, b, f FROM vals ORDER BY id");
  REQUIRE(result.rows.size() == 4);
  REQUIRE(result.columns() == std::vector<std::string>{"id", "i", "d", "t", "b", "f"});
  const Row& first = result.rows[0];
  CHECK(first.get<std::int64_t>("i") == kMax);
  CHECK(first.get<double>("d") == 3.141592653589793);
  CHECK(first.get<std::string>("t") == kText);
  CHECK(first.get<Blob>("b").bytes == every_byte());
  CHECK(first.get<bool>("f"));
  CHECK(std::holds_alternative<std::int64_t>(first.at("i").variant()));
  CHECK(std::holds_alternative<double>(first.at("d").variant()));
  CHECK(std::holds_alternative<std::string>(first.at("t").variant()));
  CHECK(std::holds_alternative<Blob>(first.at("b").variant()));

  const Row& second = result.rows[1];
  CHECK(second.get<std::int64_t>("i") == kMin);
  CHECK(second.get<double>("d") == -1e300);
  CHECK(second.get<std::string>("t").empty());
  CHECK_FALSE(second.is_null("t"));
  CHECK(std::holds_alternative<Blob>(second.at("b").variant()));
  CHECK(second.get<Blob>("b").bytes.empty());
  CHECK_FALSE(second.get<bool>("f"));

  CHECK(result.rows[2].get<std::string>("t").size() == 100000);
  CHECK(result.rows[2].get<Blob>("b").bytes == kLargeBlob);

  const Row& nulls = result.rows[3];
  for (const char* column : {"i", "d", "t", "b", "f"}) CHECK(nulls.is_null(column));
  CHECK_FALSE(nulls.get_optional<std::int64_t>("i").has_value());
  CHECK_THROWS_AS(nulls.get<std::int64_t>("i"), DatabaseError);
  CHECK_THROWS_AS(nulls.at("missing"), DatabaseError);
  CHECK_THROWS_AS(nulls.at(6), DatabaseError);
}

TEMPLATE_TEST_CASE("Placeholders bind by number, reused and out of order", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script("CREATE TABLE pairs (a TEXT NOT NULL, b BIGINT NOT NULL)");
  db->execute("INSERT INTO pairs (b, a) VALUES ($2, $1)", {"x", 5});
  db->execute("INSERT INTO pairs (a, b) VALUES ($1, $2)", {"y", 6});
  db->execute("INSERT INTO pairs (a, b) VALUES ($1, $2)", {"z", 7});

  Result r = db->query("SELECT a, b FROM pairs WHERE a = $2 OR (b = $1 AND a <> $2) ORDER BY b", {6, "x"});
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].get<std::string>("a") == "x");
  CHECK(r.rows[0].get<int>("b") == 5);
  CHECK(r.rows[1].get<std::string>("a") == "y");

  SECTION("too few parameters is an error") {
    CHECK_THROWS_AS(db->query("SELECT a FROM pairs WHERE a = $1 AND b = $2", {"x"}), DatabaseError);
  }
  SECTION("too many parameters is an error") {
    CHECK_THROWS_AS(db->query("SELECT a FROM pairs WHERE a = $1", {"x", 1}), DatabaseError);
  }
  SECTION("the database stays usable after a binding error") {
    CHECK_THROWS_AS(db->query("SELECT a FROM pairs WHERE a = $1 AND b = $2", {"x"}), DatabaseError);
    CHECK(db->query_one("SELECT COUNT(*) FROM pairs WHERE b > $1", {0})->get<int>(0) == 3);
  }
}

TEMPLATE_TEST_CASE("A duplicate key throws UniqueViolation, a 409 conflict", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  db->execute(kInsertItem, {1, "owl"});

  auto by_unique = thrown_by<UniqueViolation>([&] { db->execute(kInsertItem, {2, "owl"}); });
  CHECK(by_unique.code() == ErrorCode::kConflict);
  CHECK(error_status(by_unique.code()) == 409);
  auto by_primary_key = thrown_by<UniqueViolation>([&] { db->execute(kInsertItem, {1, "hawk"}); });
  CHECK(by_primary_key.code() == ErrorCode::kConflict);
  CHECK(count_rows(*db, "items") == 1);
}

TEMPLATE_TEST_CASE("A missing parent row throws ForeignKeyViolation", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(
      "CREATE TABLE parents (id BIGINT PRIMARY KEY);"
      "CREATE TABLE children (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parents (id));");
  db->execute("INSERT INTO parents (id) VALUES ($1)", {1});
  db->execute("INSERT INTO children (id, parent_id) VALUES ($1, $2)", {10, 1});

  auto orphan = thrown_by<ForeignKeyViolation>([&] {
    db->execute("INSERT INTO children (id, parent_id) VALUES ($1, $2)", {11, 7});
  });
  CHECK(orphan.code() == ErrorCode::kConflict);
  CHECK(error_status(orphan.code()) == 409);
  CHECK_THROWS_AS(db->execute("DELETE FROM parents WHERE id = $1", {1}), ForeignKeyViolation);
  CHECK(count_rows(*db, "children") == 1);
}

TEMPLATE_TEST_CASE("A committed transaction is visible and a rolled back one is not", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);

  auto tx = db->begin();
  tx->execute(kInsertItem, {1, "committed"});
  CHECK(count_rows(*tx, "items") == 1);
  CHECK(count_rows(*db, "items") == 0);  // not visible outside before commit
  tx->commit();
  CHECK(count_rows(*db, "items") == 1);

  auto rolled_back = db->begin();
  rolled_back->execute(kInsertItem, {2, "rolled back"});
  rolled_back->rollback();
  {
    auto abandoned = db->begin();
    abandoned->execute(kInsertItem, {3, "abandoned"});
  }
  CHECK(count_rows(*db, "items") == 1);

  db->transact([&](Transaction& t) { t.execute(kInsertItem, {4, "transact"}); });
  CHECK_THROWS_AS(db->transact([&](Transaction& t) {
    t.execute(kInsertItem, {5, "thrown"});
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  int found = db->transact([&](Transaction& t) { return count_rows(t, "items"); }, TxMode::kRead);
  CHECK(found == 2);
  CHECK_FALSE(db->query_one("SELECT id FROM items WHERE id = $1", {5}).has_value());
}

TEMPLATE_TEST_CASE("A failed statement aborts its transaction and nothing of it is kept", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);

  auto tx = db->begin();
  tx->execute(kInsertItem, {1, "kept only if committed"});
  CHECK_THROWS_AS(tx->execute(kInsertItem, {1, "duplicate"}), UniqueViolation);
  CHECK_THROWS_AS(tx->query("SELECT 1"), DatabaseError);
  CHECK_THROWS_AS(tx->commit(), DatabaseError);
  tx.reset();
  CHECK(count_rows(*db, "items") == 0);

  auto rolled_back = db->begin();
  CHECK_THROWS_AS(rolled_back->query("SELEC 1"), DatabaseError);
  CHECK_NOTHROW(rolled_back->rollback());

  // The connection is clean for the next transaction.
  db->transact([&](Transaction& t) { t.execute(kInsertItem, {2, "after"}); });
  CHECK(count_rows(*db, "items") == 1);
}

TEMPLATE_TEST_CASE("Using a finished transaction throws DatabaseError", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  auto tx = db->begin();
  tx->commit();
  CHECK_THROWS_AS(tx->query("SELECT 1"), DatabaseError);
  CHECK_THROWS_AS(tx->execute_script("SELECT 1"), DatabaseError);
  CHECK_THROWS_AS(tx->commit(), DatabaseError);
  CHECK_THROWS_AS(tx->rollback(), DatabaseError);

  auto rolled_back = db->begin(TxMode::kRead);
  rolled_back->rollback();
  CHECK_THROWS_AS(rolled_back->query("SELECT 1"), DatabaseError);
}

TEMPLATE_TEST_CASE("A syntax error throws DatabaseError, a 500 internal", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  auto error = thrown_by<DatabaseError>([&] { db->query("SELEC 1"); });
  CHECK(error.code() == ErrorCode::kInternal);
  CHECK(error_status(error.code()) == 500);
  CHECK_THROWS_AS(db->query("SELECT * FROM no_such_table"), DatabaseError);
  CHECK_THROWS_AS(db->execute_script("CREATE TABLE t (x BIGINT); SELEC 1"), DatabaseError);
  CHECK(db->query_one("SELECT 1")->get<int>(0) == 1);
}

TEMPLATE_TEST_CASE("A read transaction cannot write", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  auto tx = db->begin(TxMode::kRead);
  CHECK(count_rows(*tx, "items") == 0);
  CHECK_THROWS_AS(tx->execute(kInsertItem, {1, "nope"}), DatabaseError);
  tx.reset();
  CHECK(count_rows(*db, "items") == 0);
}

TEMPLATE_TEST_CASE("execute_script runs several statements", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(
      "CREATE TABLE a (x BIGINT);\n"
      "CREATE TABLE b (y TEXT);\n"
      "INSERT INTO a (x) VALUES (1), (2);\n"
      "INSERT INTO b (y) VALUES ('one');\n");
  CHECK(count_rows(*db, "a") == 2);
  CHECK(count_rows(*db, "b") == 1);

  auto tx = db->begin();
  tx->execute_script("INSERT INTO a (x) VALUES (3); DELETE FROM b;");
  tx->rollback();
  CHECK(count_rows(*db, "a") == 2);
  CHECK(count_rows(*db, "b") == 1);
}

TEMPLATE_TEST_CASE("Concurrent writers from several threads all land exactly once", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  constexpr int kThreads = 4;
  constexpr int kInserts = 200;

  std::mutex errors_mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kInserts; ++i) {
        int id = t * 1000 + i;
        try {
          if (i % 2 == 0) {
            db->execute(kInsertItem, {id, fmt::format("item-{}", id)});
          } else {
            db->transact([&](Transaction& tx) { tx.execute(kInsertItem, {id, fmt::format("item-{}", id)}); });
          }
        } catch (const std::exception& e) {
          std::lock_guard lock(errors_mutex);
          errors.push_back(e.what());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  CHECK(errors.empty());
  if (!errors.empty()) FAIL_CHECK("first error: " << errors.front());
  CHECK(count_rows(*db, "items") == kThreads * kInserts);
  CHECK(db->query_one("SELECT COUNT(DISTINCT id) FROM items")->get<int>(0) == kThreads * kInserts);
}

TEMPLATE_TEST_CASE("Readers running beside a writer see only whole transactions", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  constexpr int kTransactions = 150;
  constexpr int kReaders = 3;

  std::atomic<int> readers_ready{0};
  std::atomic<bool> writing{true};
  std::atomic<int> torn_reads{0};
  std::atomic<int> reads{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      ++readers_ready;
      std::int64_t last = 0;
      do {
        try {
          // Alternate autocommit reads and read transactions.
          std::int64_t n = r % 2 == 0
                               ? count_rows(*db, "items")
                               : db->transact([&](Transaction& tx) { return count_rows(tx, "items"); }, TxMode::kRead);
          if (n % 2 != 0 || n < last) ++torn_reads;
          last = n;
          ++reads;
        } catch (const std::exception&) {
          ++errors;
        }
      } while (writing);
    });
  }
  while (readers_ready < kReaders) std::this_thread::yield();
  for (int i = 0; i < kTransactions; ++i) {
    try {
      db->transact([&](Transaction& tx) {
        tx.execute(kInsertItem, {2 * i, fmt::format("a-{}", i)});
        tx.execute(kInsertItem, {2 * i + 1, fmt::format("b-{}", i)});
      });
    } catch (const std::exception&) {
      ++errors;
    }
  }
  writing = false;
  for (auto& reader : readers) reader.join();

  CHECK(errors == 0);
  CHECK(torn_reads == 0);
  CHECK(reads >= kReaders);
  CHECK(count_rows(*db, "items") == 2 * kTransactions);
}

TEMPLATE_TEST_CASE("The same statement runs many times from the statement cache", "[storage]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  for (int i = 0; i < 300; ++i) db->execute(kInsertItem, {i, fmt::format("n{}", i)});
  for (int i = 0; i < 500; ++i) {
    auto row = db->query_one("SELECT name FROM items WHERE id = $1", {i % 300});
    REQUIRE(row);
    REQUIRE(row->get<std::string>(0) == fmt::format("n{}", i % 300));
  }
  auto tx = db->begin();
  for (int i = 300; i < 400; ++i) tx->execute(kInsertItem, {i, fmt::format("n{}", i)});
  tx->commit();
  CHECK(count_rows(*db, "items") == 400);
}

TEMPLATE_TEST_CASE("affected_rows counts the rows a statement changed", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  CHECK(db->execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')") == 3);
  CHECK(db->execute("UPDATE items SET name = name || '!' WHERE id >= $1", {2}) == 2);
  CHECK(db->execute("UPDATE items SET name = 'x' WHERE id > $1", {100}) == 0);
  CHECK(db->execute("DELETE FROM items WHERE id = $1", {1}) == 1);
  CHECK(db->query("SELECT id FROM items").affected_rows == 0);
  CHECK(db->execute("CREATE TABLE other (x BIGINT)") == 0);

  Result returning = db->query("INSERT INTO items (id, name) VALUES ($1, $2) RETURNING id", {9, "z"});
  CHECK(returning.affected_rows == 1);
  REQUIRE(returning.rows.size() == 1);
  CHECK(returning.rows[0].get<int>("id") == 9);
}

TEMPLATE_TEST_CASE("query_one returns nullopt when there is no row", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script(kCreateItems);
  CHECK_FALSE(db->query_one("SELECT id FROM items WHERE id = $1", {1}).has_value());
  db->execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')");
  auto first = db->query_one("SELECT id, name FROM items ORDER BY id");
  REQUIRE(first);
  CHECK(first->get<int>("id") == 1);
  CHECK(first->columns() == std::vector<std::string>{"id", "name"});
}

TEMPLATE_TEST_CASE("ping succeeds and display_url names the database", "[storage]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<Database> db = open_db(backend);
  CHECK_NOTHROW(db->ping());
  CHECK(db->display_url() == mask_database_url(backend.url()));
}
