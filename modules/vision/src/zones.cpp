#include "tyto/vision/zones.hpp"

#include "detail/geometry.hpp"
#include "tyto/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace tyto::vision {
namespace {

using nlohmann::json;

enum class Where : signed char { kUnknown, kOutside, kInside };

struct LineSide {
  int side = 0;  // -1 left, +1 right, 0 not yet seen clear of the line
  Point last;    // the latest anchor clear of the line on that side, in pixels
};

struct TrackState {
  std::string label;
  Point anchor;  // normalised, as last seen
  std::vector<Where> zones;
  std::vector<LineSide> lines;
};

Point anchor_of(const Box& box, Anchor anchor) {
  const double x = box.x + box.width / 2.0;
  switch (anchor) {
    case Anchor::kCenter:
      return {x, box.y + box.height / 2.0};
    case Anchor::kTopCenter:
      return {x, static_cast<double>(box.y)};
    case Anchor::kBottomCenter:
      break;
  }
  return {x, static_cast<double>(box.y + box.height)};
}

bool watches(const std::vector<std::string>& labels, const std::string& label) {
  return labels.empty() || std::find(labels.begin(), labels.end(), label) != labels.end();
}

json point_json(const Point& p) { return json::array({p.x, p.y}); }

}  // namespace

std::string_view event_kind_name(ZoneEventKind kind) noexcept {
  switch (kind) {
    case ZoneEventKind::kLeave:
      return "leave";
    case ZoneEventKind::kCross:
      return "cross";
    case ZoneEventKind::kEnter:
      break;
  }
  return "enter";
}

json to_json(const ZoneEvent& e) {
  json out = {
      {"type", event_kind_name(e.kind)}, {"name", e.name}, {"track_id", e.track_id}, {"label", e.label}, {"t_s", e.t_s},
      {"point", point_json(e.point)}};
  if (e.kind == ZoneEventKind::kCross) out["direction"] = e.direction;
  if (e.track_ended) out["track_ended"] = true;
  return out;
}

json to_json(const Counts& counts) {
  json out = {{"zones", json::object()}, {"lines", json::object()}};
  for (const auto& [name, z] : counts.zones)
    out["zones"][name] = {{"entered", z.entered}, {"left", z.left}, {"inside", z.inside}};
  for (const auto& [name, l] : counts.lines) {
    json by_label = json::object();
    for (const auto& [label, d] : l.by_label) by_label[label] = {{"in", d.in}, {"out", d.out}};
    out["lines"][name] = {{"in", l.total.in}, {"out", l.total.out}, {"by_label", by_label}};
  }
  return out;
}

struct ZoneMonitor::Impl {
  ZoneSpecs specs;
  ZoneOptions options;
  Counts counts;
  std::map<std::int64_t, TrackState> tracks;
  // The specs in the current frame's pixels.
  std::vector<std::vector<Point>> zones_px;
  std::vector<std::pair<Point, Point>> lines_px;

  void to_pixels(int w, int h) {
    const auto px = [&](const Point& p) { return Point{p.x * w, p.y * h}; };
    zones_px.assign(specs.zones.size(), {});
    for (std::size_t i = 0; i < specs.zones.size(); ++i)
      for (const auto& p : specs.zones[i].points) zones_px[i].push_back(px(p));
    lines_px.clear();
    for (const auto& l : specs.lines) lines_px.emplace_back(px(l.a), px(l.b));
  }

  ZoneEvent event(ZoneEventKind kind, const std::string& name, std::int64_t id, const TrackState& s, double t) {
    return {kind, name, id, s.label, t, "", s.anchor, false};
  }

  void zone_step(std::size_t z, const Point& p, double margin, std::int64_t id, TrackState& s, double t,
                 std::vector<ZoneEvent>& out) {
    const auto& polygon = zones_px[z];
    const Where raw = detail::inside_polygon(p, polygon) ? Where::kInside : Where::kOutside;
    Where& where = s.zones[z];
    if (raw == where) return;
    if (where != Where::kUnknown && margin > 0 && detail::distance_to_boundary(p, polygon) <= margin) return;
    where = raw;
    if (raw != Where::kInside) return;  // leaving is told by step(), which knows the state before
    auto& c = counts.zones[specs.zones[z].name];
    ++c.entered;
    ++c.inside;
    out.push_back(event(ZoneEventKind::kEnter, specs.zones[z].name, id, s, t));
  }

  void line_step(std::size_t l, const Point& p, double margin, std::int64_t id, TrackState& s, double t,
                 std::vector<ZoneEvent>& out) {
    const auto& [a, b] = lines_px[l];
    const double signed_distance = detail::cross(a, b, p) / std::hypot(b.x - a.x, b.y - a.y);
    if (std::abs(signed_distance) <= margin || signed_distance == 0) return;  // on the line: no side yet
    const int side = signed_distance > 0 ? 1 : -1;
    LineSide& state = s.lines[l];
    if (state.side != 0 && side != state.side && detail::segments_intersect(state.last, p, a, b)) {
      ZoneEvent e = event(ZoneEventKind::kCross, specs.lines[l].name, id, s, t);
      e.direction = side > 0 ? "in" : "out";  // left (-1) to right (+1) of a->b on the screen is "in"
      auto& c = counts.lines[e.name];
      auto& by_label = c.by_label[s.label];
      ++(side > 0 ? c.total.in : c.total.out);
      ++(side > 0 ? by_label.in : by_label.out);
      out.push_back(std::move(e));
    }
    state.side = side;
    state.last = p;
  }

  void step(const Track& track, int w, int h, double t, std::vector<ZoneEvent>& out) {
    auto [it, fresh] = tracks.try_emplace(track.track_id);
    TrackState& s = it->second;
    if (fresh) {
      s.zones.assign(specs.zones.size(), Where::kUnknown);
      s.lines.assign(specs.lines.size(), {});
    }
    s.label = track.label;
    const double margin = std::max(options.margin_px, options.margin_box * track.box.height);
    for (std::size_t z = 0; z < specs.zones.size(); ++z) {
      if (!watches(specs.zones[z].labels, track.label)) continue;
      const Point p = anchor_of(track.box, specs.zones[z].anchor);
      s.anchor = {p.x / w, p.y / h};
      const Where before = s.zones[z];
      zone_step(z, p, margin, track.track_id, s, t, out);
      if (before == Where::kInside && s.zones[z] == Where::kOutside) leave(z, track.track_id, s, t, false, out);
    }
    for (std::size_t l = 0; l < specs.lines.size(); ++l) {
      if (!watches(specs.lines[l].labels, track.label)) continue;
      const Point p = anchor_of(track.box, specs.lines[l].anchor);
      s.anchor = {p.x / w, p.y / h};
      line_step(l, p, margin, track.track_id, s, t, out);
    }
  }

  void leave(std::size_t z, std::int64_t id, const TrackState& s, double t, bool ended, std::vector<ZoneEvent>& out) {
    auto& c = counts.zones[specs.zones[z].name];
    ++c.left;
    --c.inside;
    ZoneEvent e = event(ZoneEventKind::kLeave, specs.zones[z].name, id, s, t);
    e.track_ended = ended;
    out.push_back(std::move(e));
  }

  std::vector<ZoneEvent> update(const TrackUpdate& update, int w, int h, double t) {
    if (w <= 0 || h <= 0)
      throw validation_error("the image size must be positive", {{"image_width", w}, {"image_height", h}});
    to_pixels(w, h);
    std::vector<ZoneEvent> out;
    std::set<std::int64_t> alive;
    for (const auto& track : update.tracks) {
      alive.insert(track.track_id);
      if (track.missed == 0) step(track, w, h, t, out);
    }
    // Tracks gone (ended, or no longer reported) leave the zones they were in.
    for (auto it = tracks.begin(); it != tracks.end();) {
      if (alive.contains(it->first)) {
        ++it;
        continue;
      }
      for (std::size_t z = 0; z < specs.zones.size(); ++z)
        if (it->second.zones[z] == Where::kInside) leave(z, it->first, it->second, t, true, out);
      it = tracks.erase(it);
    }
    return out;
  }
};

ZoneMonitor::ZoneMonitor(ZoneSpecs specs, ZoneOptions options) : impl_(std::make_unique<Impl>()) {
  if (!(options.margin_px >= 0) || !(options.margin_box >= 0) || !std::isfinite(options.margin_px) ||
      !std::isfinite(options.margin_box))
    throw validation_error("invalid zone options", {{"margin", "margin_px and margin_box must be finite and >= 0"}});
  const auto written = to_json(specs);
  parse_zone_specs(written["zones"], written["lines"]);  // specs built by hand are held to the same rules
  impl_->specs = std::move(specs);
  impl_->options = options;
  for (const auto& z : impl_->specs.zones) impl_->counts.zones[z.name];
  for (const auto& l : impl_->specs.lines) impl_->counts.lines[l.name];
}
ZoneMonitor::~ZoneMonitor() = default;
ZoneMonitor::ZoneMonitor(ZoneMonitor&&) noexcept = default;
ZoneMonitor& ZoneMonitor::operator=(ZoneMonitor&&) noexcept = default;

std::vector<ZoneEvent> ZoneMonitor::update(const TrackUpdate& update, int image_width, int image_height, double t_s) {
  return impl_->update(update, image_width, image_height, t_s);
}

Counts ZoneMonitor::counts() const { return impl_->counts; }
const ZoneSpecs& ZoneMonitor::specs() const noexcept { return impl_->specs; }

}  // namespace tyto::vision
