// Zones (polygons) with enter and leave events, and lines with crossing events and counts, over the
// tracks a Tracker reports.
//
// Coordinates are normalised: x and y in 0..1 of the image's width and height, origin at the top-left,
// y downwards, so that a zone drawn over a scaled picture in a browser holds for any frame size. update()
// takes the frame's size in pixels; geometry (inside tests, distances, margins) is done in pixels.
//
// The anchor: a track is where its anchor point is, by default the bottom-centre of its box (where a
// person or a car touches the ground); "center" and "top_center" may be chosen per zone or line.
//
// Zones: the polygon is closed: a point on an edge or a vertex is inside; elsewhere the even-odd rule
// decides. A track is first placed when first seen (an `enter` if it appears inside); afterwards it
// changes side only when its anchor is on the other side by more than the margin (a dead band around
// the edges of max(margin_px, margin_box * the box's height) pixels), so a track standing on an edge does
// not flicker in and out. A track that ends while inside leaves (`leave` with track_ended).
//
// Lines: a segment from its first point to its second. Its sides are named as seen looking from the
// first point towards the second on the screen: crossing from the left side to the right side is "in",
// from right to left "out" (a line drawn left to right across the picture counts downward motion as
// "in"). A track is on a side once its anchor is further than the margin from the line; it crosses when
// it is next found clearly on the other side and the path from its last clear position on the old side
// to the new one passes through the segment (not around its ends). Each real crossing counts, back and
// forth; a track jittering within the margin of the line counts nothing, and one that reaches the band
// and returns to its side counts nothing.
//
// Only tracks paired with a detection in the update (missed == 0) move; coasting tracks keep their state.
//
// Errors: parse_zone_specs throws tyto::Error(validation_failed) whose details.fields name every failing
// field ("zones[0].points", "lines[1].name", ...); ZoneMonitor::update throws validation_failed for a
// non-positive image size. Not thread-safe: one ZoneMonitor per session, beside its Tracker.
#pragma once

#include "tyto/vision/track.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::vision {

struct Point {
  double x = 0;  // 0..1 of the image's width
  double y = 0;  // 0..1 of the image's height

  bool operator==(const Point&) const = default;
};

enum class Anchor { kBottomCenter, kCenter, kTopCenter };

struct ZoneSpec {
  std::string name;
  std::vector<Point> points;        // 3..100 vertices, not self-intersecting
  std::vector<std::string> labels;  // the labels it watches; empty: all
  Anchor anchor = Anchor::kBottomCenter;
};

struct LineSpec {
  std::string name;
  Point a;  // "in" is crossing from the left of a->b to its right, as seen on the screen
  Point b;
  std::vector<std::string> labels;
  Anchor anchor = Anchor::kBottomCenter;
};

struct ZoneSpecs {
  std::vector<ZoneSpec> zones;
  std::vector<LineSpec> lines;
};

inline constexpr std::size_t kMaxZones = 64;  // zones, and lines, per session
inline constexpr std::size_t kMaxZonePoints = 100;
inline constexpr std::size_t kMaxZoneNameLength = 64;

// From a session's `zones` and `lines` (either may be null or absent: none). Shape:
//   zones: [{"name": "door", "points": [[x, y], ...], "labels"?: ["person"], "anchor"?: "bottom_center"}]
//   lines: [{"name": "gate", "points": [[x, y], [x, y]], "labels"?: [...], "anchor"?: "center"}]
// A point may also be written {"x": .., "y": ..}. Other members are ignored (an editor's colour, say).
ZoneSpecs parse_zone_specs(const nlohmann::json& zones, const nlohmann::json& lines);
// Back to that shape ({"zones": [...], "lines": [...]}, points as [x, y]).
nlohmann::json to_json(const ZoneSpecs& specs);

std::string_view anchor_name(Anchor anchor) noexcept;  // "bottom_center", "center", "top_center"

struct ZoneOptions {
  double margin_px = 2;      // the dead band around zone edges and lines, at least this many pixels
  double margin_box = 0.05;  // ... or this fraction of the track's box height, when larger
};

enum class ZoneEventKind { kEnter, kLeave, kCross };
std::string_view event_kind_name(ZoneEventKind kind) noexcept;  // "enter", "leave", "cross"

struct ZoneEvent {
  ZoneEventKind kind = ZoneEventKind::kEnter;
  std::string name;  // the zone's (enter, leave) or the line's (cross)
  std::int64_t track_id = 0;
  std::string label;
  double t_s = 0;
  std::string direction;     // cross: "in" or "out"; empty otherwise
  Point point;               // the anchor, normalised
  bool track_ended = false;  // leave: the track ended inside the zone
};
// {"type": "enter"|"leave"|"cross", "name", "track_id", "label", "t_s", "point": [x, y],
//  "direction"? (cross), "track_ended"? (leave, when true)}
nlohmann::json to_json(const ZoneEvent& event);

struct DirectionCounts {
  std::int64_t in = 0;
  std::int64_t out = 0;
};
struct LineCounts {
  DirectionCounts total;
  std::map<std::string, DirectionCounts> by_label;
};
struct ZoneCounts {
  std::int64_t entered = 0;
  std::int64_t left = 0;
  std::int64_t inside = 0;  // tracks in it now
};
struct Counts {
  std::map<std::string, ZoneCounts> zones;  // every zone, by name
  std::map<std::string, LineCounts> lines;  // every line, by name
};
// {"zones": {"door": {"entered", "left", "inside"}}, "lines": {"gate": {"in", "out", "by_label": {"person":
//  {"in", "out"}}}}}
nlohmann::json to_json(const Counts& counts);

class ZoneMonitor {
 public:
  // Throws tyto::Error(validation_failed) for specs that parse_zone_specs would refuse, or bad options.
  explicit ZoneMonitor(ZoneSpecs specs, ZoneOptions options = {});
  ~ZoneMonitor();
  ZoneMonitor(ZoneMonitor&&) noexcept;
  ZoneMonitor& operator=(ZoneMonitor&&) noexcept;

  // The events of one tracker update, ordered by track id, then zones and lines in their specs' order
  // (ended tracks' leaves last).
  std::vector<ZoneEvent> update(const TrackUpdate& update, int image_width, int image_height, double t_s);
  Counts counts() const;
  const ZoneSpecs& specs() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
