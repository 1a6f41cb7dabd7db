// Delivers one topic's events to one client (WebSocket or SSE): backlog after the client's cursor,
// then live events, with no gap and no duplicate, through a bounded queue. Private to tyto_api.
#pragma once

#include "tyto/events/events.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace tyto::api::detail {

struct StreamIo {
  // Sends one event; false when the client is gone.
  std::function<boost::asio::awaitable<bool>(const events::Event&)> send;
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
  std::size_t max_queue = 1000;  // events waiting for a slow client before it is cut off
};

enum class StreamEnd { kClientGone, kTooSlow, kStopped };

// Runs until the client goes, falls too far behind, or `stop` returns true (checked after each
// batch). On kTooSlow the caller tells the client why (close frame) if it still can.
boost::asio::awaitable<StreamEnd> stream_events(events::Events& events, const std::string& tenant,
                                                const std::string& topic, std::int64_t after, StreamIo io,
                                                std::function<bool()> stop = {});

}  // namespace tyto::api::detail
