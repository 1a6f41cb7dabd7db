// A Transaction on a connection leased from a driver's pool, shared by both drivers: statements run
// through TransactionState, and every way out (commit, rollback, a failed COMMIT, destruction) rolls
// back what is still open and gives the connection back at once.
#pragma once

#include "storage/detail/transaction_state.hpp"
#include "tyto/storage/database.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tyto::storage::detail {

// Lease: the driver's move-only lease; operator-> gives its connection, which has query(sql, params),
// exec(sql) and rollback_quietly().
template <class Lease>
class LeasedTransaction : public Transaction {
 public:
  // Runs begin_sql on the leased connection; if that throws, the lease goes back untouched.
  LeasedTransaction(Lease lease, std::string_view begin_sql) : lease_(std::move(lease)) { conn()->exec(begin_sql); }
  ~LeasedTransaction() override {
    if (lease_) end();
  }

  Result query(std::string_view sql, const Params& params) final {
    return state_.run([&] { return conn()->query(sql, params); });
  }

  void execute_script(std::string_view sql) final {
    state_.run([&] { conn()->exec(sql); });
  }

  void commit() final {
    if (state_.finish()) {
      end();
      throw DatabaseError(std::string(kCommitAfterFailureMessage));
    }
    try {
      run_commit();
    } catch (...) {
      end();  // a failed COMMIT (deferred constraint, lock) leaves the transaction open
      throw;
    }
    end();
  }

  void rollback() final {
    state_.finish();
    end();
  }

 protected:
  auto* conn() const { return lease_->operator->(); }

  // Sends COMMIT; a driver overrides it to check the server's answer. Throwing rolls back.
  virtual void run_commit() { conn()->exec("COMMIT"); }

 private:
  // Rolls back whatever is still open and gives the connection back to the driver at once.
  void end() noexcept {
    conn()->rollback_quietly();
    lease_.reset();
  }

  std::optional<Lease> lease_;
  TransactionState state_;
};

}  // namespace tyto::storage::detail
