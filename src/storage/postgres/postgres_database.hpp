// The PostgreSQL driver over libpq: a lazily filled pool of connections, statements prepared once
// per connection, connections that notice a restarted server and reconnect before use, and
// listeners for NOTIFY on connections of their own.
#pragma once

#include "tyto/storage/database.hpp"

#include <chrono>
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

  // For a listener: the socket to poll for readability.
  int socket() const noexcept;
  // Reads what the server sent without blocking; false when the connection broke.
  bool consume_input() noexcept;
  // Appends the notifications libpq has read so far, oldest first.
  void take_notifications(std::vector<Notification>& out);
  // `name` quoted as an SQL identifier; throws DatabaseError if libpq refuses it (invalid encoding).
  std::string quote_identifier(std::string_view name);
  // The server process serving this session; 0 when the connection is broken.
  int backend_pid() const noexcept;

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

// A LISTEN session on a connection of its own, outside the pool: a pooled connection would carry
// its LISTENs to other users, and the pool's health check discards notifications.
//
// Thread-safety: one thread owns the listener and calls wait(), reconnected(), own_pid() and the
// destructor. interrupt() may be called from any thread while the listener lives; it only writes
// to wake_fd_. An interrupt() while no wait() is running makes the next wait() return at once.
//
// Reconnection: wait() notices a lost connection when its socket reports the end of the session,
// then makes one attempt per call to reconnect (PQreset) and LISTEN again. That attempt blocks for
// up to the connect timeout (connect_timeout in the URL, 5 s by default) and cannot be interrupted;
// a server that refuses connections fails it at once. A session that dies silently (no FIN, e.g.
// a network partition) is noticed only when TCP keepalive gives up on it.
class PostgresListener final : public Listener {
 public:
  // Validates the channel names (Error kValidationFailed: empty, longer than 63 bytes, or holding a
  // NUL byte), connects (DatabaseUnavailable) and LISTENs on every channel.
  PostgresListener(const std::string& url, const std::string& display_url, const std::string& password,
                   const std::vector<std::string>& channels);
  ~PostgresListener() override;
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  // Returns as soon as notifications are there (all that are), at the timeout, on interrupt(), or
  // right after a reconnection. While the server is down it makes one attempt to reconnect and
  // sleeps out the rest of the timeout, so a caller looping on wait() does not spin.
  std::vector<Notification> wait(std::chrono::milliseconds timeout) override;
  void interrupt() override;
  bool reconnected() override;
  int own_pid() const override;

 private:
  using Clock = std::chrono::steady_clock;
  enum class Wake { kTimeout, kReadable, kInterrupted };

  // Polls `socket` (none if negative) and wake_fd_ until the deadline; consumes an interrupt.
  Wake poll_until(int socket, Clock::time_point deadline);
  // One attempt to reconnect and LISTEN again; false while the server cannot be reached.
  bool reconnect();

  std::unique_ptr<PostgresConnection> conn_;
  std::string listen_sql_;    // LISTEN "a"; LISTEN "b"; … — run again after each reconnection
  int wake_fd_ = -1;          // an eventfd: interrupt() adds to it, poll_until() drains it
  bool connected_ = true;     // false from a lost connection until a reconnection succeeds
  bool reconnected_ = false;  // reported and cleared by reconnected()
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
  // A PostgresListener with the same URL and defaults as the pool's connections.
  std::unique_ptr<Listener> listen(const std::vector<std::string>& channels) override;
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
