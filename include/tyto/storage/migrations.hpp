// Schema migrations: numbered SQL files, each applied once, in its own transaction, and recorded
// with a SHA-256 checksum in schema_migrations(component, version, name, checksum, applied_at).
//
// Every component has its own numbered set: the platform's (migrations/sqlite/, migrations/postgres/),
// then each module's and product's (their own migrations/ folders), applied in that order, each
// starting at 0001. Files are named NNNN_description.sql (for example 0001_init.sql). They are compiled
// into the binary, so a deployed `tyto` always carries the schema it expects; a directory can be
// given instead of the platform's (tests, hot fixes).
//
// A migration file is never edited once it has landed: if an applied migration's checksum differs
// from the file, or the database has a version of a component this binary has that the binary does
// not know, status() and migrate() throw MigrationError (naming the file) and the server refuses to
// start. A component recorded in the database but absent from this build (a product left out of it)
// is left alone: its tables stay, untouched, until a build with it runs again.
//
// Databases made before components existed (schema_migrations without a component column) are
// upgraded in place by migrate(): their rows become the platform's.
//
// Several processes may migrate one PostgreSQL database at once: each migration takes an advisory
// transaction lock and re-checks whether it was applied meanwhile.
#pragma once

#include "tyto/core/embedded.hpp"
#include "tyto/core/error.hpp"
#include "tyto/storage/database.hpp"

#include <filesystem>
#include <span>
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

// The migrations compiled into a component: files "<dialect>/NNNN_*.sql" of an embedded bundle.
std::vector<Migration> embedded_migrations_for(std::span<const EmbeddedFile> files, Dialect dialect,
                                               std::string_view source);

// The numbered set of one component ("platform", a module's or a product's name).
struct MigrationSet {
  std::string component;
  std::vector<Migration> migrations;
};

inline constexpr std::string_view kPlatformComponent = "platform";

struct MigrationRef {
  std::string component;
  int version = 0;
  std::string name;

  bool operator==(const MigrationRef&) const = default;
};

struct MigrationStatus {
  std::vector<MigrationRef> applied;  // recorded in schema_migrations, for the components of this build
  std::vector<MigrationRef> pending;  // known, not applied yet, in the order migrate() applies them
  std::vector<std::string> absent;    // components recorded in the database but not in this build

  bool current() const noexcept { return pending.empty(); }
  // The versions of one component, for messages and tests.
  std::vector<int> applied_versions(std::string_view component = kPlatformComponent) const;
  std::vector<int> pending_versions(std::string_view component = kPlatformComponent) const;
};

class MigrationRunner {
 public:
  // The runner does not own the database; it must outlive the runner. Sets run in list order; a
  // component named twice is an error (MigrationError).
  MigrationRunner(Database& db, std::vector<MigrationSet> sets);
  // Only the platform's set.
  MigrationRunner(Database& db, std::vector<Migration> migrations);

  // Verifies applied migrations against the files; throws MigrationError on a changed or unknown one.
  MigrationStatus status();

  // Applies every pending migration in order and returns the versions it applied (of every
  // component; see migrate_all for which component each belongs to).
  std::vector<int> migrate();
  std::vector<MigrationRef> migrate_all();

 private:
  void ensure_table();

  Database& db_;
  std::vector<MigrationSet> sets_;
};

}  // namespace tyto::storage
