// The engine of one live session: frames and audio in, events out, with bounded queues between.
//
//   push_frame / push_audio (any thread)  ->  [frame queue: drop oldest]  ->  vision worker
//                                          ->  [audio queue: drop oldest]  ->  speech worker
//   workers  ->  outbox  ->  emitter thread: every 100 ms hands the pending events to the sink (which
//                            stores and publishes them), every second adds a `metric` event.
//
// Where the frames come from (a decoded RTSP stream, a file, JPEGs from a browser) is the caller's
// business. The frame queue holds a few frames: when the vision worker falls behind, the oldest frame is
// dropped and counted, never buffered without bound. When drops pass the budget for some seconds the
// engine steps down a profile (accurate -> fast -> cpu-only: smaller frames, a lower rate) and says so in
// a `profile` event; after a quiet while it steps back up.
//
// Events (type, data): detection {frame_index, t_s, width, height, detections: [{label, score, box,
// track_id}]}, track {track_id, label, state: started|ended, box, t_s}, zone {zone, track_id, label,
// event: enter|leave}, line {line, track_id, label, direction, counts}, motion {state: started|stopped,
// fraction, regions}, transcript {final, text, words, start_s, end_s}, profile {from, to, reason}, metric
// {fps_in, fps_out, latency_ms {p50, p95}, queue_depth, dropped, dropped_total, stage_ms}, error {stage,
// message}.
//
// Thread-safety: every public method may be called from any thread. The sink is called from the
// emitter thread only, one batch at a time.
#pragma once

#include "tyto/vision/detect.hpp"
#include "tyto/vision/image.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tyto::metrics {
class Registry;
}

namespace tyto::products::live {

// fast: at most 1280x720 at 20 fps; accurate: 1920x1080, every frame; cpu-only: 854x480 at 8 fps. Frames are
// scaled down to the profile's size; a source over its input caps is refused (too_large).
struct Profile {
  std::string name;
  int max_width = 1280;
  int max_height = 720;
  double max_fps = 20;  // 0: every frame
  // What the source may be: its picture (larger is refused, not scaled) and its bitrate.
  int max_input_width = 3840;
  int max_input_height = 2160;
  std::int64_t max_bitrate = 40'000'000;
};
// Throws Error(kValidationFailed) for a name other than fast, accurate or cpu-only.
Profile profile_named(std::string_view name);
// The next profile down (accurate -> fast -> cpu-only) and up; nullopt at the end.
std::optional<std::string> lower_profile(std::string_view name);
std::optional<std::string> higher_profile(std::string_view name);

struct EngineEvent {
  std::string type;
  nlohmann::json data;
  std::int64_t frame_index = -1;  // the frame it came from, -1 for none
  double t_s = 0;                 // the media time it is about
  std::int64_t received_ns = 0;   // when its frame or audio arrived (steady clock), for the latency
};

// One recognised piece of speech (a partial hypothesis or a final result).
struct SpeechPiece {
  bool final = false;
  std::string text;
  nlohmann::json words = nlohmann::json::array();  // [{word, start_s, end_s, confidence}]
  double start_s = 0;
  double end_s = 0;
};

// A streaming recogniser as the engine uses it (the audio module's, through an adapter). Not shared.
class SpeechStream {
 public:
  virtual ~SpeechStream() = default;
  // 16 kHz mono samples starting at media time t_s.
  virtual std::vector<SpeechPiece> feed(const std::vector<std::int16_t>& samples, double t_s) = 0;
  virtual std::vector<SpeechPiece> finish() = 0;
};

struct EngineSettings {
  std::set<std::string> pipelines;  // detect, track, motion, faces, asr
  std::string profile = "fast";
  nlohmann::json zones = nlohmann::json::array();
  nlohmann::json lines = nlohmann::json::array();
  std::string detect_model = "people";  // registry names
  std::string face_model = "faces";
  std::string session_id;             // for log lines
  double detection_events_per_s = 5;  // detection events stored at most per second (tracks always)
  std::size_t frame_queue = 3;        // frames waiting for the vision worker at most
  std::size_t audio_queue = 50;       // audio chunks waiting for the speech worker at most
  double drop_budget = 0.2;           // the share of frames that may drop before stepping down...
  int step_down_after_s = 3;          // ... for this many seconds in a row
  int step_up_after_s = 10;           // quiet seconds before stepping back up
  bool adaptive = true;               // step profiles at all
  // A frame in analysis longer than this is a stalled stage: the vision worker is replaced by a new one (with a
  // fresh tracker) and the stuck one abandoned; 0: never.
  std::chrono::milliseconds stage_timeout{15'000};
};

struct EngineParts {
  // A model of the registry by name; null when it does not exist. Called for each frame, so a model the
  // registry reloads is picked up by the next frame.
  std::function<std::shared_ptr<vision::Detector>(const std::string&)> detector;
  // A new speech stream; empty: the asr pipeline reports an error event once.
  std::function<std::unique_ptr<SpeechStream>()> speech;
  // Stores a snapshot (JPEG bytes with the overlay drawn) and answers its object id; empty: no snapshots.
  // Called on the vision worker, at most once a second per session, for frames where a track starts.
  std::function<std::string(std::string jpeg)> snapshot;
  // Takes the latest analysed frame (JPEG, the overlay drawn) twice a second at most, for a picture of a
  // session whose frames the browser does not have (RTSP, HTTP, files); empty: none.
  std::function<void(std::string jpeg)> preview;
  metrics::Registry* metrics = nullptr;
};

class Engine {
 public:
  using Sink = std::function<void(std::vector<EngineEvent>)>;

  // Starts the workers. Throws Error(kValidationFailed) for bad zones, lines or profile.
  Engine(EngineSettings settings, EngineParts parts, Sink sink);
  ~Engine();  // stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A decoded RGB frame at media time t_s. Returns false when the queue was full and the oldest frame
  // was dropped to make room (counted).
  bool push_frame(vision::Image frame, std::int64_t index, double t_s);
  // The same for a file: waits for room in the queue instead of dropping (every frame is analysed at the
  // speed the analysis allows). Returns false once the engine stops.
  bool push_frame_waiting(vision::Image frame, std::int64_t index, double t_s);
  // An encoded frame (JPEG, PNG, WebP) from a browser; decoded on the vision worker.
  bool push_encoded(std::string bytes, std::int64_t index, double t_s);
  // 16 kHz mono samples at media time t_s.
  bool push_audio(std::vector<std::int16_t> samples, double t_s);
  // Adds an event from the caller (a source event), delivered with the next batch.
  void emit(std::string type, nlohmann::json data);
  // Switches profile now (a client's command); throws Error(kValidationFailed) for an unknown one.
  void set_profile(const std::string& name);

  // Waits until the queues are empty and their work is emitted (a file source's end), at most `limit`.
  void drain(std::chrono::milliseconds limit);
  // Stops the workers, flushes the speech stream's last words and emits a final `summary` event.
  void stop();
  // Stops without finishing the session (shutdown, a lost lease: it resumes elsewhere): queued frames
  // are discarded, the events of frames already analysed are still delivered, no summary.
  void abandon();

  std::string profile() const;
  nlohmann::json stats() const;  // the latest metric event's data

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with a vision worker abandoned by the watchdog, until it returns
};

}  // namespace tyto::products::live
