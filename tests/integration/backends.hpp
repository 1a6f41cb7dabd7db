// The two database backends integration tests run the real binary on.
#pragma once

#include "support/private_postgres.hpp"
#include "support/test_support.hpp"
#include "tyto/storage/database.hpp"

#include <memory>
#include <string>
#include <vector>

namespace tyto::test {

struct SqliteBackend {
  TempDir dir;
  std::vector<std::string> args() const { return {"--data-dir", dir.path().string()}; }
  std::unique_ptr<storage::Database> open() const {
    return storage::open_database({"sqlite:" + (dir.path() / "tyto.db").string()});
  }
};

struct PostgresBackend {
  ScratchPostgres pg;
  TempDir dir;
  std::vector<std::string> args() const { return {"--data-dir", dir.path().string(), "--database", pg.url()}; }
  std::unique_ptr<storage::Database> open() const { return storage::open_database({pg.url()}); }
};

}  // namespace tyto::test
