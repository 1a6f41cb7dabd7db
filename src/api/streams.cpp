#include "tyto/api/streams.hpp"

#include "api/detail/event_stream.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
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

namespace tyto::api {
namespace {

namespace asio = boost::asio;
using detail::StreamEnd;
using detail::StreamIo;
using detail::StreamMessage;
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

// An error before the stream starts, as a WebSocket message, then close 1008.
asio::awaitable<void> refuse(http::WebSocket& ws, const json& envelope, const std::string& reason) {
  const std::string msg = json{{"type", "error"}, {"seq", 0}, {"data", envelope}}.dump();
  co_await ws.send(msg);
  co_await ws.close(1008, reason);
}

}  // namespace

struct Streams::Impl {
  Impl(events::Events& e, metrics::Registry& registry, StreamOptions o)
      : events(e),
        options(o),
        ws(registry.gauge("tyto_stream_connections", "Open event streams", {"kind"}).with({"websocket"})),
        sse(registry.gauge("tyto_stream_connections", "Open event streams", {"kind"}).with({"sse"})),
        too_slow(registry.counter("tyto_stream_too_slow_total", "Stream clients cut off for falling behind").with({})),
        refused(
            registry.counter("tyto_stream_refused_total", "Streams refused: too many open for one principal").with({})),
        slots(std::make_shared<StreamSlots>(o.per_principal, refused)) {}

  void bound(StreamIo& io) const {
    io.max_queue = options.queue_limit;
    io.max_queue_bytes = options.queue_bytes;
    io.send_timeout = options.send_timeout;
  }

  http::RouteOptions route_options(auth::Role role, bool websocket,
                                   std::size_t max_message = kMaxClientMessageBytes) const {
    http::RouteOptions o;
    o.role = role;
    o.admission = [s = slots](const Request& req) { return s->acquire(req); };
    if (websocket) o.max_body_bytes = max_message;
    return o;
  }

  // The source is taken by value: a coroutine must not hold a reference to its caller's temporary.
  asio::awaitable<void> websocket_stream(Request& req, http::WebSocket& ws, StreamSource source, std::int64_t cursor,
                                         std::shared_ptr<const StreamRoutes> routes = nullptr);
  asio::awaitable<void> sse_stream(Request& req, http::ResponseStream& out, const StreamResolver& resolve);

  events::Events& events;
  const StreamOptions options;
  metrics::Gauge& ws;
  metrics::Gauge& sse;
  metrics::Counter& too_slow;
  metrics::Counter& refused;
  std::shared_ptr<StreamSlots> slots;
};

// Streams the source's topic over a WebSocket: its snapshot first, then events. A second coroutine
// keeps a read pending (control frames, the client's close) and ends the stream when the client leaves.
asio::awaitable<void> Streams::Impl::websocket_stream(Request& req, http::WebSocket& socket, StreamSource source,
                                                      std::int64_t cursor, std::shared_ptr<const StreamRoutes> routes) {
  ws.inc();
  bool client_gone = false;
  bool reader_done = false;
  std::optional<json> refused;  // a client message the route's handler refused
  std::function<void()> waker;
  asio::co_spawn(
      socket.executor(),
      [&]() -> asio::awaitable<void> {
        while (auto message = co_await socket.receive()) {
          if (!routes || !routes->on_message) continue;
          try {
            routes->on_message(source, std::move(*message));
          } catch (const Error& e) {
            refused = e.envelope();
            break;
          } catch (const std::exception& e) {
            refused = error_envelope(ErrorCode::kInternal, "the message could not be handled");
            log::error("stream message handler failed", {{"topic", source.topic}, {"error", e.what()}});
            break;
          }
        }
        client_gone = true;
        if (waker) waker();
        reader_done = true;
      },
      asio::detached);

  if (source.snapshot) {
    const std::string first =
        json{{"type", "snapshot"}, {"seq", 0}, {"topic", source.topic}, {"data", *source.snapshot}}.dump();
    co_await socket.send(first);
  }
  StreamIo io;
  io.send = [&socket](const StreamMessage& m) -> asio::awaitable<bool> { co_return co_await socket.send(m.json); };
  io.blocking = [&socket](std::function<void()> fn) -> asio::awaitable<void> {
    co_await socket.blocking(std::move(fn));
  };
  io.abort = [&socket] { socket.abort(); };
  io.executor = socket.executor();
  bound(io);
  io.waker = &waker;
  const auto end =
      co_await detail::stream_events(events, source.tenant_id, source.topic, cursor, io, [&] { return client_gone; });

  if (refused) {
    const std::string msg = json{{"type", "error"}, {"seq", 0}, {"data", *refused}}.dump();
    co_await socket.send(msg);
    co_await socket.close(1008, "message refused");
  } else if (end == StreamEnd::kTooSlow) {
    too_slow.inc();
    bool closed = false;
    const std::string reason = "consumer too slow: fell too far behind or stopped reading";
    asio::co_spawn(
        socket.executor(),
        [&]() -> asio::awaitable<void> {
          co_await socket.close(1008, reason);
          closed = true;
        },
        asio::detached);
    if (!co_await wait_for(closed, std::chrono::seconds(1))) socket.abort();
    co_await wait_for(closed, std::chrono::seconds(5));
  } else if (end != StreamEnd::kClientGone) {
    const std::string reason = "stream ended";
    co_await socket.close(1000, reason);
  }
  if (!co_await wait_for(reader_done, std::chrono::seconds(2))) socket.abort();
  co_await wait_for(reader_done, std::chrono::seconds(10));
  if (routes && routes->on_close) {
    try {
      routes->on_close(source);
    } catch (const std::exception& e) {
      log::error("stream close handler failed", {{"topic", source.topic}, {"error", e.what()}});
    }
  }
  ws.dec();
  (void)req;
}

asio::awaitable<void> Streams::Impl::sse_stream(Request& req, http::ResponseStream& out,
                                                const StreamResolver& resolve) {
  const auto cursor = cursor_of(req);
  StreamSource source;
  co_await out.blocking([&] { source = resolve(req); });
  http::Headers headers;
  headers.set("Content-Type", "text/event-stream");
  headers.set("Cache-Control", "no-cache");
  headers.set("X-Accel-Buffering", "no");
  if (!co_await out.begin(200, headers)) co_return;
  sse.inc();
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
  bound(io);
  const auto end = co_await detail::stream_events(events, source.tenant_id, source.topic, cursor, io);
  if (end == StreamEnd::kTooSlow) too_slow.inc();
  sse.dec();
}

Streams::Streams(events::Events& events, metrics::Registry& registry, StreamOptions options)
    : impl_(std::make_shared<Impl>(events, registry, options)) {}

Streams::~Streams() = default;

void Streams::add(http::Router& router, StreamRoutes routes) {
  auto resolve = std::make_shared<StreamResolver>(routes.resolve);
  const bool bidirectional = static_cast<bool>(routes.on_message);
  const std::size_t max_message = bidirectional ? routes.max_message_bytes : kMaxClientMessageBytes;
  auto shared_routes = std::make_shared<const StreamRoutes>(routes);
  if (!routes.sse_path.empty()) {
    router.stream(
        Method::kGet, routes.sse_path,
        [impl = impl_, resolve](Request& req, http::ResponseStream& out) -> asio::awaitable<void> {
          co_await impl->sse_stream(req, out, *resolve);
        },
        {fmt::format("The events of {} as server-sent events (id: = event id; resume with Last-Event-ID)", routes.what),
         routes.tag, nullptr, nullptr, 200, "text/event-stream"},
        impl_->route_options(routes.role, false));
  }
  if (!routes.websocket_path.empty()) {
    router.websocket(
        routes.websocket_path,
        [impl = impl_, resolve, shared_routes](Request& req, http::WebSocket& ws) -> asio::awaitable<void> {
          std::int64_t cursor = 0;
          StreamSource source;
          std::optional<json> problem;
          std::string reason = "bad request";
          try {
            cursor = cursor_of(req);
            co_await ws.blocking([&] { source = (*resolve)(req); });
          } catch (const Error& e) {
            problem = e.envelope();
            if (e.code() == ErrorCode::kNotFound) {
              // Nothing about a resource that is not the caller's, not even the id it was asked by.
              problem = error_envelope(e.code(), e.what());
              reason = e.what();
            }
          }
          if (problem) {
            co_await refuse(ws, *problem, reason.substr(0, 120));
            co_return;
          }
          co_await impl->websocket_stream(req, ws, std::move(source), cursor, shared_routes);
        },
        {fmt::format("WebSocket{}: a snapshot of {}, then its events ({{type, seq, topic, time, data}}); ?after= "
                     "resumes",
                     bidirectional ? " (bidirectional: the client sends too)" : "", routes.what),
         routes.tag},
        impl_->route_options(routes.role, true, max_message));
  }
}

void Streams::add_topic_route(http::Router& router) {
  router.websocket(
      "/ws/events",
      [impl = impl_](Request& req, http::WebSocket& ws) -> asio::awaitable<void> {
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
          co_await refuse(ws, error_envelope(ErrorCode::kValidationFailed, *problem), "bad request");
          co_return;
        }
        StreamSource source{req.who().tenant_id, topic, std::nullopt};
        co_await impl->websocket_stream(req, ws, std::move(source), cursor);
      },
      {"WebSocket: the events of one topic (?topic=job:<id>&after=<seq>)", "events"},
      impl_->route_options(auth::Role::kViewer, true));
}

}  // namespace tyto::api
