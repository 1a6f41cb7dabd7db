// State shared by the server's accept loop and its connection coroutines. Private to tyto_http.
#pragma once

#include "http/detail/connection_limits.hpp"
#include "http/detail/cors.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace tyto::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One connection as its event loop sees it. Touched only on the loop's thread, except `deadline`,
// which a connection also clears while its handler runs on the blocking pool.
struct Connection {
  static constexpr std::int64_t kNoDeadline = INT64_MAX;

  tcp::socket* socket = nullptr;                    // the lowest layer, for closing
  std::atomic<std::int64_t> deadline{kNoDeadline};  // steady-clock ns; the sweep closes it after this
  bool idle = true;                                 // waiting for the next request: closed at shutdown
  std::function<void()> on_shutdown;                // set by long-lived WebSocket and SSE connections: close at once

  void expire_after(std::chrono::milliseconds d) {
    deadline.store((Clock::now() + d).time_since_epoch().count(), std::memory_order_relaxed);
  }
  void clear_deadline() { deadline.store(kNoDeadline, std::memory_order_relaxed); }
};

// One I/O thread: its own io_context (no cross-thread locking on sockets), its connections, and a
// timer that closes connections whose deadline passed.
struct Loop {
  std::unordered_set<Connection*> connections;
  // tyto_http_requests_total counters by (route, method, status), so a request costs no label lookup.
  std::unordered_map<std::uint64_t, metrics::Counter*> status_counters;
  // Declared last, destroyed first: destroying the context destroys suspended connection
  // coroutines, whose clean-up still uses the members above.
  asio::io_context ctx{1};
  asio::steady_timer sweep_timer{ctx};
};

// Per-route metrics, looked up once at start.
struct RouteMetrics {
  metrics::Histogram* duration = nullptr;
};

struct ServerState {
  ServerState(const HttpConfig& c, Router& r, metrics::Registry& reg);

  const HttpConfig config;
  Router& router;
  Authenticator* authenticator = nullptr;  // null: no authentication (HTTP-layer tests)
  CorsPolicy cors;
  std::unique_ptr<asio::thread_pool> blocking_pool;
  std::unique_ptr<asio::thread_pool> commit_pool;  // RunOn::kCommitPool
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> deferred_in_flight{0};  // RouteOptions::deferred requests not yet replied to

  metrics::Family<metrics::Counter>& requests_total;
  metrics::Family<metrics::Histogram>& request_duration;
  metrics::Gauge& in_flight;
  metrics::Gauge& connections_gauge;
  metrics::Counter& connections_total;
  metrics::Counter& protocol_errors;
  std::unordered_map<const Route*, RouteMetrics> route_metrics;  // read-only after start
  RouteMetrics unmatched_metrics;

  std::unique_ptr<ConnectionLimiter> limiter;              // made at start, once the open-file limit is raised
  metrics::Family<metrics::Counter>& connections_refused;  // by limit: connections, connections_per_address, …
};

// Runs fn on the blocking pool and resumes on the caller's executor; rethrows what fn throws.
asio::awaitable<void> run_blocking(ServerState& state, std::function<void()> fn);

// Serves one accepted connection until it closes. Runs on `loop`'s thread. A monitoring_only
// connection (one of the reserve above http.max_connections) serves monitoring routes only and answers
// anything else with 503 overloaded.
asio::awaitable<void> serve_connection(ServerState& state, Loop& loop, tcp::socket socket,
                                       bool monitoring_only = false);

// The response for an error a handler (or authentication) threw: the envelope, Retry-After for
// rate limits, WWW-Authenticate for 401. Internal errors are logged and answered without detail.
Response response_for(const Error& e);

// Authenticates req for route (unless public), checks the route's role and applies rate limits;
// sets req.principal. Throws Error (401, 403, 429). Blocking: call it on the blocking pool.
void authorize(ServerState& state, const Route& route, Request& req);

}  // namespace tyto::http::detail
