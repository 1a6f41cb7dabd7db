// Schema migrations: numbered SQL files, each applied once, in its own transaction, and recorded
// with a SHA-256 checksum in schema_migrations(version, name, checksum, applied_at).
//
// Files are named NNNN_description.sql (for example 0001_init.sql) and live in
// migrations/sqlite/ and migrations/postgres/. They are compiled into the binary, so a deployed
// `tyto` always carries the schema it expects; a directory can be given instead (tests, hot fixes).
//
// A migration file is never edited once it has landed: if an applied migration's checksum differs
// from the file, or the database has a version this binary does not know, status() and migrate()
// throw MigrationError and the server refuses to start.
//
// Several processes may migrate one PostgreSQL database at once: each migration takes an advisory
// transaction lock and re-checks whether it was applied meanwhile.
#pragma once

#include "tyto/core/error.hpp"
#include "tyto/storage/database.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace tyto::storage {

struct Migration {
  int version = 0;
  std::string name;  // file name, for example "0001_init.sql"
  std::string sql;

  std::string checksum() const;  // lowercase hex SHA-256 of sql
};

class MigrationError : public Error {
 public:
  explicit MigrationError(std::string message) : Error(ErrorCode::kInternal, std::move(message)) {}
};

// Reads NNNN_*.sql files from dir, sorted by version. Throws MigrationError on a malformed name or
// two files with one version.
std::vector<Migration> load_migrations(const std::filesystem::path& dir);

// The migrations compiled into this binary for a dialect.
std::vector<Migration> builtin_migrations(Dialect dialect);

struct MigrationStatus {
  std::vector<int> applied;  // versions recorded in schema_migrations
  std::vector<int> pending;  // known versions not applied yet

  bool current() const noexcept { return pending.empty(); }
};

class MigrationRunner {
 public:
  // The runner does not own the database; it must outlive the runner.
  MigrationRunner(Database& db, std::vector<Migration> migrations);

  // Verifies applied migrations against the files; throws MigrationError on a changed or unknown one.
  MigrationStatus status();

  // Applies every pending migration in order and returns the versions it applied.
  std::vector<int> migrate();

 private:
  void ensure_table();

  Database& db_;
  std::vector<Migration> migrations_;
};

}  // namespace tyto::storage
