// The SQLite driver: one writer connection behind a mutex plus a small pool of reader connections,
// all on one file in WAL mode, so readers never wait for the writer.
#pragma once

#include "tyto/storage/database.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace tyto::storage {

// One sqlite3 handle and its cache of prepared statements. Used by one thread at a time.
class SqliteConnection {
 public:
  enum class Role { kWriter, kReader };

  // Throws DatabaseUnavailable when the file cannot be opened or configured.
  SqliteConnection(const std::string& path, Role role, std::chrono::milliseconds busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // A cached statement with what each run needs from it, worked out once at prepare time.
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::shared_ptr<const std::vector<std::string>> columns;  // shared by every Row it returns
    std::vector<int> slots;                                   // the $N each bind slot takes, in slot order
    std::size_t highest = 0;                                  // the largest N
  };

  // The cached statement for sql, prepared on first use. Valid until the next prepare().
  const Prepared& prepare(std::string_view sql);
  // Binds params, steps to the end and resets the statement.
  Result run(const Prepared& prepared, const Params& params);
  Result query(std::string_view sql, const Params& params) { return run(prepare(sql), params); }
  void exec(std::string_view sql);

  bool in_transaction() const noexcept;
  // Rolls back an open transaction, if any; never throws.
  void rollback_quietly() noexcept;

 private:
  [[noreturn]] void raise(int rc, std::string_view sql) const;
  void bind(const Prepared& prepared, const Params& params) const;
  void clear_cache() noexcept;

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_timeout_;
  // Looked up by string_view: a lookup allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, Prepared, SqlHash, std::equal_to<>> statements_;
};

class SqliteDatabase final : public Database {
 public:
  // A connection held for one statement or one transaction: the writer (with its lock held) or a
  // pooled reader that goes back to the pool on destruction.
  class Lease {
   public:
    Lease(std::unique_lock<std::timed_mutex> lock, SqliteConnection* writer);
    Lease(SqliteDatabase* db, std::unique_ptr<SqliteConnection> reader);
    Lease(Lease&&) = default;
    ~Lease();
    SqliteConnection* operator->() const noexcept { return conn_; }

   private:
    std::unique_lock<std::timed_mutex> lock_;
    SqliteDatabase* db_ = nullptr;
    std::unique_ptr<SqliteConnection> reader_;
    SqliteConnection* conn_ = nullptr;
  };

  // path is a file name or ":memory:". Throws DatabaseUnavailable when it cannot be opened.
  SqliteDatabase(std::string path, const DatabaseOptions& options);
  ~SqliteDatabase() override;

  Result query(std::string_view sql, const Params& params) override;
  void execute_script(std::string_view sql) override;
  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  std::unique_ptr<Transaction> begin(TxMode mode) override;
  void ping() override;
  std::string display_url() const override { return "sqlite:" + path_; }

 private:
  Lease lock_writer();
  // A reader, or the writer for an in-memory database (which cannot share one between connections).
  Lease acquire_reader();
  void release_reader(std::unique_ptr<SqliteConnection> reader) noexcept;

  const std::string path_;
  const DatabaseOptions options_;
  const bool memory_;

  std::timed_mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_;  // GUARDED_BY(writer_mutex_)

  std::mutex readers_mutex_;
  std::condition_variable readers_released_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // GUARDED_BY(readers_mutex_)
  int open_readers_ = 0;                                         // GUARDED_BY(readers_mutex_)
};

}  // namespace tyto::storage
