// Structured logging: one JSON object per line on stderr.
//
//   {"ts":"2026-11-21T10:03:00.123Z","level":"info","msg":"listening","request_id":"…","port":8080}
//
// Lines are formatted on the calling thread and handed to one writer thread, which writes them in
// batches, so an I/O thread never blocks on a slow stderr. Warnings and errors wake the writer at
// once; flush() blocks until everything queued so far is written. If stderr stops draining, lines
// past a bounded backlog (4 MiB) are dropped and the drop is counted and reported.
//
// The request id and route of the request being served are added to every line logged while a
// ScopedContext is alive on the thread, so code below the HTTP layer need not pass them around.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tyto::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

std::optional<Level> parse_level(std::string_view name) noexcept;  // "trace" … "error", "off"
std::string_view level_name(Level level) noexcept;

void set_level(Level level) noexcept;
Level level() noexcept;
bool enabled(Level level) noexcept;

// A key and a value for one line. Values are borrowed: they must outlive the call.
struct Field {
  using Value = std::variant<std::string_view, std::int64_t, double, bool, const nlohmann::json*>;
  std::string_view key;
  Value value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, long v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, long long v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, const nlohmann::json& v) : key(k), value(&v) {}
};

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void trace(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kTrace, msg, f); }
inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kDebug, msg, f); }
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kInfo, msg, f); }
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kWarn, msg, f); }
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kError, msg, f); }

// Sets the request context of this thread until destroyed; the views must outlive the object.
class ScopedContext {
 public:
  ScopedContext(std::string_view request_id, std::string_view route) noexcept;
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  std::string_view saved_request_id_;
  std::string_view saved_route_;
};

// Blocks until every line queued before the call has been written.
void flush();

// Replaces stderr as the destination of finished lines (tests). Pass nullptr to restore stderr.
// The sink is called on the writer thread with one or more whole lines.
void set_sink(std::function<void(std::string_view lines)> sink);

// Appends s to out as the body of a JSON string (without quotes): escapes quotes, backslashes and
// control characters, and replaces invalid UTF-8 with U+FFFD, so every line stays valid JSON.
void append_json_escaped(std::string& out, std::string_view s);
// The same between quotes: a whole JSON string.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tyto::log
