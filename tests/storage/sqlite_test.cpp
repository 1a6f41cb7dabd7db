// What only the SQLite driver does: WAL, one writer, waiting for another process's lock.
#include "storage/backends.hpp"

#include <chrono>
#include <thread>

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;
using namespace std::chrono_literals;

TEST_CASE("SQLite runs in WAL mode with foreign keys on", "[storage]") {
  SqliteBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  CHECK(db->query_one("PRAGMA journal_mode")->get<std::string>(0) == "wal");
  CHECK(db->query_one("PRAGMA foreign_keys")->get<int>(0) == 1);
  CHECK(db->query_one("PRAGMA synchronous")->get<int>(0) == 1);  // NORMAL
  auto tx = db->begin();
  CHECK(tx->query_one("PRAGMA foreign_keys")->get<int>(0) == 1);
  auto read = db->begin(TxMode::kRead);
  CHECK(read->query_one("PRAGMA foreign_keys")->get<int>(0) == 1);
}

TEST_CASE("A second SQLite database waits busy_timeout for the write lock, then throws DatabaseUnavailable",
          "[storage]") {
  SqliteBackend backend;
  std::unique_ptr<Database> first = open_db(backend);
  DatabaseOptions second_options;
  second_options.busy_timeout = 300ms;
  std::unique_ptr<Database> second = open_db(backend, second_options);
  first->execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY)");

  auto tx = first->begin();
  tx->execute("INSERT INTO items (id) VALUES ($1)", {1});
  auto started = std::chrono::steady_clock::now();
  auto error = thrown_by<DatabaseUnavailable>([&] { second->execute("INSERT INTO items (id) VALUES ($1)", {2}); });
  CHECK(std::chrono::steady_clock::now() - started >= 250ms);
  CHECK(error.code() == ErrorCode::kUnavailable);
  CHECK_THROWS_AS(second->begin(), DatabaseUnavailable);
  CHECK(count_rows(*second, "items") == 0);  // readers are never blocked by the writer

  tx->commit();
  CHECK_NOTHROW(second->execute("INSERT INTO items (id) VALUES ($1)", {2}));
  CHECK(count_rows(*first, "items") == 2);
}

TEST_CASE("A SQLite writer busy in this process makes other writers wait acquire_timeout", "[storage]") {
  SqliteBackend backend;
  DatabaseOptions db_options;
  db_options.acquire_timeout = 200ms;
  std::unique_ptr<Database> db = open_db(backend, db_options);
  db->execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY)");
  auto tx = db->begin();

  std::string error;
  std::thread other([&] {
    try {
      db->execute("INSERT INTO items (id) VALUES ($1)", {1});
    } catch (const DatabaseUnavailable& e) {
      error = e.what();
    }
  });
  other.join();
  CHECK_FALSE(error.empty());
  CHECK(count_rows(*db, "items") == 0);
  tx->commit();
}

TEST_CASE("A SQLite read transaction keeps one snapshot while the writer commits", "[storage]") {
  SqliteBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  db->execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY)");
  db->execute("INSERT INTO items (id) VALUES ($1)", {1});

  auto read = db->begin(TxMode::kRead);
  CHECK(count_rows(*read, "items") == 1);
  db->execute("INSERT INTO items (id) VALUES ($1)", {2});
  CHECK(count_rows(*read, "items") == 1);
  read->commit();
  CHECK(count_rows(*db, "items") == 2);
}

TEST_CASE("An in-memory SQLite database works with one connection", "[storage]") {
  auto db = open_database({.url = "sqlite::memory:"});
  db->execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)");
  db->transact([](Transaction& tx) { tx.execute("INSERT INTO items (id, name) VALUES ($1, $2)", {1, "a"}); });
  {
    auto tx = db->begin();
    tx->execute("INSERT INTO items (id, name) VALUES ($1, $2)", {2, "b"});
  }
  CHECK(count_rows(*db, "items") == 1);
  auto read = db->begin(TxMode::kRead);
  CHECK(count_rows(*read, "items") == 1);
  CHECK(db->display_url() == "sqlite::memory:");
}

TEST_CASE("A SQLite path that cannot be created throws DatabaseUnavailable", "[storage]") {
  TempDir dir;
  write_file(dir.path() / "file", "not a directory");
  auto error = thrown_by<DatabaseUnavailable>(
      [&] { open_database({.url = "sqlite:" + (dir.path() / "file" / "tyto.db").string()}); });
  CHECK(error.code() == ErrorCode::kUnavailable);

  write_file(dir.path() / "garbage.db", std::string(4096, 'x'));
  CHECK_THROWS_AS(open_database({.url = "sqlite:" + (dir.path() / "garbage.db").string()}), DatabaseUnavailable);
}
