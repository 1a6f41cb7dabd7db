#include "storage/sqlite/sqlite_database.hpp"

#include "storage/detail/leased_transaction.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>

namespace tyto::storage {
namespace {

constexpr std::string_view kMemoryPath = ":memory:";
// Bounds the statement cache when callers build SQL dynamically; clearing it only costs re-parsing.
constexpr std::size_t kMaxCachedStatements = 256;
// mmap: reads come from the shared page cache without a system call per page.
constexpr std::string_view kConnectionPragmas =
    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456; "
    "PRAGMA cache_size = -8192;";

// SQLite counts every allocation under one process-wide mutex unless told not to; nothing here reads those
// counts. The setting must precede SQLite's initialisation, so it is made once, before the first open; when
// something else in the process initialised SQLite first, the call is refused and the default stays.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

std::string_view abbreviate(std::string_view sql) {
  constexpr std::size_t kMax = 200;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

// Statements go back to the cache ready for the next use, even when a step threw.
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// The number N of a "$N" (or "?N") parameter name, or 0 when the name is not of that form.
int placeholder_number(const char* name) {
  std::string_view s(name);
  if (s.size() < 2 || (s[0] != '$' && s[0] != '?')) return 0;
  int n = 0;
  auto [end, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), n);
  return ec == std::errc() && end == s.data() + s.size() ? n : 0;
}

Value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return Value(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      return Value(Blob{data ? std::string(data, size) : std::string()});
    }
    default:
      return Value(nullptr);
  }
}

int bind_value(sqlite3_stmt* stmt, int index, const Value& value) {
  struct Binder {
    sqlite3_stmt* stmt;
    int index;
    int operator()(std::nullptr_t) const { return sqlite3_bind_null(stmt, index); }
    int operator()(bool b) const { return sqlite3_bind_int64(stmt, index, b ? 1 : 0); }
    int operator()(std::int64_t i) const { return sqlite3_bind_int64(stmt, index, i); }
    int operator()(double d) const { return sqlite3_bind_double(stmt, index, d); }
    int operator()(const std::string& s) const {
      return sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    int operator()(const Blob& b) const {
      // A null pointer would bind NULL; an empty blob must stay a zero-length blob.
      static const char kEmpty = 0;
      return sqlite3_bind_blob64(stmt, index, b.bytes.empty() ? &kEmpty : b.bytes.data(), b.bytes.size(),
                                 SQLITE_STATIC);
    }
  };
  return std::visit(Binder{stmt, index}, value.variant());
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, Role role, std::chrono::milliseconds busy_timeout)
    : busy_timeout_(busy_timeout) {
  configure_sqlite_once();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (role == Role::kWriter ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  try {
    if (rc != SQLITE_OK) raise(rc, "open");
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    exec(kConnectionPragmas);
    if (role == Role::kReader) {
      exec("PRAGMA query_only = ON");
    } else if (path != kMemoryPath) {
      std::string mode = query("PRAGMA journal_mode = WAL", {}).rows.at(0).get<std::string>(0);
      if (mode != "wal") throw DatabaseError(fmt::format("journal_mode is '{}' instead of 'wal'", mode));
    }
  } catch (const Error& e) {
    clear_cache();
    sqlite3_close_v2(db_);
    throw DatabaseUnavailable(fmt::format("cannot open sqlite database {}: {}", path, e.what()));
  } catch (...) {
    clear_cache();
    sqlite3_close_v2(db_);
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  clear_cache();
  sqlite3_close_v2(db_);
}

void SqliteConnection::clear_cache() noexcept {
  for (auto& [sql, prepared] : statements_) sqlite3_finalize(prepared.stmt);
  statements_.clear();
}

const SqliteConnection::Prepared& SqliteConnection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  if (statements_.size() >= kMaxCachedStatements) clear_cache();

  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) raise(rc, sql);
  if (stmt == nullptr) throw DatabaseError("query() was given no SQL statement");
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    throw DatabaseError(fmt::format("query() runs one statement; use execute_script() for: {}", abbreviate(sql)));
  }
  Prepared prepared{stmt, nullptr, {}, 0};
  auto columns = std::make_shared<std::vector<std::string>>();
  for (int i = 0, n = sqlite3_column_count(stmt); i < n; ++i) columns->emplace_back(sqlite3_column_name(stmt, i));
  prepared.columns = std::move(columns);
  for (int i = 1, count = sqlite3_bind_parameter_count(stmt); i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    int n = name == nullptr ? i : placeholder_number(name);
    if (n <= 0) {
      sqlite3_finalize(stmt);
      throw DatabaseError(fmt::format("unsupported placeholder '{}'; use $1, $2, …", name));
    }
    prepared.slots.push_back(n);
    prepared.highest = std::max(prepared.highest, static_cast<std::size_t>(n));
  }
  return statements_.emplace(std::string(sql), std::move(prepared)).first->second;
}

void SqliteConnection::bind(const Prepared& prepared, const Params& params) const {
  if (params.size() < prepared.highest) {
    throw DatabaseError(fmt::format("statement uses ${} but {} parameters were given: {}", prepared.highest,
                                    params.size(), abbreviate(sqlite3_sql(prepared.stmt))));
  }
  if (params.size() > prepared.highest) {
    throw DatabaseError(fmt::format("statement takes {} parameters but {} were given: {}", prepared.highest,
                                    params.size(), abbreviate(sqlite3_sql(prepared.stmt))));
  }
  for (std::size_t i = 0; i < prepared.slots.size(); ++i) {
    int rc = bind_value(prepared.stmt, static_cast<int>(i) + 1, params[prepared.slots[i] - 1]);
    if (rc != SQLITE_OK) raise(rc, sqlite3_sql(prepared.stmt));
  }
}

Result SqliteConnection::run(const Prepared& prepared, const Params& params) {
  sqlite3_stmt* stmt = prepared.stmt;
  StatementReset reset(stmt);
  bind(prepared, params);

  const int count = static_cast<int>(prepared.columns->size());
  const auto& columns = prepared.columns;
  Result result;
  std::int64_t changes_before = sqlite3_total_changes64(db_);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) raise(rc, sqlite3_sql(stmt));
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) values.push_back(column_value(stmt, i));
    result.rows.emplace_back(columns, std::move(values));
  }
  // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so DDL must not report it.
  if (!sqlite3_stmt_readonly(stmt) && sqlite3_total_changes64(db_) != changes_before) {
    result.affected_rows = sqlite3_changes64(db_);
  }
  result.names = columns;
  return result;
}

void SqliteConnection::exec(std::string_view sql) {
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) raise(rc, sql);
}

bool SqliteConnection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

void SqliteConnection::rollback_quietly() noexcept {
  if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteConnection::raise(int rc, std::string_view sql) const {
  std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      throw UniqueViolation(message);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      throw ForeignKeyViolation(message);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw DatabaseUnavailable(fmt::format("sqlite database stayed locked by another connection for {} ms: {}",
                                            busy_timeout_.count(), message));
    case SQLITE_CANTOPEN:
      throw DatabaseUnavailable(fmt::format("sqlite cannot open the database file: {}", message));
    // The disk, not the statement, is at fault: the same write may succeed once an operator frees space.
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
      throw DatabaseUnavailable(fmt::format("sqlite cannot write the database file: {}", message));
    default:
      throw DatabaseError(fmt::format("sqlite: {} (in: {})", message, abbreviate(sql)));
  }
}

SqliteDatabase::Lease::Lease(std::unique_lock<std::timed_mutex> lock, SqliteConnection* writer)
    : lock_(std::move(lock)), conn_(writer) {}

SqliteDatabase::Lease::Lease(SqliteDatabase* db, std::unique_ptr<SqliteConnection> reader)
    : db_(db), reader_(std::move(reader)), conn_(reader_.get()) {}

SqliteDatabase::Lease::~Lease() {
  if (reader_) {
    db_->release_reader(std::move(reader_));
  } else if (lock_.owns_lock()) {
    conn_->rollback_quietly();  // the writer must never be handed on inside a transaction
  }
}

SqliteDatabase::SqliteDatabase(std::string path, const DatabaseOptions& options)
    : path_(std::move(path)), options_(options), memory_(path_ == kMemoryPath) {
  if (!memory_) {
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw DatabaseUnavailable(
          fmt::format("cannot create directory {} for the sqlite database: {}", parent.string(), ec.message()));
    }
  }
  writer_ = std::make_unique<SqliteConnection>(path_, SqliteConnection::Role::kWriter, options_.busy_timeout);
}

SqliteDatabase::~SqliteDatabase() = default;

SqliteDatabase::Lease SqliteDatabase::lock_writer() {
  std::unique_lock lock(writer_mutex_, std::defer_lock);
  if (!lock.try_lock_for(options_.acquire_timeout)) {
    throw DatabaseUnavailable(fmt::format("sqlite writer stayed busy for {} ms (a long write transaction?)",
                                          options_.acquire_timeout.count()));
  }
  return Lease(std::move(lock), writer_.get());
}

SqliteDatabase::Lease SqliteDatabase::acquire_reader() {
  if (memory_) return lock_writer();
  std::unique_lock lock(readers_mutex_);
  int limit = std::max(1, options_.pool_size);
  bool ready = readers_released_.wait_for(lock, options_.acquire_timeout,
                                          [&] { return !idle_readers_.empty() || open_readers_ < limit; });
  if (!ready) {
    throw DatabaseUnavailable(fmt::format("sqlite reader pool exhausted ({} connections busy for {} ms)", limit,
                                          options_.acquire_timeout.count()));
  }
  if (!idle_readers_.empty()) {
    auto reader = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return Lease(this, std::move(reader));
  }
  ++open_readers_;
  lock.unlock();
  try {
    return Lease(this,
                 std::make_unique<SqliteConnection>(path_, SqliteConnection::Role::kReader, options_.busy_timeout));
  } catch (...) {
    release_reader(nullptr);
    throw;
  }
}

void SqliteDatabase::release_reader(std::unique_ptr<SqliteConnection> reader) noexcept {
  if (reader) reader->rollback_quietly();
  {
    std::lock_guard lock(readers_mutex_);
    if (reader && !reader->in_transaction()) {
      idle_readers_.push_back(std::move(reader));
    } else {
      --open_readers_;  // a reader stuck in a transaction is closed rather than reused
    }
  }
  readers_released_.notify_one();
}

Result SqliteDatabase::query(std::string_view sql, const Params& params) {
  if (!memory_) {
    Lease reader = acquire_reader();
    const auto& prepared = reader->prepare(sql);
    if (sqlite3_stmt_readonly(prepared.stmt)) return reader->run(prepared, params);
  }
  Lease writer = lock_writer();
  return writer->query(sql, params);
}

void SqliteDatabase::execute_script(std::string_view sql) {
  Lease writer = lock_writer();
  writer->exec(sql);
}

void SqliteDatabase::ping() {
  try {
    query("SELECT 1", {});
  } catch (const DatabaseUnavailable&) {
    throw;
  } catch (const DatabaseError& e) {
    throw DatabaseUnavailable(e.what());
  }
}

namespace {

class SqliteTransaction final : public detail::LeasedTransaction<SqliteDatabase::Lease> {
 public:
  SqliteTransaction(SqliteDatabase::Lease lease, TxMode mode)
      : LeasedTransaction(std::move(lease), mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED") {}
};

}  // namespace

std::unique_ptr<Transaction> SqliteDatabase::begin(TxMode mode) {
  return std::make_unique<SqliteTransaction>(mode == TxMode::kWrite ? lock_writer() : acquire_reader(), mode);
}

}  // namespace tyto::storage
