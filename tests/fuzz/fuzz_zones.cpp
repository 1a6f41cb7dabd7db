// Zone and line specs as a session's body carries them (modules/vision/src/zone_specs.cpp), then the zone
// monitor (zones.cpp) and the tracker (track.cpp, assignment.cpp) driven by frames from the same input:
//   {"zones": [...], "lines": [...], "size": [w, h], "frames": [[[x, y, w, h, id, "label"], ...], ...]}
// Asserts: bad specs throw tyto::Error(validation_failed) naming fields, nothing else; accepted specs run;
// zone counts balance (entered - left = inside >= 0); crossings have a direction; the tracker reports
// tracks by ascending id, one id per input detection, and ended tracks no longer live.
#include "fuzz_check.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/track.hpp"
#include "tyto/vision/zones.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace {

using nlohmann::json;
namespace vision = tyto::vision;

int clamped(const json& j, int lo, int hi, int fallback) {
  if (!j.is_number()) return fallback;
  const double v = j.get<double>();
  if (!(v == v)) return fallback;
  return static_cast<int>(std::clamp(v, double(lo), double(hi)));
}

void check_counts(const vision::ZoneMonitor& monitor) {
  for (const auto& [name, c] : monitor.counts().zones) {
    FUZZ_CHECK(c.inside >= 0);
    FUZZ_CHECK(c.entered - c.left == c.inside);
  }
}

void run_frames(const vision::ZoneSpecs& specs, const json& doc) {
  vision::ZoneMonitor monitor(specs);
  vision::Tracker tracker({.min_hits = 1});
  const json size = doc.contains("size") ? doc["size"] : json();
  const int width = size.is_array() && size.size() == 2 ? clamped(size[0], 1, 8192, 640) : 640;
  const int height = size.is_array() && size.size() == 2 ? clamped(size[1], 1, 8192, 480) : 480;
  const json frames = doc.contains("frames") && doc["frames"].is_array() ? doc["frames"] : json::array();
  int index = 0;
  for (const auto& frame : frames) {
    if (!frame.is_array() || ++index > 64) break;
    vision::TrackUpdate update;
    std::vector<vision::Detection> detections;
    std::set<std::int64_t> ids;
    for (const auto& t : frame) {
      if (!t.is_array() || t.size() < 5) continue;
      const vision::Box box{clamped(t[0], -10000, 10000, 0), clamped(t[1], -10000, 10000, 0),
                            clamped(t[2], 1, 10000, 1), clamped(t[3], 1, 10000, 1)};
      const std::string label = t.size() > 5 && t[5].is_string() ? t[5].get<std::string>() : "person";
      detections.push_back({label, -1, 0.9f, box});
      const std::int64_t id = clamped(t[4], 1, 1000, 1);
      if (!ids.insert(id).second || detections.size() > 64) continue;
      vision::Track track;
      track.track_id = id;
      track.label = label;
      track.box = box;
      update.tracks.push_back(track);
    }
    std::sort(update.tracks.begin(), update.tracks.end(),
              [](const auto& a, const auto& b) { return a.track_id < b.track_id; });
    for (const auto& e : monitor.update(update, width, height, index)) {
      if (e.kind == vision::ZoneEventKind::kCross) FUZZ_CHECK(e.direction == "in" || e.direction == "out");
      FUZZ_CHECK(ids.contains(e.track_id) || e.kind == vision::ZoneEventKind::kLeave);
    }
    check_counts(monitor);

    const auto tracked = tracker.update(detections, index * 0.1);
    FUZZ_CHECK(tracked.detection_track_ids.size() == detections.size());
    for (std::size_t i = 1; i < tracked.tracks.size(); ++i)
      FUZZ_CHECK(tracked.tracks[i - 1].track_id < tracked.tracks[i].track_id);
    for (const auto& ended : tracked.ended)
      for (const auto& live : tracked.tracks) FUZZ_CHECK(ended.track_id != live.track_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 65536) return 0;
  const json doc = json::parse(tyto::fuzz::as_text(data, size), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  vision::ZoneSpecs specs;
  try {
    specs = vision::parse_zone_specs(doc.contains("zones") ? doc["zones"] : json(),
                                     doc.contains("lines") ? doc["lines"] : json());
  } catch (const tyto::Error& e) {
    FUZZ_CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    FUZZ_CHECK(e.details()["fields"].is_object() && !e.details()["fields"].empty());
    return 0;
  }
  run_frames(specs, doc);
  return 0;
}
