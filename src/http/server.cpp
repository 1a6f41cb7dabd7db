#include "tyto/http/server.hpp"

#include "http/detail/server_state.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <array>
#include <csignal>
#include <thread>

#include <malloc.h>
#include <pthread.h>

namespace tyto::http {

using namespace detail;

detail::ServerState::ServerState(const HttpConfig& c, Router& r, metrics::Registry& reg)
    : config(c),
      router(r),
      cors(c),
      requests_total(reg.counter("tyto_http_requests_total", "HTTP requests served, by route, method and status",
                                 {"route", "method", "status"})),
      request_duration(reg.histogram("tyto_http_request_duration_seconds",
                                     "Time from a request's last header byte to its response written",
                                     {"route", "method"})),
      in_flight(reg.gauge("tyto_http_requests_in_flight", "HTTP requests being handled").with({})),
      connections_gauge(reg.gauge("tyto_http_connections", "Open HTTP and WebSocket connections").with({})),
      connections_total(reg.counter("tyto_http_connections_total", "Connections accepted").with({})),
      protocol_errors(
          reg.counter("tyto_http_protocol_errors_total", "Malformed or oversized requests rejected").with({})),
      connections_refused(reg.counter("tyto_http_connections_refused_total",
                                      "Connections and requests refused with 503 overloaded, by the limit reached",
                                      {"limit"})) {}

class Server::Impl {
 public:
  Impl(const HttpConfig& config, Router& router, metrics::Registry& registry) : state_(config, router, registry) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int io = config.io_threads > 0 ? config.io_threads : static_cast<int>(cores);
    const int blocking =
        config.blocking_threads > 0 ? config.blocking_threads : static_cast<int>(std::max(4u, 2 * cores));
    for (int i = 0; i < io; ++i) loops_.push_back(std::make_unique<Loop>());
    state_.blocking_pool = std::make_unique<asio::thread_pool>(blocking);
    state_.commit_pool = std::make_unique<asio::thread_pool>(config.commit_threads > 0 ? config.commit_threads : 64);
  }

  ServerState& state() { return state_; }

  void listen() {
    if (acceptor_) return;
    const auto address = asio::ip::make_address(state_.config.host);
    const tcp::endpoint endpoint(address, state_.config.port);
    acceptor_ = std::make_unique<tcp::acceptor>(loops_[0]->ctx);
    boost::system::error_code ec;
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.reset();
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("cannot listen on {}:{}: {}", state_.config.host, state_.config.port, ec.message()));
    }
    port_ = acceptor_->local_endpoint().port();
  }

  void start() {
    listen();
    // The route table is final from here on.
    for (const auto& route : state_.router.routes()) {
      state_.route_metrics[route.get()].duration =
          &state_.request_duration.with({route->pattern, method_name(route->method)});
    }
    state_.unmatched_metrics.duration = &state_.request_duration.with({"unmatched", "any"});
    const std::size_t open_files = raise_open_file_limit();
    const std::size_t max_connections =
        state_.config.max_connections > 0 ? state_.config.max_connections : automatic_max_connections(open_files);
    state_.limiter = std::make_unique<ConnectionLimiter>(max_connections, state_.config.max_connections_per_address);
    refused_server_ = overloaded_http_response("connections");
    refused_address_ = overloaded_http_response("connections_per_address");
    log::info("connection limits", {{"max_connections", max_connections},
                                    {"max_connections_per_address", state_.config.max_connections_per_address},
                                    {"monitoring_reserve", ConnectionLimiter::kMonitoringReserve},
                                    {"open_file_limit", open_files}});
    asio::co_spawn(loops_[0]->ctx, accept_loop(), asio::detached);
    for (auto& loop : loops_) {
      asio::co_spawn(loop->ctx, sweep(*loop), asio::detached);
      threads_.emplace_back([&ctx = loop->ctx] { ctx.run(); });
    }
    started_ = true;
  }

  void stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    state_.stopping = true;
    const auto open_at_stop = state_.open_connections.load();
    asio::post(loops_[0]->ctx, [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
    for (auto& loop : loops_) asio::post(loop->ctx, [l = loop.get()] { close_connections(*l, /*idle_only=*/true); });

    const auto deadline = Clock::now() + state_.config.shutdown_timeout;
    while (state_.open_connections.load() > 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto left = state_.open_connections.load();
    for (auto& loop : loops_) asio::post(loop->ctx, [l = loop.get()] { close_connections(*l, /*idle_only=*/false); });
    for (auto& loop : loops_) asio::post(loop->ctx, [l = loop.get()] { l->sweep_timer.cancel(); });
    // Give the closed connections' coroutines a moment to unwind before the loops stop.
    const auto unwind_deadline = Clock::now() + std::chrono::seconds(2);
    while (state_.open_connections.load() > 0 && Clock::now() < unwind_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& loop : loops_) loop->ctx.stop();
    for (auto& t : threads_) t.join();
    // Replies of deferred routes post to the loops' contexts, which end with the server: wait for them all.
    while (state_.deferred_in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    state_.blocking_pool->join();
    state_.commit_pool->join();
    log::info("http server stopped", {{"connections_at_stop", open_at_stop}, {"closed_at_deadline", left}});
  }

  std::uint16_t port() const noexcept { return port_; }
  std::size_t open_connections() const noexcept { return state_.open_connections.load(); }

 private:
  static void close_connections(Loop& loop, bool idle_only) {
    // Copy: closing may let a coroutine finish and unregister itself while we iterate.
    std::vector<Connection*> conns(loop.connections.begin(), loop.connections.end());
    for (Connection* c : conns) {
      if (idle_only && !c->idle && !c->on_shutdown) continue;  // long-lived streams close at once
      if (c->on_shutdown) {
        c->on_shutdown();
      } else if (c->socket) {
        boost::system::error_code ignored;
        c->socket->shutdown(tcp::socket::shutdown_both, ignored);
        c->socket->close(ignored);
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    for (;;) {
      Loop& loop = *loops_[next++ % loops_.size()];
      boost::system::error_code ec;
      tcp::socket socket(loop.ctx);
      co_await acceptor_->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: back off briefly instead of spinning.
        log::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(loops_[0]->ctx, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const auto remote = socket.remote_endpoint(ec);
      if (ec) continue;  // already gone
      auto [verdict, ticket] = state_.limiter->admit(remote.address());
      if (verdict == ConnectionLimiter::Verdict::kRefuseServer ||
          verdict == ConnectionLimiter::Verdict::kRefuseAddress) {
        const bool server_full = verdict == ConnectionLimiter::Verdict::kRefuseServer;
        state_.connections_refused.with({server_full ? "connections" : "connections_per_address"}).inc();
        refuse(loop, std::move(socket), server_full ? refused_server_ : refused_address_);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      state_.connections_total.inc();
      // The completion handler owns the ticket, so the count is released however the coroutine ends.
      asio::co_spawn(
          loop.ctx,
          serve_connection(state_, loop, std::move(socket), verdict == ConnectionLimiter::Verdict::kMonitoringOnly),
          [t = std::move(ticket)](const std::exception_ptr&) {});
    }
  }

  // Answers 503 at once instead of leaving the client in the backlog. Refusals waiting to close are
  // bounded too: past kMaxRefusing the socket is closed without an answer.
  void refuse(Loop& loop, tcp::socket socket, const std::string& response) {
    if (refusing_.fetch_add(1) >= kMaxRefusing) {
      refusing_.fetch_sub(1);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    asio::co_spawn(loop.ctx, linger_close(loop, std::move(socket), response), asio::detached);
  }

  // Writes the answer, then reads and drops what the client still sends until it closes (or the sweep
  // does, after kRefuseLinger): closing with unread request bytes would send a reset that can destroy
  // the answer before the client reads it.
  asio::awaitable<void> linger_close(Loop& loop, tcp::socket socket, const std::string& response) {
    Connection conn;
    conn.socket = &socket;
    conn.expire_after(kRefuseLinger);
    loop.connections.insert(&conn);
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(response), tuple); !ec) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      std::array<char, 1024> sink;
      for (;;) {
        auto [rec, got] = co_await socket.async_read_some(asio::buffer(sink), tuple);
        if (rec) break;
      }
    }
    loop.connections.erase(&conn);
    boost::system::error_code ignored;
    socket.close(ignored);
    refusing_.fetch_sub(1);
  }

  // Closes connections whose deadline passed. The deadline is a plain number per connection, so
  // a request costs no timer operation; the price is up to one tick of slack.
  asio::awaitable<void> sweep(Loop& loop) {
    const auto tick = std::clamp(std::min(state_.config.idle_timeout, state_.config.read_timeout) / 10,
                                 std::chrono::milliseconds(20), std::chrono::milliseconds(500));
    for (;;) {
      loop.sweep_timer.expires_after(tick);
      boost::system::error_code ec;
      co_await loop.sweep_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || (state_.stopping && state_.open_connections.load() == 0)) co_return;
      if (&loop == loops_[0].get()) maybe_trim_memory();
      const auto now = Clock::now().time_since_epoch().count();
      for (Connection* c : loop.connections) {
        if (c->socket && c->deadline.load(std::memory_order_relaxed) < now) {
          c->clear_deadline();
          boost::system::error_code ignored;
          c->socket->shutdown(tcp::socket::shutdown_both, ignored);
          c->socket->close(ignored);
        }
      }
    }
  }

  // After many connections closed (a storm of clients cut off, say), hands the memory they held back
  // to the OS: glibc keeps freed memory in its arenas otherwise, and RSS would stay at its peak.
  void maybe_trim_memory() {
    const std::size_t open = state_.limiter->open();
    peak_open_ = std::max(peak_open_, open);
    const auto now = Clock::now();
    if (now - last_trim_ < kTrimInterval || peak_open_ < open + kTrimAfterClosed) return;
    last_trim_ = now;
    peak_open_ = open;
#if defined(__GLIBC__)
    asio::post(*state_.blocking_pool, [] { malloc_trim(0); });  // walks every arena: not on an I/O thread
#endif
  }

  static constexpr std::size_t kMaxRefusing = 256;
  static constexpr std::chrono::milliseconds kRefuseLinger{1000};
  static constexpr std::size_t kTrimAfterClosed = 64;
  static constexpr std::chrono::seconds kTrimInterval{5};

  ServerState state_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::string refused_server_, refused_address_;  // canned 503 answers, made at start
  std::atomic<std::size_t> refusing_{0};          // refused connections not yet closed
  std::size_t peak_open_ = 0;                     // loop 0's sweep only
  Clock::time_point last_trim_{};
};

Server::Server(const HttpConfig& config, Router& router, metrics::Registry& registry, Authenticator* authenticator)
    : impl_(std::make_unique<Impl>(config, router, registry)) {
  impl_->state().authenticator = authenticator;
}

Server::~Server() { stop(); }

void Server::listen() { impl_->listen(); }

void Server::start() { impl_->start(); }

std::uint16_t Server::port() const noexcept { return impl_->port(); }

void Server::stop() { impl_->stop(); }

std::size_t Server::open_connections() const noexcept { return impl_->open_connections(); }

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void Server::block_shutdown_signals() {
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void Server::wait_for_signal() {
  const sigset_t set = shutdown_signals();
  int sig = 0;
  sigwait(&set, &sig);
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  // A second signal while draining ends the process at once.
  std::thread([set]() mutable {
    int again = 0;
    sigwait(&set, &again);
    log::warn("second signal: exiting without waiting");
    log::flush();
    std::_Exit(1);
  }).detach();
  stop();
}

}  // namespace tyto::http
