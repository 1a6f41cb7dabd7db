// Live event streams of one resource (a job, a scan, a session) over WebSocket and server-sent events.
//
// A stream sends the events of one topic of one tenant (events/events.hpp), with no gap and no
// duplicate: the backlog after the client's cursor (`?after=<seq>` or SSE's `Last-Event-ID`), then live
// events. WebSocket messages are {"type", "seq", "topic", "time", "data"}; a WebSocket stream may first
// send {"type": "snapshot", "seq": 0, "data": <the resource now>}. SSE sends `id: <seq>`, `event: <type>`
// and the same JSON as `data:`; it has no snapshot (a snapshot has no event id to resume from).
//
// Every stream is bounded: a client that falls behind by more than the queue limits, or stalls one send
// past send_timeout, is cut off (WebSocket close 1008), and one credential may hold at most
// per_principal streams at once over all stream routes (429 too_many_streams).
//
// Thread-safety: add() at start-up, on the main thread; the routes it adds run on the server's threads.
#pragma once

#include "tyto/http/router.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace tyto::events {
class Events;
}
namespace tyto::metrics {
class Registry;
}

namespace tyto::api {

struct StreamOptions {
  std::size_t queue_limit = 1000;                 // events a slow client may fall behind
  std::size_t queue_bytes = 256 * 1024;           // bytes of events a slow client may fall behind
  std::chrono::milliseconds send_timeout{5'000};  // a send blocked longer cuts the client off
  std::size_t per_principal = 64;                 // open streams per user or API key; 0: no limit
};

// What one request streams: the topic's tenant (the caller's: resolvers look the resource up in the
// caller's tenant), the topic, and for WebSocket the resource as it is now.
struct StreamSource {
  std::string tenant_id;
  std::string topic;
  std::optional<nlohmann::json> snapshot;
  // Anything the resolver wants the route's message handlers to see (a live session's engine), kept
  // alive for as long as the connection.
  std::shared_ptr<void> context;
};

// Bidirectional WebSocket streams: what the client sends, in order, while its events stream. Runs on the
// connection's I/O thread, so it must be quick and never block (push into a bounded queue and return).
// Throwing tyto::Error ends the stream: the client gets an {"type": "error"} message and close 1008.
using StreamMessageHandler = std::function<void(const StreamSource&, std::string message)>;
// Called once when a bidirectional stream ends (the client left or was cut off), on the I/O thread.
using StreamCloseHandler = std::function<void(const StreamSource&)>;

// Finds the resource a stream request names, on the blocking pool (it may query the database). Throws
// tyto::Error (kNotFound for another tenant's resource, like one that never existed): SSE answers it as
// the error envelope, WebSocket as an {"type": "error"} message and close code 1008.
using StreamResolver = std::function<StreamSource(const http::Request&)>;

struct StreamRoutes {
  std::string sse_path;        // "/api/v1/brands/{id}/scans/{scan_id}/events"; empty: no SSE route
  std::string websocket_path;  // "/ws/brands/{id}/scans/{scan_id}"; empty: no WebSocket route
  StreamResolver resolve;
  std::string what;  // the resource, for the API reference: "a scan"
  std::string tag;   // the OpenAPI tag
  auth::Role role = auth::Role::kViewer;
  // Set for a bidirectional WebSocket route (the SSE route, if any, stays one-way).
  StreamMessageHandler on_message;
  StreamCloseHandler on_close;
  std::size_t max_message_bytes = 4096;  // the largest client message; larger closes with 1009
};

class Streams {
 public:
  // events and registry must outlive this object.
  Streams(events::Events& events, metrics::Registry& registry, StreamOptions options);
  ~Streams();
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;

  // Adds the SSE and WebSocket routes of one kind of resource.
  void add(http::Router& router, StreamRoutes routes);

  // Adds WS /ws/events?topic=: any topic of the caller's tenant (the platform's).
  void add_topic_route(http::Router& router);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tyto::api
