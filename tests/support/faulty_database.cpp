#include "support/faulty_database.hpp"

#include "storage/detail/transaction_state.hpp"

#include <algorithm>
#include <cctype>

namespace tyto::test {

using storage::Dialect;
using storage::Params;
using storage::Result;

bool is_write_statement(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  }
  return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE";
}

// The messages follow the drivers' (src/storage/sqlite, src/storage/postgres) so logs read alike.
void throw_db_fault(Dialect dialect, DbFault fault) {
  const bool sqlite = dialect == Dialect::kSqlite;
  switch (fault) {
    case DbFault::kDiskFull:
      if (sqlite) throw storage::DatabaseUnavailable("sqlite cannot write the database file: database or disk is full");
      throw storage::DatabaseUnavailable(
          "PostgreSQL is out of resources: could not extend file: No space left on device (SQLSTATE 53100) [injected]");
    case DbFault::kConnectionLost:
      if (sqlite)
        throw storage::DatabaseUnavailable("sqlite cannot write the database file: disk I/O error [injected]");
      throw storage::DatabaseUnavailable("lost the connection to PostgreSQL: server closed the connection [injected]");
    case DbFault::kConflict:
      if (sqlite) throw storage::DatabaseUnavailable("sqlite database stayed locked by another connection [injected]");
      throw storage::TransactionConflict("could not serialize access due to concurrent update [injected]");
  }
  throw storage::DatabaseError("unknown injected fault");
}

// Forwards to a real transaction, records the SQL it ran (commit faults match on it) and fails on command.
class FaultyTransaction final : public storage::Transaction {
 public:
  FaultyTransaction(FaultyDatabase& db, std::unique_ptr<storage::Transaction> real, storage::TxMode mode)
      : db_(db), real_(std::move(real)), mode_(mode) {}

  Result query(std::string_view sql, const Params& params) override {
    return state_.run([&] {
      if (mode_ == storage::TxMode::kWrite) sqls_.emplace_back(sql);
      if (is_write_statement(sql)) db_.check_write(sql, &params);
      return real_->query(sql, params);
    });
  }

  void execute_script(std::string_view sql) override {
    state_.run([&] {
      sqls_.emplace_back(sql);
      db_.check_write(sql);
      real_->execute_script(sql);
    });
  }

  void commit() override {
    if (state_.finish()) {
      real_->rollback();
      throw storage::DatabaseError(std::string(storage::detail::kCommitAfterFailureMessage));
    }
    std::optional<FaultyDatabase::Rule> rule;
    if (mode_ == storage::TxMode::kWrite) rule = db_.take(FaultyDatabase::Kind::kCommit, sqls_);
    if (!rule) return real_->commit();
    if (rule->point == CommitPoint::kAfter) {
      real_->commit();
    } else {
      real_->rollback();
    }
    throw_db_fault(db_.dialect(), rule->fault);
  }

  void rollback() override {
    state_.finish();
    real_->rollback();
  }

 private:
  FaultyDatabase& db_;
  std::unique_ptr<storage::Transaction> real_;
  storage::TxMode mode_;
  storage::detail::TransactionState state_;
  std::vector<std::string> sqls_;
};

FaultyDatabase::FaultyDatabase(storage::Database& real) : real_(real) {}
FaultyDatabase::FaultyDatabase(std::unique_ptr<storage::Database> real) : owned_(std::move(real)), real_(*owned_) {}
FaultyDatabase::~FaultyDatabase() = default;

void FaultyDatabase::fail_write(int nth, DbFault fault, std::string match, int times) {
  std::lock_guard lock(mutex_);
  rules_.push_back({Kind::kWrite, nth - 1, times, fault, CommitPoint::kBefore, std::move(match), {}});
}

void FaultyDatabase::fail_commit(int nth, CommitPoint point, DbFault fault, std::string match, int times) {
  std::lock_guard lock(mutex_);
  rules_.push_back({Kind::kCommit, nth - 1, times, fault, point, std::move(match), {}});
}

void FaultyDatabase::fail_writes_binding(std::string value, DbFault fault) {
  std::lock_guard lock(mutex_);
  rules_.push_back({Kind::kWrite, 0, kForever, fault, CommitPoint::kBefore, {}, std::move(value)});
}

void FaultyDatabase::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::optional<FaultyDatabase::Rule> FaultyDatabase::take(Kind kind, const std::vector<std::string>& sqls,
                                                         const Params* params) {
  std::lock_guard lock(mutex_);
  std::optional<Rule> hit;
  for (auto& rule : rules_) {
    if (rule.kind != kind || rule.times == 0) continue;
    const bool matches = rule.match.empty() || std::any_of(sqls.begin(), sqls.end(), [&](const std::string& sql) {
                           return sql.find(rule.match) != std::string::npos;
                         });
    if (!matches) continue;
    if (!rule.binding.empty() && (!params || std::none_of(params->begin(), params->end(), [&](const storage::Value& v) {
          const auto* text = std::get_if<std::string>(&v.variant());
          return text && *text == rule.binding;
        }))) {
      continue;
    }
    if (rule.skip > 0) {
      --rule.skip;
      continue;
    }
    if (rule.times > 0) --rule.times;
    if (!hit) hit = rule;
  }
  if (hit) ++injected_;
  return hit;
}

void FaultyDatabase::check_write(std::string_view sql, const Params* params) {
  if (auto rule = take(Kind::kWrite, {std::string(sql)}, params)) throw_db_fault(dialect(), rule->fault);
}

Result FaultyDatabase::query(std::string_view sql, const Params& params) {
  if (!is_write_statement(sql)) return real_.query(sql, params);
  check_write(sql, &params);
  // An autocommit write is its own transaction: a commit fault applies to it as well.
  const auto rule = take(Kind::kCommit, {std::string(sql)});
  if (!rule) return real_.query(sql, params);
  if (rule->point == CommitPoint::kAfter) real_.query(sql, params);
  throw_db_fault(dialect(), rule->fault);
}

void FaultyDatabase::execute_script(std::string_view sql) {
  check_write(sql);
  real_.execute_script(sql);
}

std::unique_ptr<storage::Transaction> FaultyDatabase::begin(storage::TxMode mode) {
  return std::make_unique<FaultyTransaction>(*this, real_.begin(mode), mode);
}

}  // namespace tyto::test
