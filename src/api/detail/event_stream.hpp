// Delivers one topic's events to one client (WebSocket or SSE): backlog after the client's cursor,
// then live events, with no gap and no duplicate, through a bounded queue. Private to tyto_api.
#pragma once

#include "tyto/events/events.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tyto::api::detail {

// One event as streams send it, serialized once: every subscriber queues the same shared copy.
struct StreamMessage {
  std::int64_t id = 0;
  std::string type;
  std::string json;  // Event::to_json(), dumped
};
using SharedMessage = std::shared_ptr<const StreamMessage>;

// The message for e. Delivery hands one event to every subscriber of its topic in turn on one thread,
// so the last message made on this thread is reused while the id matches.
SharedMessage shared_message(const events::Event& e);

struct StreamIo {
  // Sends one event; false when the client is gone.
  std::function<boost::asio::awaitable<bool>(const StreamMessage&)> send;
  // Runs fn on the blocking pool.
  std::function<boost::asio::awaitable<void>(std::function<void()>)> blocking;
  // Closes the connection at once (a consumer too slow even for a close frame).
  std::function<void()> abort;
  // Sends a keep-alive when nothing was sent for a while (SSE comments); may be empty.
  std::function<boost::asio::awaitable<bool>()> keep_alive;
  boost::asio::any_io_executor executor;
  // Filled while streaming with a function that wakes the stream (so it re-checks `stop`); call it on
  // the executor. Optional.
  std::function<void()>* waker = nullptr;
  // What a slow client may fall behind (events queued or being sent) before it is cut off: both bound.
  std::size_t max_queue = 1000;
  std::size_t max_queue_bytes = 256 * 1024;
  // One send that takes longer (the client reads nothing) cuts the client off at once (abort).
  std::chrono::milliseconds send_timeout{5'000};
};

enum class StreamEnd { kClientGone, kTooSlow, kStopped };

// Runs until the client goes, falls too far behind (max_queue, max_queue_bytes) or stalls a send past
// send_timeout, or `stop` returns true (checked after each batch). On kTooSlow the caller tells the
// client why (close frame) if it still can.
boost::asio::awaitable<StreamEnd> stream_events(events::Events& events, const std::string& tenant,
                                                const std::string& topic, std::int64_t after, StreamIo io,
                                                std::function<bool()> stop = {});

}  // namespace tyto::api::detail
