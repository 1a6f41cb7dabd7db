// The live product's routes (docs/products/live-sessions.md): sources, sessions, their stored events,
// summaries, one-shot analysis of a frame or an audio clip, and the streams (/ws/stream, bidirectional,
// for browsers' webcams and for watching any session; SSE /api/v1/sessions/{id}/stream).
#pragma once

#include "runtime.hpp"
#include "store.hpp"
#include "tyto/http/router.hpp"

#include <functional>

namespace tyto::products::live {

// One-shot speech recognition of 16 kHz mono samples (the audio module's batch recogniser): a transcript
// {text, words: [{word, start_s, end_s, confidence}], confidence}. Empty in a build without it.
using Transcriber = std::function<nlohmann::json(const std::vector<std::int16_t>&)>;
// Audio file bytes -> 16 kHz mono samples (throws Error(kUnsupportedMediaType) for what it cannot read).
using AudioDecoder = std::function<std::vector<std::int16_t>(std::string_view bytes, double max_s)>;

class Routes {
 public:
  Routes(Runtime& runtime, Transcriber transcribe, AudioDecoder decode_audio);
  void install(http::Router& router);

 private:
  http::Response create_source(http::Request& req);
  http::Response list_sources(http::Request& req);
  http::Response get_source(http::Request& req);
  http::Response delete_source(http::Request& req);
  http::Response create_session(http::Request& req);
  http::Response list_sessions(http::Request& req);
  http::Response get_session(http::Request& req);
  http::Response stop_session(http::Request& req);
  http::Response session_events(http::Request& req);
  http::Response summary(http::Request& req);
  http::Response preview(http::Request& req);
  http::Response analyze_frame(http::Request& req);
  http::Response analyze_audio(http::Request& req);
  void add_streams(http::Router& router);

  Session session(const http::Request& req);
  Source source(const http::Request& req, const std::string& id);

  Runtime& rt_;
  Services& s_;
  LiveStore& store_;
  Transcriber transcribe_;
  AudioDecoder decode_audio_;
};

}  // namespace tyto::products::live
