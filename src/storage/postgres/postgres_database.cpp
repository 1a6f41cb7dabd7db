#include "storage/postgres/postgres_database.hpp"

#include "storage/detail/leased_transaction.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

namespace tyto::storage {
namespace {

// Type OIDs from pg_type that get a typed Value; everything else reads as text.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

constexpr std::string_view kDefaultConnectTimeout = "5";
constexpr std::string_view kApplicationName = "tyto";
// Bounds the statement cache when callers build SQL dynamically.
constexpr std::size_t kMaxCachedStatements = 256;

struct ResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string_view abbreviate(std::string_view sql) {
  constexpr std::size_t kMax = 200;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool is_connection_failure(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, end);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_bytea(const char* text, int length) {
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    std::string out;
    out.reserve(static_cast<std::size_t>(length - 2) / 2);
    for (int i = 2; i + 1 < length; i += 2) {
      int hi = hex_digit(text[i]);
      int lo = hex_digit(text[i + 1]);
      if (hi < 0 || lo < 0) throw DatabaseError("malformed bytea value from the server");
      out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
  }
  std::size_t size = 0;  // bytea_output = escape
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
  if (raw == nullptr) throw DatabaseError("malformed bytea value from the server");
  std::string out(reinterpret_cast<const char*>(raw), size);
  PQfreemem(raw);
  return out;
}

Value column_value(const char* text, int length, Oid type) {
  std::string_view s(text, static_cast<std::size_t>(length));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t i = 0;
      if (std::from_chars(s.data(), s.data() + s.size(), i).ec == std::errc()) return Value(i);
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double d = 0;
      if (std::from_chars(s.data(), s.data() + s.size(), d).ec == std::errc()) return Value(d);
      break;
    }
    case kBoolOid:
      return Value(s == "t");
    case kByteaOid:
      return Value(Blob{decode_bytea(text, length)});
    default:
      break;
  }
  return Value(std::string(s));
}

Result convert_result(PGresult* res) {
  Result result;
  int fields = PQnfields(res);
  int tuples = PQntuples(res);
  auto columns = std::make_shared<std::vector<std::string>>();
  for (int c = 0; c < fields; ++c) columns->emplace_back(PQfname(res, c));
  result.rows.reserve(static_cast<std::size_t>(tuples));
  for (int r = 0; r < tuples; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(fields));
    for (int c = 0; c < fields; ++c) {
      if (PQgetisnull(res, r, c)) {
        values.emplace_back(nullptr);
      } else {
        values.push_back(column_value(PQgetvalue(res, r, c), PQgetlength(res, r, c), PQftype(res, c)));
      }
    }
    result.rows.emplace_back(columns, std::move(values));
  }
  // PQcmdTuples counts the rows a SELECT returned; the contract says 0 for queries.
  std::string_view tag = PQcmdStatus(res);
  if (!tag.starts_with("SELECT")) {
    std::string_view count = PQcmdTuples(res);
    std::from_chars(count.data(), count.data() + count.size(), result.affected_rows);
  }
  result.names = std::move(columns);
  return result;
}

// Parameters in the form PQexecPrepared takes: text for everything but Blob, which goes as binary bytea.
class ParamArrays {
 public:
  explicit ParamArrays(const Params& params)
      : texts_(params.size()), values_(params.size()), lengths_(params.size()), formats_(params.size()) {
    for (std::size_t i = 0; i < params.size(); ++i) set(i, params[i]);
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void set(std::size_t i, const Value& value) {
    const auto& v = value.variant();
    if (std::holds_alternative<std::nullptr_t>(v)) return;  // values_[i] stays null
    if (auto* blob = std::get_if<Blob>(&v)) {
      values_[i] = blob->bytes.data();
      lengths_[i] = static_cast<int>(blob->bytes.size());
      formats_[i] = 1;
      return;
    }
    if (auto* s = std::get_if<std::string>(&v)) {
      if (s->find('\0') != std::string::npos) {
        throw DatabaseError(
            fmt::format("parameter ${} holds a NUL byte, which PostgreSQL text cannot store; use a Blob", i + 1));
      }
      values_[i] = s->c_str();
      return;
    }
    if (auto* b = std::get_if<bool>(&v)) texts_[i] = *b ? "true" : "false";
    if (auto* n = std::get_if<std::int64_t>(&v)) texts_[i] = std::to_string(*n);
    if (auto* d = std::get_if<double>(&v)) texts_[i] = format_double(*d);
    values_[i] = texts_[i].c_str();
  }

  std::vector<std::string> texts_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

}  // namespace

PostgresConnection::PostgresConnection(const std::string& url, const std::string& display_url,
                                       const std::string& password)
    : display_url_(display_url), password_(password) {
  // Entries before the expanded dbname (the URL) are defaults that the URL may override.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {kDefaultConnectTimeout.data(), kApplicationName.data(), url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr) throw DatabaseUnavailable("libpq could not allocate a connection");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = scrub(trimmed(PQerrorMessage(conn_)));
    PQfinish(conn_);
    throw DatabaseUnavailable(fmt::format("cannot connect to PostgreSQL at {}: {}", display_url_, message));
  }
  PQsetNoticeReceiver(conn_, &PostgresConnection::on_notice, this);
}

void PostgresConnection::on_notice(void* self, const PGresult* notice) {
  // Notices ("relation already exists, skipping") must not reach stderr. A FATAL one arrives while
  // the connection is idle when the server ends the session, which may close the socket only later.
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
    static_cast<PostgresConnection*>(self)->lost_ = true;
  }
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

std::string PostgresConnection::scrub(std::string message) const {
  if (password_.empty()) return message;
  for (std::size_t pos = message.find(password_); pos != std::string::npos; pos = message.find(password_, pos)) {
    message.replace(pos, password_.size(), "***");
  }
  return message;
}

bool PostgresConnection::healthy() noexcept {
  // A server that ended the session sent a FATAL notice (see on_notice) and closed the socket; reading
  // takes the notice first and sees the end of the stream later. Loop while there is something to read.
  for (int round = 0; round < 8; ++round) {
    if (lost_ || PQstatus(conn_) != CONNECTION_OK) return false;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    int ready = poll(&fd, 1, 0);
    if (ready == 0) return true;
    if (ready < 0 && errno != EINTR) return false;
    if (ready > 0 && PQconsumeInput(conn_) == 0) return false;
    while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

void PostgresConnection::reset() {
  statements_.clear();
  PQreset(conn_);
  lost_ = PQstatus(conn_) != CONNECTION_OK;
  if (lost_) {
    throw DatabaseUnavailable(
        fmt::format("cannot reconnect to PostgreSQL at {}: {}", display_url_, scrub(trimmed(PQerrorMessage(conn_)))));
  }
}

void PostgresConnection::raise(PGresult* res, std::string_view sql) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = scrub(primary != nullptr ? std::string(primary) : trimmed(PQerrorMessage(conn_)));

  if (PQstatus(conn_) != CONNECTION_OK || is_connection_failure(sqlstate)) {
    lost_ = true;  // the pool reconnects it before its next use
    throw DatabaseUnavailable(fmt::format("lost the connection to PostgreSQL at {}: {}", display_url_, message));
  }
  if (sqlstate == "23505") throw UniqueViolation(message);
  if (sqlstate == "23503") throw ForeignKeyViolation(message);
  if (sqlstate == "40001" || sqlstate == "40P01") throw TransactionConflict(message);
  // Class 53, insufficient resources (disk full, out of memory, too many connections): the server, not the
  // statement, is at fault.
  if (sqlstate.starts_with("53")) {
    throw DatabaseUnavailable(
        fmt::format("PostgreSQL at {} is out of resources: {} (SQLSTATE {})", display_url_, message, sqlstate));
  }
  throw DatabaseError(fmt::format("postgres: {} (SQLSTATE {}, in: {})", message, sqlstate, abbreviate(sql)));
}

const PostgresConnection::Prepared& PostgresConnection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return it->second;
  if (statements_.size() >= kMaxCachedStatements) {
    exec("DEALLOCATE ALL");
    statements_.clear();
  }
  std::string name = fmt::format("tyto_{}", next_statement_++);
  // No parameter types: the server infers each $N from where it is used.
  ResultPtr res(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) raise(res.get(), sql);
  // The parameter count lets a wrong number of params fail here, not as a protocol error (SQLSTATE 08P01).
  ResultPtr described(PQdescribePrepared(conn_, name.c_str()));
  if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK) raise(described.get(), sql);
  Prepared prepared{std::move(name), PQnparams(described.get())};
  return statements_.emplace(std::move(key), std::move(prepared)).first->second;
}

Result PostgresConnection::query(std::string_view sql, const Params& params) {
  ParamArrays arrays(params);
  const Prepared& prepared = prepare(sql);
  if (arrays.size() != prepared.params) {
    throw DatabaseError(fmt::format("statement takes {} parameters but {} were given: {}", prepared.params,
                                    arrays.size(), abbreviate(sql)));
  }
  ResultPtr res(PQexecPrepared(conn_, prepared.name.c_str(), arrays.size(), arrays.values(), arrays.lengths(),
                               arrays.formats(), 0));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return convert_result(res.get());

  const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  // A plan invalidated by a schema change (0A000) or a deallocated statement (26000): prepare anew next time.
  if (state != nullptr && (std::strcmp(state, "0A000") == 0 || std::strcmp(state, "26000") == 0)) {
    statements_.erase(std::string(sql));
  }
  raise(res.get(), sql);
}

std::string PostgresConnection::exec(std::string_view sql) {
  ResultPtr res(PQexec(conn_, std::string(sql).c_str()));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    raise(res.get(), sql);
  }
  return PQcmdStatus(res.get());
}

void PostgresConnection::rollback_quietly() noexcept {
  if (lost_ || PQstatus(conn_) != CONNECTION_OK) return;
  PGTransactionStatusType tx = PQtransactionStatus(conn_);
  if (tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR) PQclear(PQexec(conn_, "ROLLBACK"));
}

bool PostgresConnection::settled() const noexcept {
  return !lost_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

int PostgresConnection::socket() const noexcept { return PQsocket(conn_); }

bool PostgresConnection::consume_input() noexcept {
  // A fast shutdown sends a FATAL notice (see on_notice) before it closes the socket.
  return PQconsumeInput(conn_) != 0 && !lost_ && PQstatus(conn_) == CONNECTION_OK;
}

void PostgresConnection::take_notifications(std::vector<Notification>& out) {
  struct NotifyDeleter {
    void operator()(PGnotify* notify) const { PQfreemem(notify); }
  };
  while (std::unique_ptr<PGnotify, NotifyDeleter> notify{PQnotifies(conn_)}) {
    out.push_back(Notification{notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid});
  }
}

std::string PostgresConnection::quote_identifier(std::string_view name) {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) {
    throw DatabaseError(fmt::format("cannot quote identifier: {}", trimmed(PQerrorMessage(conn_))));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

int PostgresConnection::backend_pid() const noexcept {
  return !lost_ && PQstatus(conn_) == CONNECTION_OK ? PQbackendPID(conn_) : 0;
}

PostgresDatabase::Lease::~Lease() {
  if (conn_) db_->release(std::move(conn_));
}

PostgresDatabase::PostgresDatabase(const DatabaseOptions& options)
    : options_(options), display_url_(mask_database_url(options.url)) {
  char* error = nullptr;
  PQconninfoOption* info = PQconninfoParse(options_.url.c_str(), &error);
  if (info == nullptr) {
    std::string message = trimmed(error);
    PQfreemem(error);
    throw Error(ErrorCode::kValidationFailed, fmt::format("invalid PostgreSQL url {}: {}", display_url_, message));
  }
  for (PQconninfoOption* o = info; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password_ = o->val;
  }
  PQconninfoFree(info);

  // Fail now rather than at the first query when the server cannot be reached.
  idle_.push_back(std::make_unique<PostgresConnection>(options_.url, display_url_, password_));
  open_ = 1;
}

PostgresDatabase::~PostgresDatabase() = default;

PostgresDatabase::Lease PostgresDatabase::acquire() {
  std::unique_lock lock(mutex_);
  int limit = std::max(1, options_.pool_size);
  if (!released_.wait_for(lock, options_.acquire_timeout, [&] { return !idle_.empty() || open_ < limit; })) {
    throw DatabaseUnavailable(fmt::format("database connection pool exhausted ({} connections busy for {} ms)", limit,
                                          options_.acquire_timeout.count()));
  }
  std::unique_ptr<PostgresConnection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++open_;
  }
  lock.unlock();

  try {
    if (!conn) {
      conn = std::make_unique<PostgresConnection>(options_.url, display_url_, password_);
    } else if (!conn->healthy()) {
      conn->reset();
    }
  } catch (...) {
    conn.reset();
    forget_one();
    throw;
  }
  return Lease(this, std::move(conn));
}

void PostgresDatabase::release(std::unique_ptr<PostgresConnection> conn) noexcept {
  // A connection left inside a transaction is rolled back; a broken one stays pooled and is
  // reconnected by the next acquire().
  if (!conn->settled()) conn->rollback_quietly();
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  released_.notify_one();
}

void PostgresDatabase::forget_one() noexcept {
  {
    std::lock_guard lock(mutex_);
    --open_;
  }
  released_.notify_one();
}

Result PostgresDatabase::query(std::string_view sql, const Params& params) {
  Lease conn = acquire();
  return conn->query(sql, params);
}

void PostgresDatabase::execute_script(std::string_view sql) {
  Lease conn = acquire();
  conn->exec(sql);
}

void PostgresDatabase::ping() {
  try {
    Lease conn = acquire();
    conn->exec("SELECT 1");
  } catch (const DatabaseUnavailable&) {
    throw;
  } catch (const DatabaseError& e) {
    throw DatabaseUnavailable(e.what());
  }
}

namespace {

class PostgresTransaction final : public detail::LeasedTransaction<PostgresDatabase::Lease> {
 public:
  PostgresTransaction(PostgresDatabase::Lease lease, TxMode mode)
      : LeasedTransaction(std::move(lease), mode == TxMode::kWrite ? "BEGIN" : "BEGIN READ ONLY") {}

 private:
  void run_commit() override {
    // COMMIT of a transaction the server had already failed answers ROLLBACK instead of an error.
    if (conn()->exec("COMMIT") == "ROLLBACK") {
      throw DatabaseError("the server rolled the transaction back instead of committing it");
    }
  }
};

}  // namespace

std::unique_ptr<Transaction> PostgresDatabase::begin(TxMode mode) {
  return std::make_unique<PostgresTransaction>(acquire(), mode);
}

std::unique_ptr<Listener> PostgresDatabase::listen(const std::vector<std::string>& channels) {
  return std::make_unique<PostgresListener>(options_.url, display_url_, password_, channels);
}

}  // namespace tyto::storage
