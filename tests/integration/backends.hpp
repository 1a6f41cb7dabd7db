// The backends integration tests run the real binary (or the platform in process) on: SQLite and PostgreSQL
// with objects on the local disk, and PostgreSQL with objects in the test S3.
#pragma once

#include "objects/backends.hpp"
#include "support/private_postgres.hpp"
#include "support/test_support.hpp"
#include "tyto/storage/database.hpp"

#include <memory>
#include <string>
#include <vector>

namespace tyto::test {

struct SqliteBackend {
  TempDir dir;
  static constexpr bool kLocalObjects = true;
  std::string url() const { return "sqlite:" + (dir.path() / "tyto.db").string(); }
  // The server's arguments, then extra.
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a = {"--data-dir", dir.path().string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::unique_ptr<storage::Database> open() const { return storage::open_database({url()}); }
};

struct PostgresBackend {
  ScratchPostgres pg;
  TempDir dir;
  static constexpr bool kLocalObjects = true;
  std::string url() const { return pg.url(); }
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a = {"--data-dir", dir.path().string(), "--database", pg.url()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::unique_ptr<storage::Database> open() const { return storage::open_database({url()}); }
};

// PostgreSQL, with the objects in the S3 of the ctest fixture `radosgw`.
struct PostgresS3Backend : PostgresBackend {
  static constexpr bool kLocalObjects = false;
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) const {
    const auto s3 = s3_test_options();
    std::vector<std::string> a = {"--objects-store",         "s3",          "--objects-s3-endpoint",   s3.endpoint,
                                  "--objects-s3-region",     s3.region,     "--objects-s3-bucket",     s3.bucket,
                                  "--objects-s3-access-key", s3.access_key, "--objects-s3-secret-key", s3.secret_key};
    a.insert(a.end(), extra.begin(), extra.end());
    return PostgresBackend::args(a);
  }
};

// Backend whose server always gets kArgs too (a file's fast job timings), before any extra of the test.
template <class Backend, const std::vector<std::string>& kArgs>
struct WithArgs : Backend {
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a = kArgs;
    a.insert(a.end(), extra.begin(), extra.end());
    return Backend::args(a);
  }
};

}  // namespace tyto::test
