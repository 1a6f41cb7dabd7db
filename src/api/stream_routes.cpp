#include "api/detail/stream_routes.hpp"
#include "api/detail/event_stream.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/websocket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <mutex>
#include <unordered_map>

namespace tyto::api::detail {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using nlohmann::json;

std::int64_t cursor_of(const Request& req) {
  std::optional<std::string> text = req.query("after");
  if (!text) {
    if (auto h = req.headers.get("Last-Event-ID")) text = std::string(*h);
  }
  if (!text || text->empty()) return 0;
  try {
    std::size_t used = 0;
    const auto v = std::stoll(*text, &used);
    if (used == text->size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  throw validation_error("bad event cursor", {{"after", "a non-negative event id"}});
}

// Polls `done` every 10 ms for up to `limit`.
asio::awaitable<bool> wait_for(const bool& done, std::chrono::milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return done;
}

struct StreamMetrics {
  metrics::Gauge& ws;
  metrics::Gauge& sse;
  metrics::Counter& too_slow;
  metrics::Counter& refused;
};

// Open streams per principal (user or API key), so one credential cannot hold the server's memory
// and descriptors with thousands of streams. Thread-safe.
class StreamSlots : public std::enable_shared_from_this<StreamSlots> {
 public:
  StreamSlots(std::size_t limit, metrics::Counter& refused) : limit_(limit), refused_(refused) {}

  // RouteOptions::admission: a slot held until the stream's connection ends, or 429 too_many_streams.
  std::shared_ptr<void> acquire(const Request& req) {
    if (limit_ == 0 || !req.principal) return nullptr;
    std::string key = req.principal->tenant_id + "/" + req.principal->actor();
    {
      std::lock_guard lock(mutex_);
      auto& n = open_[key];
      if (n >= limit_) {
        refused_.inc();
        throw Error(ErrorCode::kTooManyStreams, "this credential has as many event streams open as allowed",
                    {{"limit", limit_}, {"retry_after_s", 5}});
      }
      ++n;
    }
    return std::make_shared<Slot>(shared_from_this(), std::move(key));
  }

 private:
  struct Slot {
    Slot(std::shared_ptr<StreamSlots> s, std::string k) : slots(std::move(s)), key(std::move(k)) {}
    ~Slot() { slots->release(key); }
    std::shared_ptr<StreamSlots> slots;
    std::string key;
  };

  void release(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(key);
    if (it != open_.end() && --it->second == 0) open_.erase(it);
  }

  const std::size_t limit_;
  metrics::Counter& refused_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;  // guarded by mutex_
};

// Clients send nothing on event streams but control frames; a small limit bounds a read's buffer.
constexpr std::size_t kMaxClientMessageBytes = 4096;

void bound(StreamIo& io, const JobsDeps& d) {
  io.max_queue = d.stream_queue_limit;
  io.max_queue_bytes = d.stream_queue_bytes;
  io.send_timeout = d.stream_send_timeout;
}

// Streams `topic` over a WebSocket: optional snapshot first, then events. A second coroutine keeps
// a read pending (control frames, the client's close) and ends the stream when the client leaves.
asio::awaitable<void> websocket_stream(const JobsDeps& d, StreamMetrics& m, Request& req, http::WebSocket& ws,
                                       std::string topic, std::optional<json> snapshot, std::int64_t cursor) {
  m.ws.inc();
  bool client_gone = false;
  bool reader_done = false;
  std::function<void()> waker;
  asio::co_spawn(
      ws.executor(),
      [&]() -> asio::awaitable<void> {
        while (co_await ws.receive()) {
        }
        client_gone = true;
        if (waker) waker();
        reader_done = true;
      },
      asio::detached);

  if (snapshot) {
    const std::string first = json{{"type", "snapshot"}, {"seq", 0}, {"topic", topic}, {"data", *snapshot}}.dump();
    co_await ws.send(first);
  }
  StreamIo io;
  io.send = [&ws](const StreamMessage& m) -> asio::awaitable<bool> { co_return co_await ws.send(m.json); };
  io.blocking = [&ws](std::function<void()> fn) -> asio::awaitable<void> { co_await ws.blocking(std::move(fn)); };
  io.abort = [&ws] { ws.abort(); };
  io.executor = ws.executor();
  bound(io, d);
  io.waker = &waker;
  const auto end =
      co_await stream_events(d.events, req.who().tenant_id, topic, cursor, io, [&] { return client_gone; });

  if (end == StreamEnd::kTooSlow) {
    m.too_slow.inc();
    bool closed = false;
    const std::string reason = "consumer too slow: fell too far behind or stopped reading";
    asio::co_spawn(
        ws.executor(),
        [&]() -> asio::awaitable<void> {
          co_await ws.close(1008, reason);
          closed = true;
        },
        asio::detached);
    if (!co_await wait_for(closed, std::chrono::seconds(1))) ws.abort();
    co_await wait_for(closed, std::chrono::seconds(5));
  } else if (end != StreamEnd::kClientGone) {
    const std::string reason = "stream ended";
    co_await ws.close(1000, reason);
  }
  if (!co_await wait_for(reader_done, std::chrono::seconds(2))) ws.abort();
  co_await wait_for(reader_done, std::chrono::seconds(10));
  m.ws.dec();
}

asio::awaitable<void> sse_stream(const JobsDeps& d, StreamMetrics& m, Request& req, http::ResponseStream& out) {
  const auto cursor = cursor_of(req);
  std::optional<jobs::Job> job;
  co_await out.blocking([&] { job = d.store.get(req.who().tenant_id, req.param("id")); });
  if (!job) throw Error(ErrorCode::kNotFound, "no such job", {{"id", std::string(req.param("id").substr(0, 64))}});
  http::Headers headers;
  headers.set("Content-Type", "text/event-stream");
  headers.set("Cache-Control", "no-cache");
  headers.set("X-Accel-Buffering", "no");
  if (!co_await out.begin(200, headers)) co_return;
  m.sse.inc();
  StreamIo io;
  io.send = [&out](const StreamMessage& m) -> asio::awaitable<bool> {
    const std::string msg = fmt::format("id: {}\nevent: {}\ndata: {}\n\n", m.id, m.type, m.json);
    co_return co_await out.write(msg);
  };
  io.blocking = [&out](std::function<void()> fn) -> asio::awaitable<void> { co_await out.blocking(std::move(fn)); };
  io.abort = [&out] { out.abort(); };
  io.keep_alive = [&out]() -> asio::awaitable<bool> {
    const std::string comment = ": keep-alive\n\n";
    co_return co_await out.write(comment);
  };
  io.executor = out.executor();
  bound(io, d);
  const auto end = co_await stream_events(d.events, job->tenant_id, jobs::job_topic(job->id), cursor, io);
  if (end == StreamEnd::kTooSlow) m.too_slow.inc();
  m.sse.dec();
}

}  // namespace

void add_stream_routes(http::Router& router, const JobsDeps& deps) {
  auto d = std::make_shared<JobsDeps>(deps);
  auto m = std::make_shared<StreamMetrics>(StreamMetrics{
      deps.registry.gauge("tyto_stream_connections", "Open event streams", {"kind"}).with({"websocket"}),
      deps.registry.gauge("tyto_stream_connections", "Open event streams", {"kind"}).with({"sse"}),
      deps.registry.counter("tyto_stream_too_slow_total", "Stream clients cut off for falling behind").with({}),
      deps.registry.counter("tyto_stream_refused_total", "Streams refused: too many open for one principal").with({})});
  auto slots = std::make_shared<StreamSlots>(deps.streams_per_principal, m->refused);
  http::RouteOptions stream_options;
  stream_options.admission = [slots](const Request& req) { return slots->acquire(req); };
  http::RouteOptions websocket_options = stream_options;
  websocket_options.max_body_bytes = kMaxClientMessageBytes;

  router.stream(
      Method::kGet, "/api/v1/jobs/{id}/events",
      [d, m](Request& req, http::ResponseStream& out) -> asio::awaitable<void> {
        co_await sse_stream(*d, *m, req, out);
      },
      {"A job's events as server-sent events (id: = event id; resume with Last-Event-ID)", "jobs", nullptr, nullptr,
       200, "text/event-stream"},
      stream_options);

  router.websocket(
      "/ws/jobs/{id}",
      [d, m](Request& req, http::WebSocket& ws) -> asio::awaitable<void> {
        std::int64_t cursor = 0;
        std::optional<jobs::Job> job;
        std::optional<std::string> problem;
        try {
          cursor = cursor_of(req);
          co_await ws.blocking([&] { job = d->store.get(req.who().tenant_id, req.param("id")); });
          if (!job) problem = error_envelope(ErrorCode::kNotFound, "no such job").dump();
        } catch (const Error& e) {
          problem = e.envelope().dump();
        }
        if (problem) {
          const std::string msg = json{{"type", "error"}, {"seq", 0}, {"data", json::parse(*problem)}}.dump();
          co_await ws.send(msg);
          const std::string reason = "no such job";
          co_await ws.close(1008, reason);
          co_return;
        }
        co_await websocket_stream(*d, *m, req, ws, jobs::job_topic(job->id), job->to_json(), cursor);
      },
      {"WebSocket: a job's snapshot, then its events ({type, seq, topic, time, data}); ?after= resumes", "jobs"},
      websocket_options);

  router.websocket(
      "/ws/events",
      [d, m](Request& req, http::WebSocket& ws) -> asio::awaitable<void> {
        std::int64_t cursor = 0;
        std::string topic = req.query("topic").value_or("");
        std::optional<std::string> problem;
        try {
          cursor = cursor_of(req);
          if (topic.empty() || topic.size() > 200) problem = "topic is required (1-200 characters)";
        } catch (const Error& e) {
          problem = e.what();
        }
        if (problem) {
          const std::string msg =
              json{{"type", "error"}, {"seq", 0}, {"data", error_envelope(ErrorCode::kValidationFailed, *problem)}}
                  .dump();
          co_await ws.send(msg);
          const std::string reason = "bad request";
          co_await ws.close(1008, reason);
          co_return;
        }
        co_await websocket_stream(*d, *m, req, ws, topic, std::nullopt, cursor);
      },
      {"WebSocket: the events of one topic (?topic=job:<id>&after=<seq>)", "events"}, websocket_options);
}

}  // namespace tyto::api::detail
