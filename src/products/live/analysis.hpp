// The per-frame analysis of one session on the vision worker: motion, detection, tracking, zones and
// lines, faces. Turns one frame into the engine's events. Not thread-safe: the vision worker owns it.
#pragma once

#include "engine.hpp"

#include <map>
#include <memory>

namespace tyto::products::live {

struct FrameResult {
  std::vector<EngineEvent> events;
  std::map<std::string, double> stage_ms;  // motion, detect, track, faces
  bool detection_event = false;            // whether events hold a detection event (for the rate limit)
};

class Analysis {
 public:
  // Throws Error(kValidationFailed) naming the zone or line that is wrong.
  Analysis(const EngineSettings& settings, const EngineParts& parts);
  ~Analysis();
  // Checks the settings' profile, zones and lines as the constructor would (422 naming the field).
  static void check(const EngineSettings& settings);

  // `emit_detections`: whether this frame may carry a detection event (the engine's rate limit).
  FrameResult analyze(const vision::Image& frame, std::int64_t index, double t_s, bool emit_detections);
  // Tracks still alive when the session ends, as ended track events.
  std::vector<EngineEvent> finish(double t_s);
  // Objects seen, tracks and zone and line counts so far (the summary event).
  nlohmann::json totals() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::products::live
