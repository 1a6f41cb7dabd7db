// A storage::Database that forwards to a real one and fails on command: LevelDB's fault-injecting
// environment, for Tyto's storage interface. Tests use it to take the paths that real disks and networks
// rarely take: a write that fails half-way through a transaction, a disk that fills up, a commit that
// fails before anything was stored, and a commit that fails *after* the data was stored (the connection
// died while the server committed), which the caller cannot tell apart from the first.
//
// Faults are armed by count and, optionally, by the SQL they hit:
//   db.fail_write(1, DbFault::kDiskFull, "INSERT INTO jobs");           // the next job insert fails
//   db.fail_commit(1, CommitPoint::kAfter, DbFault::kConnectionLost,    // the next commit of a transaction
//                  "INSERT INTO jobs");                                 // that inserted a job stores it, then fails
// A write statement is one whose first keyword is INSERT, UPDATE, DELETE or REPLACE (execute_script
// counts as one too). An autocommit write statement commits on its own, so commit faults apply to it.
//
// Errors are the typed errors the real drivers throw for the same condition (a full disk and a lost
// connection: DatabaseUnavailable; a serialization failure: TransactionConflict). A statement that fails
// inside a transaction aborts it, as a real failure does: later statements and commit() throw, and the
// real transaction is rolled back.
//
// Thread-safety: like any Database, safe from many threads; the fault plan is shared, so which thread
// meets an armed fault is first come, first served (narrow faults with `match`).
#pragma once

#include "tyto/storage/database.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tyto::test {

enum class DbFault {
  kDiskFull,        // SQLite: SQLITE_FULL; PostgreSQL: SQLSTATE 53100
  kConnectionLost,  // PostgreSQL: the server went away (the outcome of a commit is then unknown)
  kConflict,        // PostgreSQL: serialization failure (40001)
};

enum class CommitPoint {
  kBefore,  // nothing is stored: the real transaction is rolled back, then the error is thrown
  kAfter,   // everything is stored: the real transaction commits, then the error is thrown
};

// The error a real driver of `dialect` throws for `fault`.
[[noreturn]] void throw_db_fault(storage::Dialect dialect, DbFault fault);

class FaultyDatabase final : public storage::Database {
 public:
  static constexpr int kForever = -1;

  explicit FaultyDatabase(storage::Database& real);
  explicit FaultyDatabase(std::unique_ptr<storage::Database> real);
  ~FaultyDatabase() override;

  // The nth write statement from now (1: the next) whose SQL contains `match` (empty: any) throws and
  // does not run; so do the `times - 1` matching writes after it (kForever: until clear()).
  void fail_write(int nth, DbFault fault, std::string match = {}, int times = 1);

  // The nth commit from now of a write transaction (or autocommit write) that ran a statement containing
  // `match` fails at `point`; so do the `times - 1` matching commits after it.
  void fail_commit(int nth, CommitPoint point, DbFault fault, std::string match = {}, int times = 1);

  // Every write statement that binds the text `value` as a parameter fails, until clear(): a fault that
  // follows one request's data (a tenant, a key) whichever transaction it lands in.
  void fail_writes_binding(std::string value, DbFault fault);

  // Disarms every fault.
  void clear();

  // How many faults were injected so far.
  int injected() const noexcept { return injected_.load(); }

  storage::Database& real() noexcept { return real_; }

  // storage::Database
  storage::Result query(std::string_view sql, const storage::Params& params = {}) override;
  void execute_script(std::string_view sql) override;
  storage::Dialect dialect() const noexcept override { return real_.dialect(); }
  std::unique_ptr<storage::Listener> listen(const std::vector<std::string>& channels) override {
    return real_.listen(channels);
  }
  std::unique_ptr<storage::Transaction> begin(storage::TxMode mode = storage::TxMode::kWrite) override;
  void ping() override { real_.ping(); }
  std::string display_url() const override { return real_.display_url(); }

 private:
  friend class FaultyTransaction;
  enum class Kind { kWrite, kCommit };
  struct Rule {
    Kind kind;
    int skip;   // matching events to let pass first
    int times;  // matching events to fail; kForever: all
    DbFault fault;
    CommitPoint point;
    std::string match;
    std::string binding;  // non-empty: only statements binding this text
  };

  // The rule that fails this event, if any (consumes one count of every matching rule).
  std::optional<Rule> take(Kind kind, const std::vector<std::string>& sqls, const storage::Params* params = nullptr);
  void check_write(std::string_view sql, const storage::Params* params = nullptr);

  std::unique_ptr<storage::Database> owned_;
  storage::Database& real_;
  std::mutex mutex_;
  std::vector<Rule> rules_;  // GUARDED_BY(mutex_)
  std::atomic<int> injected_{0};
};

// True for the statements FaultyDatabase counts as writes.
bool is_write_statement(std::string_view sql);

}  // namespace tyto::test
