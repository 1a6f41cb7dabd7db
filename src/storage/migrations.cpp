#include "tyto/storage/migrations.hpp"

#include "tyto/core/embedded.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace tyto::storage {
namespace {

constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY NOT NULL, "
    "name TEXT NOT NULL, "
    "checksum TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";  // unix microseconds
constexpr std::string_view kSelectAppliedSql = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
constexpr std::string_view kSelectChecksumSql = "SELECT checksum FROM schema_migrations WHERE version = $1";
constexpr std::string_view kInsertSql =
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)";
constexpr std::string_view kSqliteTableExistsSql =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr std::string_view kPostgresTableExistsSql = "SELECT to_regclass('schema_migrations') IS NOT NULL";
// Serializes migrating processes on one PostgreSQL database; the key is "tytomigr" in ASCII.
constexpr std::string_view kPostgresLockSql = "SELECT pg_advisory_xact_lock(8392585648119105906)";

struct AppliedMigration {
  int version;
  std::string name;
  std::string checksum;
};

std::string short_checksum(std::string_view checksum) { return std::string(checksum.substr(0, 12)) + "…"; }

std::string version_label(int version) { return fmt::format("{:04}", version); }

// The version of a file named NNNN_description.sql, or nullopt for a file that is not a migration at all.
std::optional<int> parse_version(std::string_view name) {
  if (!name.ends_with(".sql")) return std::nullopt;
  std::size_t digits = name.find_first_not_of("0123456789");
  int version = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + digits, version);
  if (digits == 0 || name[digits] != '_' || ec != std::errc() || version <= 0) {
    throw MigrationError(
        fmt::format("migration file {} must be named NNNN_description.sql (for example 0001_init.sql)", name));
  }
  return version;
}

std::vector<Migration> sorted_unique(std::vector<Migration> migrations, std::string_view source) {
  std::sort(migrations.begin(), migrations.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      throw MigrationError(fmt::format("{} and {} in {} share version {}; give each migration its own number",
                                       migrations[i - 1].name, migrations[i].name, source,
                                       version_label(migrations[i].version)));
    }
  }
  return migrations;
}

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) throw MigrationError(fmt::format("cannot read migration file {}", path.string()));
  return out.str();
}

std::int64_t now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

bool table_exists(Session& session, Dialect dialect) {
  auto row = session.query_one(dialect == Dialect::kSqlite ? kSqliteTableExistsSql : kPostgresTableExistsSql);
  return row && row->get<bool>(0);
}

std::vector<AppliedMigration> read_applied(Session& session) {
  std::vector<AppliedMigration> applied;
  for (const Row& row : session.query(kSelectAppliedSql).rows) {
    applied.push_back({row.get<int>(0), row.get<std::string>(1), row.get<std::string>(2)});
  }
  return applied;
}

void verify_checksum(const Migration& migration, std::string_view recorded) {
  std::string actual = migration.checksum();
  if (recorded != actual) {
    throw MigrationError(fmt::format(
        "migration {} was changed after it was applied (checksum in database {}, file {}); migrations are never "
        "edited once landed — add a new one",
        migration.name, short_checksum(recorded), short_checksum(actual)));
  }
}

}  // namespace

std::string Migration::checksum() const { return sha256_hex(sql); }

std::vector<Migration> load_migrations(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw MigrationError(fmt::format("cannot read migration directory {}: {}", dir.string(), ec.message()));
  std::vector<Migration> migrations;
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    std::optional<int> version = parse_version(name);
    if (!version) continue;  // README and other non-SQL files live beside the migrations
    migrations.push_back({*version, name, read_whole_file(entry.path())});
  }
  return sorted_unique(std::move(migrations), dir.string());
}

std::vector<Migration> builtin_migrations(Dialect dialect) {
  std::string prefix = fmt::format("{}/", dialect_name(dialect));
  std::vector<Migration> migrations;
  for (const EmbeddedFile& file : embedded_migrations()) {
    if (!file.path.starts_with(prefix)) continue;
    std::string name(file.path.substr(prefix.size()));
    if (name.find('/') != std::string::npos) continue;
    std::optional<int> version = parse_version(name);
    if (!version) continue;
    migrations.push_back({*version, name, std::string(file.data)});
  }
  return sorted_unique(std::move(migrations), fmt::format("the built-in {} migrations", dialect_name(dialect)));
}

MigrationRunner::MigrationRunner(Database& db, std::vector<Migration> migrations)
    : db_(db), migrations_(sorted_unique(std::move(migrations), "the migration list")) {}

void MigrationRunner::ensure_table() {
  db_.transact([&](Transaction& tx) {
    if (db_.dialect() == Dialect::kPostgres) tx.query(kPostgresLockSql);  // concurrent CREATE TABLE races
    tx.execute_script(kCreateTableSql);
  });
}

MigrationStatus MigrationRunner::status() {
  std::vector<AppliedMigration> applied;
  if (table_exists(db_, db_.dialect())) applied = read_applied(db_);

  std::map<int, const Migration*> known;
  for (const Migration& m : migrations_) known.emplace(m.version, &m);

  MigrationStatus status;
  for (const AppliedMigration& a : applied) {
    auto it = known.find(a.version);
    if (it == known.end()) {
      throw MigrationError(
          fmt::format("database has migration {} ({}) that this binary does not know; it was migrated by a newer Tyto",
                      version_label(a.version), a.name));
    }
    verify_checksum(*it->second, a.checksum);
    status.applied.push_back(a.version);
    known.erase(it);
  }
  for (const auto& [version, migration] : known) status.pending.push_back(version);
  return status;
}

std::vector<int> MigrationRunner::migrate() {
  ensure_table();
  MigrationStatus before = status();
  std::vector<int> applied_now;
  for (int version : before.pending) {
    const Migration& migration =
        *std::find_if(migrations_.begin(), migrations_.end(), [&](const Migration& m) { return m.version == version; });
    bool applied = false;
    try {
      applied = db_.transact([&](Transaction& tx) {
        if (db_.dialect() == Dialect::kPostgres) tx.query(kPostgresLockSql);
        // Another process may have applied it while this one waited for the lock.
        if (auto row = tx.query_one(kSelectChecksumSql, {migration.version})) {
          verify_checksum(migration, row->get<std::string>(0));
          return false;
        }
        tx.execute_script(migration.sql);
        tx.query(kInsertSql, {migration.version, migration.name, migration.checksum(), now_micros()});
        return true;
      });
    } catch (const MigrationError&) {
      throw;
    } catch (const DatabaseUnavailable&) {
      throw;
    } catch (const Error& e) {
      throw MigrationError(fmt::format("migration {} failed and was rolled back; later migrations were not applied: {}",
                                       migration.name, e.what()));
    }
    if (applied) applied_now.push_back(version);
  }
  return applied_now;
}

}  // namespace tyto::storage
