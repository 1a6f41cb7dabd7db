// The two backends the storage suite runs every shared case against, and small helpers for the cases.
#pragma once

#include "support/test_support.hpp"
#include "tyto/storage/database.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace tyto::test {

// A fresh SQLite file; it sits in a subdirectory that does not exist yet, so opening creates it.
struct SqliteBackend {
  TempDir dir;
  std::string url() const { return "sqlite:" + (dir.path() / "data" / "tyto.db").string(); }
};

// A scratch database of its own on the suite's PostgreSQL server.
struct PostgresBackend {
  ScratchPostgres scratch;
  std::string url() const { return scratch.url(); }
};

template <class Backend>
std::unique_ptr<storage::Database> open_db(const Backend& backend, storage::DatabaseOptions options = {}) {
  options.url = backend.url();
  return storage::open_database(options);
}

// The one column type the shared cases spell differently per dialect.
inline std::string blob_type(const storage::Database& db) {
  return db.dialect() == storage::Dialect::kSqlite ? "BLOB" : "BYTEA";
}

inline std::int64_t count_rows(storage::Session& session, const std::string& table) {
  return session.query_one("SELECT COUNT(*) FROM " + table)->get<std::int64_t>(0);
}

// The exception fn throws, which must be an E; fails the test otherwise.
template <class E, class Fn>
E thrown_by(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    FAIL("threw the wrong exception: " << e.what());
  }
  FAIL("threw nothing");
  throw std::logic_error("unreachable");
}

}  // namespace tyto::test
