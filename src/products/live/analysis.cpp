#include "analysis.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/vision/motion.hpp"
#include "tyto/vision/overlay.hpp"
#include "tyto/vision/track.hpp"
#include "tyto/vision/zones.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>

namespace tyto::products::live {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

json box_json(const vision::Box& b) { return {{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}}; }

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

struct Analysis::Impl {
  Impl(const EngineSettings& s, const EngineParts& p)
      : settings(s), parts(p), zones(vision::parse_zone_specs(s.zones, s.lines)) {
    if (p.metrics) {
      inference = &p.metrics->histogram("tyto_live_inference_seconds",
                                        "One frame's inference in one model, in live sessions", {"model"});
    }
  }
  void timed(const std::string& model, double ms) {
    if (inference) inference->with({model}).observe(ms / 1000.0);
  }
  metrics::Family<metrics::Histogram>* inference = nullptr;

  EngineSettings settings;
  EngineParts parts;
  vision::Tracker tracker;
  vision::ZoneMonitor zones;
  vision::MotionDetector motion;
  bool moving = false;
  bool reported_missing_model = false;
  double last_snapshot_t = -1e9;
  std::chrono::steady_clock::time_point last_preview{};
  std::map<std::string, std::int64_t> objects;  // label -> detections seen
  std::map<std::string, std::int64_t> tracks;   // label -> tracks started
  std::int64_t frames = 0;
  int width = 0, height = 0;

  bool on(const char* pipeline) const { return settings.pipelines.count(pipeline) > 0; }
  std::shared_ptr<vision::Detector> model(const std::string& name, FrameResult& r, std::int64_t index, double t_s);
};

std::shared_ptr<vision::Detector> Analysis::Impl::model(const std::string& name, FrameResult& r, std::int64_t index,
                                                        double t_s) {
  auto d = parts.detector ? parts.detector(name) : nullptr;
  if (!d && !reported_missing_model) {
    reported_missing_model = true;  // once per session, not once per frame
    r.events.push_back(
        {"error", {{"stage", "detect"}, {"message", "no model named " + name + " in the registry"}}, index, t_s});
  }
  return d;
}

Analysis::Analysis(const EngineSettings& settings, const EngineParts& parts)
    : impl_(std::make_unique<Impl>(settings, parts)) {}

Analysis::~Analysis() = default;

void Analysis::check(const EngineSettings& settings) {
  (void)profile_named(settings.profile);
  (void)vision::parse_zone_specs(settings.zones, settings.lines);
}

FrameResult Analysis::analyze(const vision::Image& frame, std::int64_t index, double t_s, bool emit_detections) {
  auto& i = *impl_;
  FrameResult r;
  ++i.frames;
  i.width = frame.width;
  i.height = frame.height;
  bool still = false;
  if (i.on("motion")) {
    const auto t = Clock::now();
    const auto m = i.motion.update(frame);
    r.stage_ms["motion"] = ms_since(t);
    if (!m.warming_up && m.motion != i.moving) {
      i.moving = m.motion;
      json regions = json::array();
      for (const auto& b : m.regions) regions.push_back(box_json(b));
      r.events.push_back({"motion",
                          {{"state", m.motion ? "started" : "stopped"},
                           {"fraction", m.moving_fraction},
                           {"regions", std::move(regions)},
                           {"frame_index", index},
                           {"t_s", t_s}},
                          index,
                          t_s});
    }
    still = !m.motion && !m.warming_up;
  }
  std::vector<vision::Detection> found;
  // A still scene skips detection: the tracks coast on their predictions.
  // track follows what detect and faces find; alone, it follows the detect model's objects.
  const bool run_detect = i.on("detect") || (i.on("track") && !i.on("faces"));
  if (run_detect && !still) {
    if (auto d = i.model(i.settings.detect_model, r, index, t_s)) {
      const auto t = Clock::now();
      found = d->detect(frame);
      r.stage_ms["detect"] = ms_since(t);
      i.timed(i.settings.detect_model, r.stage_ms["detect"]);
    }
  }
  if (i.on("faces") && !still) {
    if (auto d = i.model(i.settings.face_model, r, index, t_s)) {
      const auto t = Clock::now();
      auto faces = d->detect(frame);
      r.stage_ms["faces"] = ms_since(t);
      i.timed(i.settings.face_model, r.stage_ms["faces"]);
      for (auto& f : faces) found.push_back(std::move(f));
    }
  }
  for (const auto& d : found) ++i.objects[d.label];
  std::vector<std::int64_t> ids(found.size(), 0);
  // Skipped detection is no evidence that tracks left: the tracker is not told about still frames.
  if (i.on("track") && !still) {
    const auto t = Clock::now();
    const auto update = i.tracker.update(found, t_s);
    ids = update.detection_track_ids;
    for (const auto id : update.started) {
      for (const auto& tr : update.tracks) {
        if (tr.track_id != id) continue;
        ++i.tracks[tr.label];
        r.events.push_back({"track",
                            {{"track_id", id},
                             {"label", tr.label},
                             {"state", "started"},
                             {"box", box_json(tr.box)},
                             {"frame_index", index},
                             {"t_s", t_s}},
                            index,
                            t_s});
      }
    }
    for (const auto& tr : update.ended) {
      r.events.push_back({"track",
                          {{"track_id", tr.track_id},
                           {"label", tr.label},
                           {"state", "ended"},
                           {"box", box_json(tr.box)},
                           {"first_seen_s", tr.first_seen_s},
                           {"last_seen_s", tr.last_seen_s},
                           {"frame_index", index},
                           {"t_s", t_s}},
                          index,
                          t_s});
    }
    if (!i.zones.specs().zones.empty() || !i.zones.specs().lines.empty()) {
      for (const auto& z : i.zones.update(update, frame.width, frame.height, t_s)) {
        json data = vision::to_json(z);
        data["frame_index"] = index;
        if (z.kind == vision::ZoneEventKind::kCross) {
          const auto counts = i.zones.counts().lines;
          if (auto c = counts.find(z.name); c != counts.end())
            data["counts"] = {{"in", c->second.total.in}, {"out", c->second.total.out}};
        }
        r.events.push_back({z.kind == vision::ZoneEventKind::kCross ? "line" : "zone", std::move(data), index, t_s});
      }
    }
    r.stage_ms["track"] = ms_since(t);
  }
  // A snapshot of the frame where a track starts, with its boxes and track ids drawn.
  if (i.parts.snapshot && t_s - i.last_snapshot_t >= 1.0) {
    for (auto& e : r.events) {
      if (e.type != "track" || e.data.value("state", "") != "started") continue;
      std::vector<vision::Annotation> boxes;
      for (std::size_t k = 0; k < found.size(); ++k) {
        boxes.push_back({found[k].box, ids[k] > 0 ? fmt::format("{} #{}", found[k].label, ids[k]) : found[k].label});
      }
      try {
        const auto t = Clock::now();
        e.data["snapshot_object_id"] = i.parts.snapshot(vision::encode_jpeg(vision::draw_overlay(frame, boxes), 85));
        r.stage_ms["snapshot"] = ms_since(t);
        i.last_snapshot_t = t_s;
      } catch (const std::exception& ex) {
        log::warn("live: a snapshot could not be stored",
                  {{"session_id", i.settings.session_id}, {"error", ex.what()}});
      }
      break;
    }
  }
  if (i.parts.preview && Clock::now() - i.last_preview >= std::chrono::milliseconds(500)) {
    i.last_preview = Clock::now();
    std::vector<vision::Annotation> boxes;
    for (std::size_t k = 0; k < found.size(); ++k) {
      boxes.push_back({found[k].box, ids[k] > 0 ? fmt::format("{} #{}", found[k].label, ids[k]) : found[k].label});
    }
    try {
      i.parts.preview(vision::encode_jpeg(boxes.empty() ? frame : vision::draw_overlay(frame, boxes), 75));
    } catch (const std::exception& ex) {
      log::warn("live: a preview could not be made", {{"session_id", i.settings.session_id}, {"error", ex.what()}});
    }
  }
  if (emit_detections && !found.empty() && (i.on("detect") || i.on("faces"))) {
    json list = json::array();
    for (std::size_t k = 0; k < found.size(); ++k) {
      json d = {{"label", found[k].label}, {"score", found[k].score}, {"box", box_json(found[k].box)}};
      if (ids[k] > 0) d["track_id"] = ids[k];
      list.push_back(std::move(d));
    }
    r.events.push_back({"detection",
                        {{"frame_index", index},
                         {"t_s", t_s},
                         {"width", frame.width},
                         {"height", frame.height},
                         {"detections", std::move(list)}},
                        index,
                        t_s});
    r.detection_event = true;
  }
  return r;
}

std::vector<EngineEvent> Analysis::finish(double t_s) {
  std::vector<EngineEvent> out;
  auto& i = *impl_;
  if (!i.on("track")) return out;
  // Far in the future: every track ends now, as the session does.
  const auto update = i.tracker.update({}, t_s + i.tracker.options().max_age_s + 1);
  for (const auto& tr : update.ended) {
    out.push_back({"track",
                   {{"track_id", tr.track_id},
                    {"label", tr.label},
                    {"state", "ended"},
                    {"box", box_json(tr.box)},
                    {"first_seen_s", tr.first_seen_s},
                    {"last_seen_s", tr.last_seen_s},
                    {"t_s", t_s}},
                   -1,
                   t_s});
  }
  return out;
}

json Analysis::totals() const {
  const auto& i = *impl_;
  return {{"frames", i.frames}, {"objects", i.objects},
          {"tracks", i.tracks}, {"zones", vision::to_json(i.zones.counts())},
          {"width", i.width},   {"height", i.height}};
}

}  // namespace tyto::products::live
