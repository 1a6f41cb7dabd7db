// The life of a transaction, shared by both drivers so that they fail alike: open → (aborted by a
// failed statement) → finished by commit, rollback or destruction.
#pragma once

#include "tyto/storage/database.hpp"

namespace tyto::storage::detail {

class TransactionState {
 public:
  // Runs fn if the transaction is open; a throwing fn aborts the transaction.
  template <class Fn>
  auto run(Fn&& fn) {
    check_not_finished();
    if (aborted_) throw DatabaseError("transaction aborted by an earlier failed statement; roll it back");
    try {
      return fn();
    } catch (...) {
      aborted_ = true;
      throw;
    }
  }

  // Marks the transaction finished; throws if it already was. Returns whether it had been aborted.
  bool finish() {
    check_not_finished();
    finished_ = true;
    return aborted_;
  }

  bool finished() const noexcept { return finished_; }

 private:
  void check_not_finished() const {
    if (finished_) throw DatabaseError("transaction already committed or rolled back");
  }

  bool aborted_ = false;
  bool finished_ = false;
};

inline constexpr std::string_view kCommitAfterFailureMessage =
    "cannot commit: a statement in the transaction failed, so it was rolled back";

}  // namespace tyto::storage::detail
