#include "tyto/core/logging.hpp"

#include "tyto/core/time.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <unistd.h>

namespace tyto::log {
namespace {

constexpr std::size_t kMaxBacklog = 4 << 20;
constexpr std::size_t kEagerBytes = 256 << 10;
constexpr auto kFlushInterval = std::chrono::milliseconds(20);

std::atomic<Level> g_level{Level::kInfo};
thread_local std::string_view t_request_id;
thread_local std::string_view t_route;

// The writer: callers append whole lines to pending_ under mutex_; one thread swaps the buffer out
// and writes it, so the lock is held only for a memcpy.
class Writer {
 public:
  static Writer& instance() {
    static Writer* w = new Writer();  // never destroyed: logging works during static destruction
    return *w;
  }

  void push(std::string_view line, bool urgent) {
    std::unique_lock lock(mutex_);
    if (pending_.size() + line.size() > kMaxBacklog) {
      ++dropped_;
      return;
    }
    pending_.append(line);
    ++queued_;
    if (urgent || pending_.size() >= kEagerBytes) {
      wake_ = true;
      cv_.notify_one();
    }
  }

  void flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = queued_;
    wake_ = true;
    cv_.notify_one();
    done_cv_.wait(lock, [&] { return written_ >= target; });
  }

  void set_sink(std::function<void(std::string_view)> sink) {
    flush();
    std::lock_guard lock(sink_mutex_);
    sink_ = std::move(sink);
  }

 private:
  Writer() {
    std::thread([this] { run(); }).detach();
    std::atexit([] { Writer::instance().flush(); });
  }

  void run() {
    std::string batch;
    for (;;) {
      std::uint64_t upto;
      std::uint64_t dropped;
      {
        std::unique_lock lock(mutex_);
        // Batches: one write per interval unless a warning, a flush or a full buffer asks sooner.
        cv_.wait_for(lock, kFlushInterval, [&] { return wake_; });
        wake_ = false;
        batch.swap(pending_);
        upto = queued_;
        dropped = dropped_;
        dropped_ = 0;
      }
      if (dropped > 0) {
        batch += "{\"ts\":\"" + format_rfc3339(now_micros()) +
                 "\",\"level\":\"warn\",\"msg\":\"log lines dropped: stderr is not draining\",\"dropped\":" +
                 std::to_string(dropped) + "}\n";
      }
      if (!batch.empty()) emit(batch);
      batch.clear();
      {
        std::lock_guard lock(mutex_);
        written_ = upto;
      }
      done_cv_.notify_all();
    }
  }

  void emit(std::string_view data) {
    std::lock_guard lock(sink_mutex_);
    if (sink_) {
      sink_(data);
      return;
    }
    while (!data.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::string pending_;        // guarded by mutex_
  std::uint64_t queued_ = 0;   // guarded by mutex_
  std::uint64_t written_ = 0;  // guarded by mutex_
  std::uint64_t dropped_ = 0;  // guarded by mutex_
  bool wake_ = false;          // guarded by mutex_
  std::mutex sink_mutex_;
  std::function<void(std::string_view)> sink_;  // guarded by sink_mutex_
};

void append_value(std::string& out, const Field::Value& v) {
  if (auto s = std::get_if<std::string_view>(&v)) {
    append_json_string(out, *s);
  } else if (auto i = std::get_if<std::int64_t>(&v)) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, *i);
    out.append(buf, r.ptr);
  } else if (auto d = std::get_if<double>(&v)) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, *d);
    out.append(buf, r.ptr);
  } else if (auto b = std::get_if<bool>(&v)) {
    out.append(*b ? "true" : "false");
  } else if (auto j = std::get_if<const nlohmann::json*>(&v)) {
    out.append((*j)->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4;
  else
    return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) {
    return 0;  // overlong, surrogate or beyond U+10FFFF
  }
  return len;
}

// RFC 3339 with milliseconds; the part up to the second is formatted once per second per thread.
void append_timestamp(std::string& out) {
  thread_local std::int64_t cached_second = -1;
  thread_local std::string prefix;  // "2026-11-21T10:03:00."
  const std::int64_t micros = now_micros();
  const std::int64_t second = micros / 1000000;
  if (second != cached_second) {
    cached_second = second;
    prefix = format_rfc3339(second * 1000000);
    prefix.resize(prefix.size() - 4);  // drop "000Z"
  }
  out.append(prefix);
  const auto ms = static_cast<int>(micros / 1000 % 1000);
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) noexcept {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  return std::nullopt;
}

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

void set_level(Level level) noexcept { g_level.store(level, std::memory_order_relaxed); }
Level level() noexcept { return g_level.load(std::memory_order_relaxed); }
bool enabled(Level l) noexcept { return l != Level::kOff && l >= level(); }

void write(Level lvl, std::string_view msg, std::initializer_list<Field> fields) {
  if (!enabled(lvl)) return;
  thread_local std::string line;
  line.clear();
  line.append("{\"ts\":\"");
  append_timestamp(line);
  line.append("\",\"level\":\"");
  line.append(level_name(lvl));
  line.append("\",\"msg\":");
  append_json_string(line, msg);
  if (!t_request_id.empty()) {
    line.append(",\"request_id\":");
    append_json_string(line, t_request_id);
  }
  if (!t_route.empty()) {
    line.append(",\"route\":");
    append_json_string(line, t_route);
  }
  for (const Field& f : fields) {
    line.push_back(',');
    append_json_string(line, f.key);
    line.push_back(':');
    append_value(line, f.value);
  }
  line.append("}\n");
  Writer::instance().push(line, lvl >= Level::kWarn);
}

ScopedContext::ScopedContext(std::string_view request_id, std::string_view route) noexcept
    : saved_request_id_(t_request_id), saved_route_(t_route) {
  t_request_id = request_id;
  t_route = route;
}

ScopedContext::~ScopedContext() {
  t_request_id = saved_request_id_;
  t_route = saved_route_;
}

void flush() { Writer::instance().flush(); }

void set_sink(std::function<void(std::string_view)> sink) { Writer::instance().set_sink(std::move(sink)); }

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (std::size_t len = utf8_sequence_length(s, i)) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    } else {
      out.append("\\ufffd");
    }
    ++i;
  }
}

}  // namespace tyto::log
