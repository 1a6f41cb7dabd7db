// One WebSocket connection to a Chromium browser's DevTools endpoint, in flat session mode: commands
// for every page travel over it, tagged with their sessionId.
//
// The connection owns an I/O thread that reads messages and writes queued commands. call() blocks the
// calling thread (never the I/O thread) until the answer arrives or the timeout passes; post() queues
// a command without waiting (for event handlers, which run on the I/O thread and must not block).
//
// Errors: call() throws CdpError for an error answer, Error(kTimeout) when no answer came in time and
// Error(kUnavailable) when the connection is (or becomes) closed.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "tyto/core/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tyto::browser::detail {

// An error answer to a DevTools command ({"error": {"code", "message"}}).
class CdpError : public Error {
 public:
  CdpError(std::string method, int cdp_code, std::string message);
  int cdp_code() const noexcept { return cdp_code_; }

 private:
  int cdp_code_;
};

class CdpConnection {
 public:
  // Called on the I/O thread with an event's method and params. Must not block.
  using EventHandler = std::function<void(const std::string& method, const nlohmann::json& params)>;

  // Connects to ws://127.0.0.1:port/path. Throws Error(kUnavailable) when that fails within timeout.
  CdpConnection(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout);
  ~CdpConnection();  // closes the socket and joins the I/O thread
  CdpConnection(const CdpConnection&) = delete;
  CdpConnection& operator=(const CdpConnection&) = delete;

  // Sends a command and returns its result object. session: empty for the browser target.
  nlohmann::json call(std::string_view method, nlohmann::json params, std::string_view session,
                      std::chrono::milliseconds timeout);
  // Sends a command and ignores its answer.
  void post(std::string_view method, nlohmann::json params, std::string_view session);

  // Events of one session ("" for the browser target) go to handler, until unsubscribed. One per session.
  void subscribe(const std::string& session, EventHandler handler);
  void unsubscribe(const std::string& session);

  bool open() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tyto::browser::detail
