// The PostgreSQL driver over libpq: a lazily filled pool of connections, statements prepared once
// per connection, and connections that notice a restarted server and reconnect before use.
#pragma once

#include "tyto/storage/database.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace tyto::storage {

// One libpq connection and the statements prepared on it. Used by one thread at a time.
class PostgresConnection {
 public:
  // Connects; throws DatabaseUnavailable with libpq's message (password masked).
  PostgresConnection(const std::string& url, const std::string& display_url, const std::string& password);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Reads whatever the server sent while the connection sat idle (a shutdown notice, end of
  // stream) and says whether the connection still works. Never blocks.
  bool healthy() noexcept;
  // Opens a new session in place; prepared statements are gone. Throws DatabaseUnavailable.
  void reset();

  Result query(std::string_view sql, const Params& params);
  // Simple protocol: several statements, no parameters. Returns the last command's status tag.
  std::string exec(std::string_view sql);
  // Ends an open or failed transaction block; never throws.
  void rollback_quietly() noexcept;
  // True when the connection is idle outside any transaction and can go back to the pool as is.
  bool settled() const noexcept;

 private:
  struct Prepared {
    std::string name;
    int params;
  };

  static void on_notice(void* self, const pg_result* notice);
  const Prepared& prepare(std::string_view sql);
  [[noreturn]] void raise(pg_result* res, std::string_view sql);
  std::string scrub(std::string message) const;

  pg_conn* conn_ = nullptr;
  std::string display_url_;
  std::string password_;
  bool lost_ = false;  // the session ended or broke; the pool reconnects before the next use
  std::unordered_map<std::string, Prepared> statements_;  // by SQL text
  std::uint64_t next_statement_ = 0;
};

class PostgresDatabase final : public Database {
 public:
  // A pooled connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(PostgresDatabase* db, std::unique_ptr<PostgresConnection> conn) : db_(db), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    PostgresConnection* operator->() const noexcept { return conn_.get(); }

   private:
    PostgresDatabase* db_;
    std::unique_ptr<PostgresConnection> conn_;
  };

  // Validates the URL (Error kValidationFailed) and opens the first connection (DatabaseUnavailable).
  explicit PostgresDatabase(const DatabaseOptions& options);
  ~PostgresDatabase() override;

  Result query(std::string_view sql, const Params& params) override;
  void execute_script(std::string_view sql) override;
  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  std::unique_ptr<Transaction> begin(TxMode mode) override;
  void ping() override;
  std::string display_url() const override { return display_url_; }

 private:
  // Waits up to acquire_timeout for a connection; checks an idle one and reconnects it if needed.
  Lease acquire();
  void release(std::unique_ptr<PostgresConnection> conn) noexcept;
  void forget_one() noexcept;

  const DatabaseOptions options_;
  const std::string display_url_;
  std::string password_;

  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;  // GUARDED_BY(mutex_)
  int open_ = 0;                                           // GUARDED_BY(mutex_)
};

}  // namespace tyto::storage
