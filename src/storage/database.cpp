#include "tyto/storage/database.hpp"

#include "storage/postgres/postgres_database.hpp"
#include "storage/sqlite/sqlite_database.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <span>

namespace tyto::storage {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kPostgresSchemes[] = {"postgres://", "postgresql://"};

std::string_view type_name(const Value::Variant& v) {
  static constexpr std::string_view kNames[] = {"null", "bool", "integer", "double", "text", "blob"};
  return kNames[v.index()];
}

[[noreturn]] void throw_conversion(const Value::Variant& v, std::string_view target) {
  if (std::holds_alternative<std::nullptr_t>(v)) {
    throw DatabaseError(fmt::format("cannot read NULL as {}", target));
  }
  throw DatabaseError(fmt::format("cannot read a {} value as {}", type_name(v), target));
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

std::optional<double> parse_double(std::string_view s) {
  double out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

// A double reads as an integer only when nothing is lost (PostgreSQL's numeric arrives as double).
std::optional<std::int64_t> exact_int(double d) {
  constexpr double kLimit = 9223372036854775808.0;  // 2^63
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kLimit || d >= kLimit) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

bool starts_with_any(std::string_view url, std::span<const std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (url.starts_with(p)) return true;
  }
  return false;
}

// Masks the value of every "password=" query parameter.
void mask_query_password(std::string& url) {
  std::size_t q = url.find('?');
  while (q != std::string::npos) {
    std::size_t key = q + 1;
    std::size_t next = url.find('&', key);
    std::size_t end = next == std::string::npos ? url.size() : next;
    constexpr std::string_view kKey = "password=";
    if (std::string_view(url).substr(key, end - key).starts_with(kKey)) {
      url.replace(key + kKey.size(), end - key - kKey.size(), "***");
      next = url.find('&', key);
    }
    q = next;
  }
}

}  // namespace

std::string_view dialect_name(Dialect d) noexcept { return d == Dialect::kSqlite ? "sqlite" : "postgres"; }

bool Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i != 0;
  if (auto* s = std::get_if<std::string>(&v_)) {
    if (*s == "true" || *s == "t" || *s == "1") return true;
    if (*s == "false" || *s == "f" || *s == "0") return false;
  }
  throw_conversion(v_, "bool");
}

std::int64_t Value::as_int() const {
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (auto* b = std::get_if<bool>(&v_)) return *b ? 1 : 0;
  if (auto* d = std::get_if<double>(&v_)) {
    if (auto i = exact_int(*d)) return *i;
  }
  if (auto* s = std::get_if<std::string>(&v_)) {
    if (auto i = parse_int(*s)) return *i;
    if (auto d = parse_double(*s)) {
      if (auto i = exact_int(*d)) return *i;
    }
  }
  throw_conversion(v_, "integer");
}

double Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) {
    if (auto d = parse_double(*s)) return *d;
  }
  throw_conversion(v_, "double");
}

std::string Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (auto* b = std::get_if<bool>(&v_)) return *b ? "true" : "false";
  if (auto* d = std::get_if<double>(&v_)) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *d);
    return std::string(buf, end);
  }
  if (auto* blob = std::get_if<Blob>(&v_)) return blob->bytes;
  throw_conversion(v_, "text");
}

Blob Value::as_blob() const {
  if (auto* b = std::get_if<Blob>(&v_)) return *b;
  if (auto* s = std::get_if<std::string>(&v_)) return Blob{*s};
  throw_conversion(v_, "blob");
}

Row::Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
    : columns_(std::move(columns)), values_(std::move(values)) {}

const Value& Row::at(std::size_t i) const {
  if (i >= values_.size()) {
    throw DatabaseError(fmt::format("column index {} out of range; the row has {} columns", i, values_.size()));
  }
  return values_[i];
}

const Value& Row::at(std::string_view column) const {
  for (std::size_t i = 0; i < columns_->size() && i < values_.size(); ++i) {
    if ((*columns_)[i] == column) return values_[i];
  }
  throw DatabaseError(fmt::format("no column named '{}' in the result", column));
}

std::int64_t Session::execute(std::string_view sql, const Params& params) { return query(sql, params).affected_rows; }

std::optional<Row> Session::query_one(std::string_view sql, const Params& params) {
  Result result = query(sql, params);
  if (result.rows.empty()) return std::nullopt;
  return std::move(result.rows.front());
}

std::unique_ptr<Database> open_database(const DatabaseOptions& options) {
  std::string_view url = options.url;
  if (url.starts_with(kSqlitePrefix)) {
    std::string_view path = url.substr(kSqlitePrefix.size());
    // Accept the common "sqlite:///abs/path" and "sqlite://rel/path" spellings as well.
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) throw Error(ErrorCode::kValidationFailed, "database url 'sqlite:' names no file");
    return std::make_unique<SqliteDatabase>(std::string(path), options);
  }
  if (starts_with_any(url, kPostgresSchemes)) return std::make_unique<PostgresDatabase>(options);
  // Only the scheme goes into the message: an unknown URL's credentials cannot be masked reliably.
  throw Error(ErrorCode::kValidationFailed,
              fmt::format("database url scheme '{}' is not supported; use sqlite:PATH or postgres://…",
                          url.substr(0, url.find(':'))));
}

std::string mask_database_url(std::string_view url) {
  std::string out(url);
  if (!starts_with_any(url, kPostgresSchemes)) return out;
  std::size_t start = out.find("://") + 3;
  // The last '@' before the query string ends the user info, even if the password holds an '@'.
  std::size_t query = out.find('?', start);
  std::size_t at = out.rfind('@', query == std::string::npos ? std::string::npos : query);
  if (at != std::string::npos && at >= start) {
    std::size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  mask_query_password(out);
  return out;
}

}  // namespace tyto::storage
