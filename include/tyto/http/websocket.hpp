// A WebSocket connection as a route handler sees it (see Router::websocket).
//
// The server performs the upgrade inside the connection's own coroutine, then calls the handler,
// which reads and writes through this interface and returns when it is done; the server closes the
// connection afterwards. Ping/pong keep-alive and the idle timeout are handled underneath: a peer
// that stops answering pings is dropped and receive() returns nullopt.
//
// Thread-safety: all calls must be made from the handler's coroutine (one reader, one writer at a
// time). Messages from other threads are handed over through the handler's own queue (bounded, so
// a slow consumer cannot grow the server's memory).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tyto::http {

class WebSocket {
 public:
  virtual ~WebSocket() = default;

  // The next text or binary message; nullopt once the peer closed or the connection failed.
  virtual boost::asio::awaitable<std::optional<std::string>> receive() = 0;

  // Sends one text message. Returns false if the connection is gone.
  virtual boost::asio::awaitable<bool> send(std::string_view text) = 0;

  // Sends a close frame with a code (RFC 6455 §7.4, e.g. 1000 normal, 1008 policy, 1013 try later)
  // and a short reason.
  virtual boost::asio::awaitable<void> close(int code, std::string_view reason) = 0;

  virtual boost::asio::any_io_executor executor() = 0;

  // Runs fn on the blocking pool (database reads) and resumes on this connection's thread;
  // rethrows what fn throws.
  virtual boost::asio::awaitable<void> blocking(std::function<void()> fn) = 0;

  // Closes the TCP connection at once, failing pending reads and writes (a consumer too slow to
  // take a close frame). Call on executor().
  virtual void abort() = 0;

  // Largest message accepted from the peer; larger closes the connection (1009).
  static constexpr std::size_t kMaxMessageBytes = 1 << 20;
};

}  // namespace tyto::http
