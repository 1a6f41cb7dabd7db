// The HTTP + WebSocket server (Boost.Beast on Asio C++20 coroutines).
//
// Threads: `io_threads` event loops, each with its own io_context, own the connections (one
// coroutine per connection, keep-alive, WebSocket upgrade in the same coroutine). Handlers run on
// a separate blocking pool unless their route says RunOn::kIoThread. Nothing else runs on an I/O
// thread.
//
// Limits: request line + headers up to max_header_bytes (else 431 and close), bodies up to the
// route's or the server's limit (else 413 and close), a read timeout once a request has started, an
// idle timeout between requests, a write timeout per response. A malformed request gets 400 and the
// connection is closed. Every error response uses the envelope of core/error.hpp.
//
// Every response carries X-Request-Id (the client's if well-formed, else a new UUIDv7). Every
// request is counted in metrics and, when enabled, logged as one access-log line.
//
// Shutdown: stop() (or SIGTERM/SIGINT through wait_for_signal) stops accepting, closes idle
// connections, lets in-flight requests finish until shutdown_timeout, then closes the rest.
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/router.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace tyto::http {

class Server {
 public:
  // The router, registry and authenticator must outlive the server. Without an authenticator (tests of
  // the HTTP layer alone) no route is authenticated; Tyto itself always passes one.
  Server(const HttpConfig& config, Router& router, metrics::Registry& registry, Authenticator* authenticator = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket without accepting yet, so a caller can fail before it starts anything
  // else. Throws Error(kUnavailable) if the address cannot be bound. Idempotent.
  void listen();

  // Binds (unless listen() did) and starts the I/O threads. Throws Error(kUnavailable) if the address
  // cannot be bound.
  void start();

  // The bound port (useful with port 0). Valid after listen() or start().
  std::uint16_t port() const noexcept;

  // Graceful stop as described above; blocks until every I/O thread has finished. Idempotent.
  void stop();

  // Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards, so that
  // wait_for_signal() receives them. Call before start() (before any thread is started).
  static void block_shutdown_signals();

  // Waits for SIGTERM or SIGINT, then stop(). A second signal while draining exits at once.
  void wait_for_signal();

  // Connections currently open (HTTP and WebSocket).
  std::size_t open_connections() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::http
