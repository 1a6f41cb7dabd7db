// The storage interface: one contract, two drivers (SQLite and PostgreSQL through libpq).
//
// SQL is written once with PostgreSQL-style positional placeholders ($1, $2, …); the SQLite driver
// binds them by number too, so a statement that only uses portable SQL runs unchanged on both.
// Where the dialects differ, repositories keep one named constant per dialect and pick it with
// Database::dialect().
//
// Values cross the interface as storage::Value (null, bool, int64, double, text, blob). Times are
// stored as BIGINT microseconds since the Unix epoch on both backends so that comparisons and
// ordering are identical; the API layer renders them as RFC 3339.
//
// Thread-safety: a Database is safe to use from many threads at once. A Transaction belongs to the
// thread that began it and must not be shared. Blocking: every call here blocks on disk or network,
// so it must never run on an HTTP I/O thread (routes that touch the database run on the blocking
// pool; see http/router.hpp).
//
// Errors: a violated unique constraint throws UniqueViolation (409 conflict); a violated foreign key
// ForeignKeyViolation (409); a lost or unreachable server, an exhausted pool or a lock held too long
// DatabaseUnavailable (503); anything else DatabaseError (500, message logged, never shown).
#pragma once

#include "tyto/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tyto::storage {

enum class Dialect { kSqlite, kPostgres };
std::string_view dialect_name(Dialect d) noexcept;

// Binary data; stored as BLOB (SQLite) or bytea (PostgreSQL).
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One SQL value. Implicit constructors keep call sites short: {42, "name", nullptr, 1.5, true}.
class Value {
 public:
  using Variant = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Blob>;

  Value() : v_(nullptr) {}
  Value(std::nullptr_t) : v_(nullptr) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}
  Value(long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(long long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(unsigned i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Blob b) : v_(std::move(b)) {}
  template <class T>
  Value(const std::optional<T>& o) : v_(nullptr) {
    if (o) *this = Value(*o);
  }

  bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(v_); }
  const Variant& variant() const noexcept { return v_; }

  // Conversions are lenient where the dialects differ: an integer reads as bool (SQLite has no
  // bool), text holding a number reads as a number. A null or unconvertible value throws
  // DatabaseError naming the problem.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  std::string as_string() const;
  Blob as_blob() const;

  bool operator==(const Value&) const = default;

 private:
  Variant v_;
};

using Params = std::vector<Value>;

// One result row. Cheap to copy: column names are shared with the Result.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values);

  std::size_t size() const noexcept { return values_.size(); }
  const Value& at(std::size_t i) const;
  const Value& at(std::string_view column) const;  // throws DatabaseError if no such column
  bool is_null(std::size_t i) const { return at(i).is_null(); }
  bool is_null(std::string_view c) const { return at(c).is_null(); }

  // get<T>(index or column name) for T in bool, int64_t, int, double, std::string, Blob.
  template <class T, class Key>
  T get(Key key) const {
    const Value& v = at(key);
    if constexpr (std::is_same_v<T, bool>)
      return v.as_bool();
    else if constexpr (std::is_same_v<T, std::int64_t>)
      return v.as_int();
    else if constexpr (std::is_same_v<T, int>)
      return static_cast<int>(v.as_int());
    else if constexpr (std::is_same_v<T, double>)
      return v.as_double();
    else if constexpr (std::is_same_v<T, std::string>)
      return v.as_string();
    else if constexpr (std::is_same_v<T, Blob>)
      return v.as_blob();
    else
      static_assert(sizeof(T) == 0, "unsupported column type");
  }
  // nullopt for SQL NULL.
  template <class T, class Key>
  std::optional<T> get_optional(Key key) const {
    if (at(key).is_null()) return std::nullopt;
    return get<T>(key);
  }

  const std::vector<std::string>& columns() const noexcept { return *columns_; }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

struct Result {
  std::shared_ptr<const std::vector<std::string>> names;  // the column names, shared with the rows
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;  // INSERT/UPDATE/DELETE count; 0 for queries

  bool empty() const noexcept { return rows.empty(); }
  const std::vector<std::string>& columns() const noexcept {
    static const std::vector<std::string> kNone;
    return names ? *names : kNone;
  }
};

// Something that runs statements: the database itself (autocommit) or an open transaction.
class Session {
 public:
  virtual ~Session() = default;

  // Runs one statement with $N placeholders bound from params. Prepared statements are cached per
  // connection, so the same SQL text is parsed once.
  virtual Result query(std::string_view sql, const Params& params = {}) = 0;

  // Runs several ';'-separated statements without parameters (migrations, set-up).
  virtual void execute_script(std::string_view sql) = 0;

  // Convenience wrappers over query().
  std::int64_t execute(std::string_view sql, const Params& params = {});  // affected rows
  std::optional<Row> query_one(std::string_view sql, const Params& params = {});
};

enum class TxMode {
  kRead,   // SQLite: BEGIN DEFERRED on a reader connection; PostgreSQL: READ ONLY
  kWrite,  // SQLite: BEGIN IMMEDIATE on the single writer; PostgreSQL: READ WRITE
};

// An open transaction. Commit explicitly; destroying an uncommitted transaction rolls it back.
class Transaction : public Session {
 public:
  virtual void commit() = 0;
  virtual void rollback() = 0;
};

struct DatabaseOptions {
  std::string url;    // "sqlite:PATH", "sqlite::memory:" or "postgres://…" / "postgresql://…"
  int pool_size = 8;  // PostgreSQL connections; SQLite reader connections
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free pooled connection
  std::chrono::milliseconds busy_timeout{5000};     // SQLite: waiting for another process's lock
};

// A notification from PostgreSQL's NOTIFY (see Database::listen).
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend that sent it; compare with Listener::own_pid()
};

// A dedicated connection that LISTENs on channels. Owned by one thread, which calls wait() in a
// loop; interrupt() may be called from any thread.
class Listener {
 public:
  virtual ~Listener() = default;

  // Waits up to `timeout` for notifications and returns those that arrived (possibly none). If the
  // connection was lost it reconnects and LISTENs again before returning, and reconnected() reports
  // true once, because notifications sent while disconnected are lost: the caller re-reads the state
  // it cares about. Never throws for a lost server; it retries on the next call.
  virtual std::vector<Notification> wait(std::chrono::milliseconds timeout) = 0;

  // Makes a wait() in progress return promptly (with what it has).
  virtual void interrupt() = 0;

  // True once after a reconnection (see wait).
  virtual bool reconnected() = 0;

  // The backend pid of this listener's connection (0 if not connected).
  virtual int own_pid() const = 0;
};

class Database : public Session {
 public:
  virtual Dialect dialect() const noexcept = 0;

  // A listener on the channels, or nullptr if the backend has no notifications (SQLite, where one
  // process owns the database and in-process signals suffice). Send with SQL:
  // SELECT pg_notify($1, $2) inside the writing transaction (delivered at commit).
  virtual std::unique_ptr<Listener> listen(const std::vector<std::string>& channels) { return nullptr; }

  virtual std::unique_ptr<Transaction> begin(TxMode mode = TxMode::kWrite) = 0;

  // Throws DatabaseUnavailable when the database cannot be reached.
  virtual void ping() = 0;

  // The URL with any password masked, for logs and `tyto config`.
  virtual std::string display_url() const = 0;

  // Runs fn(tx) in a transaction and commits; rolls back and rethrows if fn throws.
  template <class Fn>
  auto transact(Fn&& fn, TxMode mode = TxMode::kWrite) {
    auto tx = begin(mode);
    if constexpr (std::is_void_v<decltype(fn(*tx))>) {
      fn(*tx);
      tx->commit();
    } else {
      auto result = fn(*tx);
      tx->commit();
      return result;
    }
  }
};

// Opens the driver that the URL's scheme names. Throws Error(kValidationFailed) for an unknown
// scheme and DatabaseUnavailable when the database cannot be opened.
std::unique_ptr<Database> open_database(const DatabaseOptions& options);

// Masks the password of a postgres:// URL ("postgres://user:***@host/db"); other URLs unchanged.
std::string mask_database_url(std::string_view url);

// Typed errors. All carry a stable ErrorCode so the HTTP layer maps them without knowing storage.
class DatabaseError : public Error {
 public:
  explicit DatabaseError(std::string message, ErrorCode code = ErrorCode::kInternal)
      : Error(code, std::move(message)) {}
};
class UniqueViolation : public DatabaseError {
 public:
  explicit UniqueViolation(std::string message) : DatabaseError(std::move(message), ErrorCode::kConflict) {}
};
class ForeignKeyViolation : public DatabaseError {
 public:
  explicit ForeignKeyViolation(std::string message) : DatabaseError(std::move(message), ErrorCode::kConflict) {}
};
// Serialization failure or deadlock: the transaction may succeed if run again.
class TransactionConflict : public DatabaseError {
 public:
  explicit TransactionConflict(std::string message) : DatabaseError(std::move(message), ErrorCode::kConflict) {}
};
class DatabaseUnavailable : public DatabaseError {
 public:
  explicit DatabaseUnavailable(std::string message) : DatabaseError(std::move(message), ErrorCode::kUnavailable) {}
};

}  // namespace tyto::storage
