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
#include <set>
#include <sstream>

namespace tyto::storage {
namespace {

constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "component TEXT NOT NULL, "
    "version BIGINT NOT NULL, "
    "name TEXT NOT NULL, "
    "checksum TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL, "  // unix microseconds
    "PRIMARY KEY (component, version))";
// Before components, the table had no component column and every row was the platform's.
constexpr std::string_view kUpgradeTableSql =
    "CREATE TABLE schema_migrations_next ("
    "component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL, PRIMARY KEY (component, version));\n"
    "INSERT INTO schema_migrations_next (component, version, name, checksum, applied_at) "
    "SELECT 'platform', version, name, checksum, applied_at FROM schema_migrations;\n"
    "DROP TABLE schema_migrations;\n"
    "ALTER TABLE schema_migrations_next RENAME TO schema_migrations;\n";
constexpr std::string_view kSelectAppliedSql =
    "SELECT component, version, name, checksum FROM schema_migrations ORDER BY component, version";
constexpr std::string_view kSelectAppliedBeforeComponentsSql =
    "SELECT 'platform', version, name, checksum FROM schema_migrations ORDER BY version";
constexpr std::string_view kSelectChecksumSql =
    "SELECT checksum FROM schema_migrations WHERE component = $1 AND version = $2";
constexpr std::string_view kInsertSql =
    "INSERT INTO schema_migrations (component, version, name, checksum, applied_at) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kSqliteTableExistsSql =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr std::string_view kPostgresTableExistsSql = "SELECT to_regclass('schema_migrations') IS NOT NULL";
constexpr std::string_view kSqliteHasComponentSql =
    "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'component'";
constexpr std::string_view kPostgresHasComponentSql =
    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND table_name = 'schema_migrations' AND column_name = 'component'";
// Serializes migrating processes on one PostgreSQL database; the key is "tytomigr" in ASCII.
constexpr std::string_view kPostgresLockSql = "SELECT pg_advisory_xact_lock(8392585648119105906)";

struct AppliedMigration {
  std::string component;
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

bool has_component_column(Session& session, Dialect dialect) {
  auto row = session.query_one(dialect == Dialect::kSqlite ? kSqliteHasComponentSql : kPostgresHasComponentSql);
  return row && row->get<std::int64_t>(0) > 0;
}

std::vector<AppliedMigration> read_applied(Session& session, Dialect dialect) {
  std::vector<AppliedMigration> applied;
  const auto sql = has_component_column(session, dialect) ? kSelectAppliedSql : kSelectAppliedBeforeComponentsSql;
  for (const Row& row : session.query(sql).rows) {
    applied.push_back({row.get<std::string>(0), row.get<int>(1), row.get<std::string>(2), row.get<std::string>(3)});
  }
  return applied;
}

std::vector<int> versions_of(const std::vector<MigrationRef>& refs, std::string_view component) {
  std::vector<int> out;
  for (const auto& r : refs) {
    if (r.component == component) out.push_back(r.version);
  }
  return out;
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

std::vector<Migration> embedded_migrations_for(std::span<const EmbeddedFile> files, Dialect dialect,
                                               std::string_view source) {
  std::string prefix = fmt::format("{}/", dialect_name(dialect));
  std::vector<Migration> migrations;
  for (const EmbeddedFile& file : files) {
    if (!file.path.starts_with(prefix)) continue;
    std::string name(file.path.substr(prefix.size()));
    if (name.find('/') != std::string::npos) continue;
    std::optional<int> version = parse_version(name);
    if (!version) continue;
    migrations.push_back({*version, name, std::string(file.data)});
  }
  return sorted_unique(std::move(migrations), fmt::format("{} ({})", source, dialect_name(dialect)));
}

std::vector<Migration> builtin_migrations(Dialect dialect) {
  return embedded_migrations_for(embedded_migrations(), dialect, "the platform's migrations");
}

std::vector<int> MigrationStatus::applied_versions(std::string_view component) const {
  return versions_of(applied, component);
}

std::vector<int> MigrationStatus::pending_versions(std::string_view component) const {
  return versions_of(pending, component);
}

MigrationRunner::MigrationRunner(Database& db, std::vector<MigrationSet> sets) : db_(db), sets_(std::move(sets)) {
  std::set<std::string> seen;
  for (auto& set : sets_) {
    if (!seen.insert(set.component).second) {
      throw MigrationError(fmt::format("two migration sets are named {}", set.component));
    }
    set.migrations = sorted_unique(std::move(set.migrations), "the migrations of " + set.component);
  }
}

MigrationRunner::MigrationRunner(Database& db, std::vector<Migration> migrations)
    : MigrationRunner(db, std::vector<MigrationSet>{{std::string(kPlatformComponent), std::move(migrations)}}) {}

void MigrationRunner::ensure_table() {
  db_.transact([&](Transaction& tx) {
    if (db_.dialect() == Dialect::kPostgres) tx.query(kPostgresLockSql);  // concurrent CREATE TABLE races
    if (table_exists(tx, db_.dialect()) && !has_component_column(tx, db_.dialect())) {
      tx.execute_script(kUpgradeTableSql);
    }
    tx.execute_script(kCreateTableSql);
  });
}

MigrationStatus MigrationRunner::status() {
  std::vector<AppliedMigration> applied;
  if (table_exists(db_, db_.dialect())) applied = read_applied(db_, db_.dialect());

  std::map<std::pair<std::string, int>, const Migration*> known;
  std::set<std::string> components;
  for (const auto& set : sets_) {
    components.insert(set.component);
    for (const Migration& m : set.migrations) known.emplace(std::pair(set.component, m.version), &m);
  }

  MigrationStatus status;
  for (const AppliedMigration& a : applied) {
    if (!components.count(a.component)) {
      if (status.absent.empty() || status.absent.back() != a.component) status.absent.push_back(a.component);
      continue;
    }
    auto it = known.find({a.component, a.version});
    if (it == known.end()) {
      throw MigrationError(fmt::format(
          "database has migration {} ({}) of {} that this binary does not know; it was migrated by a newer Tyto",
          version_label(a.version), a.name, a.component));
    }
    verify_checksum(*it->second, a.checksum);
    status.applied.push_back({a.component, a.version, a.name});
    known.erase(it);
  }
  for (const auto& set : sets_) {
    for (const Migration& m : set.migrations) {
      if (known.count({set.component, m.version})) status.pending.push_back({set.component, m.version, m.name});
    }
  }
  return status;
}

std::vector<int> MigrationRunner::migrate() {
  std::vector<int> out;
  for (const auto& ref : migrate_all()) out.push_back(ref.version);
  return out;
}

std::vector<MigrationRef> MigrationRunner::migrate_all() {
  ensure_table();
  MigrationStatus before = status();
  std::vector<MigrationRef> applied_now;
  for (const MigrationRef& ref : before.pending) {
    const auto& set =
        *std::find_if(sets_.begin(), sets_.end(), [&](const auto& s) { return s.component == ref.component; });
    const Migration& migration = *std::find_if(set.migrations.begin(), set.migrations.end(),
                                               [&](const Migration& m) { return m.version == ref.version; });
    bool applied = false;
    try {
      applied = db_.transact([&](Transaction& tx) {
        if (db_.dialect() == Dialect::kPostgres) tx.query(kPostgresLockSql);
        // Another process may have applied it while this one waited for the lock.
        if (auto row = tx.query_one(kSelectChecksumSql, {set.component, migration.version})) {
          verify_checksum(migration, row->get<std::string>(0));
          return false;
        }
        tx.execute_script(migration.sql);
        tx.query(kInsertSql, {set.component, migration.version, migration.name, migration.checksum(), now_micros()});
        return true;
      });
    } catch (const MigrationError&) {
      throw;
    } catch (const DatabaseUnavailable&) {
      throw;
    } catch (const Error& e) {
      throw MigrationError(
          fmt::format("{} migration {} failed and was rolled back; later migrations were not applied: {}",
                      set.component, migration.name, e.what()));
    }
    if (applied) applied_now.push_back(ref);
  }
  return applied_now;
}

}  // namespace tyto::storage
