// The session streams: /ws/stream (bidirectional: a browser's webcam frames and audio in, events out;
// any session may be watched through it) and SSE /api/v1/sessions/{id}/stream.
//
// Client messages on /ws/stream: text is a JSON command ({"type": "stop"}, {"type": "profile", "profile":
// "cpu-only"}, {"type": "ping"}); binary messages start with one byte saying what follows: 0x01 an encoded
// frame (JPEG, PNG or WebP), 0x02 PCM audio (16-bit little-endian, 16 kHz, mono). Frames and audio are
// taken only on a webcam session; a watcher of another session may send commands.
#include "routes.hpp"

#include "tyto/api/streams.hpp"
#include "tyto/core/error.hpp"

namespace tyto::products::live {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxStreamMessage = 4u << 20;

// What one /ws/stream connection holds: the session, and for a webcam session the engine it feeds.
struct Connection {
  Runtime* runtime = nullptr;
  std::string tenant_id;
  std::string session_id;
  std::shared_ptr<Runtime::Webcam> webcam;  // null when watching a session of another source
  std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void command(Connection& c, std::string_view text) {
  json cmd;
  try {
    cmd = json::parse(text);
  } catch (const json::exception&) {
    throw Error(ErrorCode::kValidationFailed, "a command is a JSON object", {{"fields", {{"type", "required"}}}});
  }
  const std::string type = cmd.is_object() ? cmd.value("type", "") : "";
  if (type == "ping" || type == "start") return;
  if (type == "stop") {
    c.runtime->request_stop(c.tenant_id, c.session_id);
    return;
  }
  if (type == "profile") {
    if (!c.webcam) {
      throw Error(ErrorCode::kConflict, "only a webcam session changes profile from its stream");
    }
    c.webcam->engine->set_profile(cmd.value("profile", ""));
    return;
  }
  throw Error(ErrorCode::kValidationFailed, "unknown command",
              {{"fields", {{"type", "one of start, stop, profile, ping"}}}});
}

void media(Connection& c, std::string message) {
  if (!c.webcam) throw Error(ErrorCode::kConflict, "frames and audio are taken only by a webcam session");
  const auto kind = static_cast<unsigned char>(message.front());
  const double t_s = seconds_since(c.opened);
  if (kind == 0x01) {
    message.erase(0, 1);
    c.webcam->engine->push_encoded(std::move(message), c.webcam->frame_index++, t_s);
  } else if (kind == 0x02) {
    if ((message.size() - 1) % 2 != 0) throw Error(ErrorCode::kValidationFailed, "PCM audio is 16-bit: an even size");
    std::vector<std::int16_t> samples((message.size() - 1) / 2);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto lo = static_cast<unsigned char>(message[1 + 2 * i]),
                 hi = static_cast<unsigned char>(message[2 + 2 * i]);
      samples[i] = static_cast<std::int16_t>(lo | (hi << 8));
    }
    c.webcam->engine->push_audio(std::move(samples), t_s);
  } else {
    throw Error(ErrorCode::kValidationFailed, "a binary message starts with 0x01 (frame) or 0x02 (audio)");
  }
}

}  // namespace

void Routes::add_streams(http::Router& router) {
  const auto resolve = [this](const http::Request& req, bool attach) {
    const auto id = attach ? req.query("session_id").value_or("") : std::string(req.param("id"));
    check_id(id, "session");
    const auto s = store_.session(req.who().tenant_id, id);
    if (!s) throw Error(ErrorCode::kNotFound, "no such session");
    api::StreamSource source{s->tenant_id, session_topic(s->id), session_json(*s), nullptr};
    if (attach) {
      auto c = std::make_shared<Connection>();
      c->runtime = &rt_;
      c->tenant_id = s->tenant_id;
      c->session_id = s->id;
      if (s->source_kind == "webcam" && !s->ended()) c->webcam = rt_.attach(*s);
      source.context = c;
    }
    return source;
  };
  s_.streams.add(router, {.sse_path = "",
                          .websocket_path = "/ws/stream",
                          .resolve = [resolve](const http::Request& req) { return resolve(req, true); },
                          .what = "a live session (?session_id=): a webcam session takes frames (0x01 + JPEG/WebP) and "
                                  "audio (0x02 + PCM s16le 16 kHz mono) and commands (JSON: stop, profile)",
                          .tag = "live",
                          .role = auth::Role::kUser,
                          .on_message =
                              [](const api::StreamSource& source, std::string message) {
                                auto& c = *std::static_pointer_cast<Connection>(source.context);
                                if (message.empty()) return;
                                if (message.front() == '{') {
                                  command(c, message);
                                } else {
                                  media(c, std::move(message));
                                }
                              },
                          .on_close =
                              [this](const api::StreamSource& source) {
                                auto c = std::static_pointer_cast<Connection>(source.context);
                                if (c && c->webcam) rt_.detach(c->webcam);
                              },
                          .max_message_bytes = kMaxStreamMessage});
  s_.streams.add(router, {.sse_path = "/api/v1/sessions/{id}/stream",
                          .websocket_path = "/ws/sessions/{id}",
                          .resolve = [resolve](const http::Request& req) { return resolve(req, false); },
                          .what = "a live session",
                          .tag = "live"});
}

}  // namespace tyto::products::live
