// Zones and lines (tyto/vision/zones.hpp) on tracks whose paths are known: walking through a polygon,
// crossing a line both ways, jittering on it; and the validation of zone and line specs from JSON.
#include "tyto/vision/zones.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tyto;
using nlohmann::json;
using vision::ZoneEventKind;

namespace {

// One confirmed track whose box's bottom-centre (its default anchor) is at (x, y) pixels.
vision::TrackUpdate at(double x, double y, std::int64_t id = 1, const std::string& label = "person", int h = 100) {
  vision::TrackUpdate u;
  vision::Track t;
  t.track_id = id;
  t.label = label;
  t.box = {static_cast<int>(std::lround(x)) - 20, static_cast<int>(std::lround(y)) - h, 40, h};
  u.tracks.push_back(t);
  return u;
}

vision::ZoneSpecs specs(const json& zones, const json& lines = nullptr) {
  return vision::parse_zone_specs(zones, lines);
}

const json kSquare =
    json::array({{{"name", "square"}, {"points", {{0.25, 0.25}, {0.75, 0.25}, {0.75, 0.75}, {0.25, 0.75}}}}});

json fields_of(const json& zones, const json& lines) {
  try {
    vision::parse_zone_specs(zones, lines);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    return e.details()["fields"];
  }
  FAIL("the specs were accepted: " << zones.dump() << " " << lines.dump());
  return {};
}

}  // namespace

TEST_CASE("A track walking through a zone enters once and leaves once", "[vision][track][zones]") {
  vision::ZoneMonitor monitor(specs(kSquare));
  std::vector<std::pair<int, vision::ZoneEvent>> events;
  // Left to right across a 640x480 frame at the zone's middle height, 4 px per frame.
  for (int f = 0; f <= 160; ++f) {
    const double x = f * 4;
    for (auto& e : monitor.update(at(x, 240), 640, 480, f * 0.1)) events.emplace_back(f, e);
    const auto inside = monitor.counts().zones.at("square").inside;
    CHECK(inside == (x > 160 + 5 && x <= 480 + 5 ? 1 : 0));  // the dead band: 5% of a 100 px box
  }
  REQUIRE(events.size() == 2);
  CHECK(events[0].second.kind == ZoneEventKind::kEnter);
  CHECK(events[0].first == 42);  // x = 168, clear of the edge at 160 by more than 5 px
  CHECK(events[0].second.name == "square");
  CHECK(events[0].second.track_id == 1);
  CHECK(events[0].second.label == "person");
  CHECK(events[0].second.t_s == Approx(4.2));
  CHECK(events[0].second.point.x == Approx(168.0 / 640));
  CHECK(events[0].second.point.y == Approx(0.5));
  CHECK(events[1].second.kind == ZoneEventKind::kLeave);
  CHECK(events[1].first == 122);  // x = 488
  CHECK_FALSE(events[1].second.track_ended);
  const auto c = monitor.counts().zones.at("square");
  CHECK(c.entered == 1);
  CHECK(c.left == 1);
  CHECK(c.inside == 0);
  CHECK(vision::to_json(events[0].second) == json{{"type", "enter"},
                                                  {"name", "square"},
                                                  {"track_id", 1},
                                                  {"label", "person"},
                                                  {"t_s", 4.2},
                                                  {"point", {168.0 / 640, 0.5}}});
}

TEST_CASE("Zones in normalised coordinates give the same events at any image size", "[vision][track][zones]") {
  std::vector<std::vector<std::pair<int, std::string>>> runs;
  for (const auto& [w, h] : {std::pair{640, 360}, {1280, 720}, {1920, 1080}, {320, 320}}) {
    vision::ZoneMonitor monitor(specs(kSquare));
    std::vector<std::pair<int, std::string>> seen;
    // A diagonal walk through the zone, in the same normalised steps; boxes scale with the frame.
    for (int f = 0; f <= 100; ++f) {
      const double nx = f / 100.0, ny = 0.1 + 0.8 * f / 100.0;
      for (const auto& e : monitor.update(at(nx * w, ny * h, 7, "person", h / 5), w, h, f))
        seen.emplace_back(f, std::string(vision::event_kind_name(e.kind)));
    }
    runs.push_back(seen);
  }
  REQUIRE(runs[0].size() == 2);
  CHECK(runs[0][0].second == "enter");
  CHECK(runs[0][1].second == "leave");
  CHECK(runs[1] == runs[0]);
  CHECK(runs[2] == runs[0]);
  // The dead band is in pixels, so at another aspect ratio it is another fraction of the width: the
  // same events, a step later at most.
  REQUIRE(runs[3].size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(runs[3][i].second == runs[0][i].second);
    CHECK(std::abs(runs[3][i].first - runs[0][i].first) <= 1);
  }
}

TEST_CASE("A track appearing inside enters at once, and one ending inside leaves with track_ended",
          "[vision][track][zones]") {
  vision::ZoneMonitor monitor(specs(kSquare));
  auto events = monitor.update(at(320, 240, 3), 640, 480, 0);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == ZoneEventKind::kEnter);
  // Coasting (missed > 0) it stays where it was, even if its predicted box drifts out.
  auto coasting = at(10, 10, 3);
  coasting.tracks[0].missed = 2;
  CHECK(monitor.update(coasting, 640, 480, 1).empty());
  CHECK(monitor.counts().zones.at("square").inside == 1);
  vision::TrackUpdate ended;
  ended.ended.push_back(coasting.tracks[0]);
  events = monitor.update(ended, 640, 480, 2);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == ZoneEventKind::kLeave);
  CHECK(events[0].track_ended);
  CHECK(events[0].t_s == 2);
  CHECK(vision::to_json(events[0])["track_ended"] == true);
  CHECK(monitor.counts().zones.at("square").inside == 0);
}

TEST_CASE("A point on a zone's edge is inside, and labels limit what a zone watches", "[vision][track][zones]") {
  vision::ZoneMonitor exact(specs(kSquare), {.margin_px = 0, .margin_box = 0});
  CHECK(exact.update(at(160, 240), 640, 480, 0).size() == 1);  // on the left edge
  CHECK(exact.update(at(159, 240), 640, 480, 1).size() == 1);  // a pixel outside: leaves
  vision::ZoneMonitor corner(specs(kSquare), {.margin_px = 0, .margin_box = 0});
  CHECK(corner.update(at(480, 360), 640, 480, 0).size() == 1);  // on a vertex
  vision::ZoneMonitor outside(specs(kSquare), {.margin_px = 0, .margin_box = 0});
  CHECK(outside.update(at(481, 361), 640, 480, 0).empty());

  auto cars_only = kSquare;
  cars_only[0]["labels"] = {"car"};
  vision::ZoneMonitor monitor(specs(cars_only));
  CHECK(monitor.update(at(320, 240, 1, "person"), 640, 480, 0).empty());
  CHECK(monitor.update(at(320, 240, 2, "car"), 640, 480, 1).size() == 1);
  CHECK_THROWS_AS(monitor.update(at(320, 240), 0, 480, 2), Error);
}

TEST_CASE("A concave zone follows the even-odd rule", "[vision][track][zones]") {
  // A U shape: the notch between its arms is outside.
  const json u = json::array(
      {{{"name", "u"},
        {"points", {{0.1, 0.1}, {0.3, 0.1}, {0.3, 0.6}, {0.7, 0.6}, {0.7, 0.1}, {0.9, 0.1}, {0.9, 0.9}, {0.1, 0.9}}}}});
  vision::ZoneMonitor arm(specs(u)), notch(specs(u)), base(specs(u));
  CHECK(arm.update(at(0.2 * 1000, 0.3 * 1000), 1000, 1000, 0).size() == 1);
  CHECK(notch.update(at(0.5 * 1000, 0.3 * 1000), 1000, 1000, 0).empty());
  CHECK(base.update(at(0.5 * 1000, 0.8 * 1000), 1000, 1000, 0).size() == 1);
}

TEST_CASE("Line crossings are counted in both directions, each time", "[vision][track][lines]") {
  // A line drawn left to right across the middle of the frame: going down is "in".
  const json lines = json::array({{{"name", "gate"}, {"points", {{0.1, 0.5}, {0.9, 0.5}}}}});
  vision::ZoneMonitor monitor(specs(nullptr, lines));
  std::vector<vision::ZoneEvent> events;
  const auto walk = [&](double from, double to, std::int64_t id, const std::string& label, double x = 320) {
    const int steps = 20;
    for (int i = 0; i <= steps; ++i)
      for (auto& e : monitor.update(at(x, from + (to - from) * i / steps, id, label), 640, 480, events.size()))
        events.push_back(e);
  };
  walk(100, 400, 1, "person");  // down: in
  walk(400, 100, 1, "person");  // up: out
  walk(100, 400, 1, "person");  // down again: in
  walk(400, 100, 2, "car");     // another track, up: out
  REQUIRE(events.size() == 4);
  CHECK(events[0].kind == ZoneEventKind::kCross);
  CHECK(events[0].direction == "in");
  CHECK(events[1].direction == "out");
  CHECK(events[2].direction == "in");
  CHECK(events[3].direction == "out");
  CHECK(events[3].track_id == 2);
  const auto c = monitor.counts().lines.at("gate");
  CHECK(c.total.in == 2);
  CHECK(c.total.out == 2);
  CHECK(c.by_label.at("person").in == 2);
  CHECK(c.by_label.at("person").out == 1);
  CHECK(c.by_label.at("car").out == 1);
  CHECK(vision::to_json(monitor.counts())["lines"]["gate"] ==
        json{{"in", 2},
             {"out", 2},
             {"by_label", {{"car", {{"in", 0}, {"out", 1}}}, {"person", {{"in", 2}, {"out", 1}}}}}});
  // Passing beside the segment, beyond its end, is no crossing.
  walk(100, 400, 3, "person", 620);
  CHECK(monitor.counts().lines.at("gate").total.in == 2);
  // Drawn the other way round, the same walk down is "out".
  vision::ZoneMonitor reversed(specs(nullptr, json::array({{{"name", "gate"}, {"points", {{0.9, 0.5}, {0.1, 0.5}}}}})));
  std::string direction;
  for (int y = 100; y <= 400; y += 15)
    for (const auto& e : reversed.update(at(320, y), 640, 480, y)) direction = e.direction;
  CHECK(direction == "out");
}

TEST_CASE("A track jittering on a line is counted once, and one that touches it and turns back not at all",
          "[vision][track][lines]") {
  const json lines = json::array({{{"name", "gate"}, {"points", {{0.0, 0.5}, {1.0, 0.5}}}}});
  vision::ZoneMonitor monitor(specs(nullptr, lines));
  int t = 0;
  int crossings = 0;
  const auto step = [&](double y) { crossings += static_cast<int>(monitor.update(at(320, y), 640, 480, t++).size()); };
  for (double y = 150; y < 236; y += 5) step(y);
  // On the line (y = 240) the box's bottom wobbles by up to 4 px either side for 30 frames: within the
  // dead band of 5 px (5% of the 100 px box), so the track stays on its side.
  for (int i = 0; i < 30; ++i) step(240 + (i % 2 ? 4 : -4));
  CHECK(crossings == 0);
  // Through, then wobbling just past the line: one crossing.
  for (double y = 236; y < 260; y += 3) step(y);
  for (int i = 0; i < 30; ++i) step(240 + (i % 2 ? 4 : -3));
  CHECK(crossings == 1);
  CHECK(monitor.counts().lines.at("gate").total.in == 1);
  CHECK(monitor.counts().lines.at("gate").total.out == 0);
  // Without a dead band the same wobble counts every swing.
  vision::ZoneMonitor bare(specs(nullptr, lines), {.margin_px = 0, .margin_box = 0});
  int swings = 0;
  for (int i = 0; i < 30; ++i)
    swings += static_cast<int>(bare.update(at(320, 240 + (i % 2 ? 4 : -4)), 640, 480, i).size());
  CHECK(swings == 29);
}

TEST_CASE("Zone and line specs are parsed, and written back in the same shape", "[vision][track][zones]") {
  const json zones = json::array({{{"name", "door"},
                                   {"points", {{0, 0}, {1, 0}, json{{"x", 1}, {"y", 1}}}},
                                   {"labels", {"person"}},
                                   {"anchor", "center"},
                                   {"colour", "#ff0000"}}});
  const json lines = json::array({{{"name", "gate"}, {"points", {{0.1, 0.5}, {0.9, 0.5}}}}});
  const auto s = vision::parse_zone_specs(zones, lines);
  REQUIRE(s.zones.size() == 1);
  CHECK(s.zones[0].points[2] == vision::Point{1, 1});
  CHECK(s.zones[0].anchor == vision::Anchor::kCenter);
  CHECK(s.zones[0].labels == std::vector<std::string>{"person"});
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].anchor == vision::Anchor::kBottomCenter);
  const auto back = vision::to_json(s);
  CHECK(back["zones"][0]["points"] == json{{0, 0}, {1, 0}, {1, 1}});
  CHECK(back["lines"][0]["anchor"] == "bottom_center");
  const auto again = vision::parse_zone_specs(back["zones"], back["lines"]);
  CHECK(vision::to_json(again) == back);
  CHECK(vision::parse_zone_specs(nullptr, nullptr).zones.empty());
  CHECK(vision::parse_zone_specs(json::array(), nullptr).lines.empty());
}

TEST_CASE("Invalid zone and line specs fail validation naming each field", "[vision][track][zones]") {
  const json square = {{0.1, 0.1}, {0.4, 0.1}, {0.4, 0.4}, {0.1, 0.4}};
  auto f = fields_of(json::array({{{"name", "a"}, {"points", {{0.1, 0.1}, {0.2, 0.2}}}},
                                  {{"name", "b"}, {"points", {{0.1, 0.1}, {1.2, 0.1}, {0.5, 0.5}}}},
                                  {{"name", "a"}, {"points", square}},
                                  {{"name", "bow"}, {"points", {{0.1, 0.1}, {0.4, 0.4}, {0.4, 0.1}, {0.1, 0.4}}}},
                                  {{"name", "flat"}, {"points", {{0.1, 0.1}, {0.2, 0.2}, {0.3, 0.3}}}},
                                  {{"name", ""}, {"points", square}, {"anchor", "feet"}, {"labels", {"person", 3}}},
                                  "zone",
                                  {{"name", "twice"}, {"points", {{0.1, 0.1}, {0.1, 0.1}, {0.3, 0.3}}}},
                                  {{"name", "nopoints"}}}),
                     json::array({{{"name", "l"}, {"points", {{0.1, 0.1}, {0.2, 0.2}, {0.3, 0.3}}}},
                                  {{"name", "dot"}, {"points", {{0.5, 0.5}, {0.5, 0.5}}}},
                                  {{"name", "l"}, {"points", {{0.1, 0.1}, {"x", 0.2}}}}}));
  INFO(f.dump(2));
  CHECK(f.contains("zones[0].points"));
  CHECK(f.contains("zones[1].points[1]"));
  CHECK(f.contains("zones[2].name"));
  CHECK(f["zones[3].points"].get<std::string>().find("intersects itself") != std::string::npos);
  CHECK(f.contains("zones[4].points"));
  CHECK(f.contains("zones[5].name"));
  CHECK(f.contains("zones[5].anchor"));
  CHECK(f.contains("zones[5].labels"));
  CHECK(f.contains("zones[6]"));
  CHECK(f.contains("zones[7].points"));
  CHECK(f.contains("zones[8].points"));
  CHECK(f.contains("lines[0].points"));
  CHECK(f.contains("lines[1].points"));
  CHECK(f.contains("lines[2].name"));
  CHECK(f.contains("lines[2].points[1]"));
  CHECK(f.size() == 15);
  CHECK(fields_of(json::object(), nullptr).contains("zones"));
  CHECK(fields_of(nullptr, "gate").contains("lines"));
  json many = json::array();
  for (std::size_t i = 0; i <= vision::kMaxZones; ++i)
    many.push_back({{"name", std::to_string(i)}, {"points", square}});
  CHECK(fields_of(many, nullptr).contains("zones"));
  // Specs built by hand are checked by the monitor the same way.
  vision::ZoneSpecs by_hand;
  by_hand.lines.push_back({"dot", {0.5, 0.5}, {0.5, 0.5}, {}, vision::Anchor::kCenter});
  try {
    vision::ZoneMonitor monitor(by_hand);
    FAIL("a line of no length was taken");
  } catch (const Error& e) {
    CHECK(e.details()["fields"].contains("lines[0].points"));
  }
}
