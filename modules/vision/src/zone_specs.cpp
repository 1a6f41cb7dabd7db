// Zone and line specs from JSON, checked field by field; every problem is collected before one
// validation error is thrown, so an editor can mark them all at once.
#include "detail/geometry.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/zones.hpp"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tyto::vision {
namespace {

using nlohmann::json;

class Problems {
 public:
  void add(const std::string& field, std::string reason) {
    if (!fields_.contains(field)) fields_[field] = std::move(reason);
  }
  void throw_if_any() const {
    if (!fields_.empty()) throw validation_error("invalid zones or lines", fields_);
  }

 private:
  json fields_ = json::object();
};

std::optional<Point> parse_point(const json& j, const std::string& field, Problems& problems) {
  const json *x = nullptr, *y = nullptr;
  if (j.is_array() && j.size() == 2) {
    x = &j[0];
    y = &j[1];
  } else if (j.is_object() && j.contains("x") && j.contains("y")) {
    x = &j["x"];
    y = &j["y"];
  }
  if (!x || !x->is_number() || !y->is_number()) {
    problems.add(field, "must be [x, y] (or {\"x\", \"y\"}) with numbers");
    return std::nullopt;
  }
  const Point p{x->get<double>(), y->get<double>()};
  if (!(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1)) {
    problems.add(field, "x and y must be within 0..1 (normalised to the image's width and height)");
    return std::nullopt;
  }
  return p;
}

std::optional<std::vector<Point>> parse_points(const json& spec, const std::string& field, std::size_t min,
                                               std::size_t max, Problems& problems) {
  const auto it = spec.find("points");
  if (it == spec.end() || !it->is_array()) {
    problems.add(field, "required: an array of [x, y] points");
    return std::nullopt;
  }
  if (it->size() < min || it->size() > max) {
    problems.add(field, min == max ? fmt::format("must have exactly {} points", min)
                                   : fmt::format("must have {} to {} points", min, max));
    return std::nullopt;
  }
  std::vector<Point> points;
  bool ok = true;
  for (std::size_t i = 0; i < it->size(); ++i) {
    auto p = parse_point((*it)[i], fmt::format("{}[{}]", field, i), problems);
    if (p) points.push_back(*p);
    ok = ok && p.has_value();
  }
  if (!ok) return std::nullopt;
  return points;
}

void parse_common(const json& spec, const std::string& prefix, std::set<std::string>& names, std::string& name,
                  std::vector<std::string>& labels, Anchor& anchor, Problems& problems) {
  const auto n = spec.find("name");
  if (n == spec.end() || !n->is_string() || n->get_ref<const std::string&>().empty() ||
      n->get_ref<const std::string&>().size() > kMaxZoneNameLength) {
    problems.add(prefix + ".name", fmt::format("required: a string of 1 to {} characters", kMaxZoneNameLength));
  } else {
    name = n->get<std::string>();
    if (!names.insert(name).second) problems.add(prefix + ".name", fmt::format("\"{}\" is used twice", name));
  }
  if (const auto l = spec.find("labels"); l != spec.end() && !l->is_null()) {
    bool ok = l->is_array();
    for (const auto& label : ok ? *l : json::array()) {
      ok = ok && label.is_string() && !label.get_ref<const std::string&>().empty();
      if (ok) labels.push_back(label.get<std::string>());
    }
    if (!ok) problems.add(prefix + ".labels", "must be an array of non-empty strings");
  }
  if (const auto a = spec.find("anchor"); a != spec.end() && !a->is_null()) {
    const std::string value = a->is_string() ? a->get<std::string>() : "";
    if (value == "bottom_center") {
      anchor = Anchor::kBottomCenter;
    } else if (value == "center") {
      anchor = Anchor::kCenter;
    } else if (value == "top_center") {
      anchor = Anchor::kTopCenter;
    } else {
      problems.add(prefix + ".anchor", "must be \"bottom_center\", \"center\" or \"top_center\"");
    }
  }
}

// Repeated vertices, no area, or two edges that are not neighbours meeting.
void check_polygon(const std::vector<Point>& p, const std::string& field, Problems& problems) {
  const std::size_t n = p.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == p[(i + 1) % n]) {
      problems.add(field, fmt::format("points {} and {} are the same", i, (i + 1) % n));
      return;
    }
  }
  if (detail::polygon_area(p) <= 0) {
    problems.add(field, "the polygon has no area");
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (j == i + 1 || (i == 0 && j == n - 1)) continue;  // neighbours share a vertex
      if (detail::segments_intersect(p[i], p[(i + 1) % n], p[j], p[(j + 1) % n])) {
        problems.add(field, fmt::format("the polygon intersects itself (edges {} and {})", i, j));
        return;
      }
    }
  }
}

json point_json(const Point& p) { return json::array({p.x, p.y}); }

}  // namespace

std::string_view anchor_name(Anchor anchor) noexcept {
  switch (anchor) {
    case Anchor::kCenter:
      return "center";
    case Anchor::kTopCenter:
      return "top_center";
    case Anchor::kBottomCenter:
      break;
  }
  return "bottom_center";
}

ZoneSpecs parse_zone_specs(const json& zones, const json& lines) {
  Problems problems;
  ZoneSpecs out;
  const auto list = [&](const json& j, const char* field) -> const json& {
    static const json empty = json::array();
    if (j.is_null()) return empty;
    if (!j.is_array()) {
      problems.add(field, "must be an array");
      return empty;
    }
    if (j.size() > kMaxZones) {
      problems.add(field, fmt::format("at most {}", kMaxZones));
      return empty;
    }
    return j;
  };
  std::set<std::string> zone_names;
  const json& zone_list = list(zones, "zones");
  for (std::size_t i = 0; i < zone_list.size(); ++i) {
    const std::string prefix = fmt::format("zones[{}]", i);
    const json& spec = zone_list[i];
    if (!spec.is_object()) {
      problems.add(prefix, "must be an object");
      continue;
    }
    ZoneSpec zone;
    parse_common(spec, prefix, zone_names, zone.name, zone.labels, zone.anchor, problems);
    if (auto points = parse_points(spec, prefix + ".points", 3, kMaxZonePoints, problems)) {
      check_polygon(*points, prefix + ".points", problems);
      zone.points = std::move(*points);
    }
    out.zones.push_back(std::move(zone));
  }
  std::set<std::string> line_names;
  const json& line_list = list(lines, "lines");
  for (std::size_t i = 0; i < line_list.size(); ++i) {
    const std::string prefix = fmt::format("lines[{}]", i);
    const json& spec = line_list[i];
    if (!spec.is_object()) {
      problems.add(prefix, "must be an object");
      continue;
    }
    LineSpec line;
    parse_common(spec, prefix, line_names, line.name, line.labels, line.anchor, problems);
    if (auto points = parse_points(spec, prefix + ".points", 2, 2, problems)) {
      if ((*points)[0] == (*points)[1]) problems.add(prefix + ".points", "the two points are the same");
      line.a = (*points)[0];
      line.b = (*points)[1];
    }
    out.lines.push_back(std::move(line));
  }
  problems.throw_if_any();
  return out;
}

json to_json(const ZoneSpecs& specs) {
  json out = {{"zones", json::array()}, {"lines", json::array()}};
  for (const auto& z : specs.zones) {
    json points = json::array();
    for (const auto& p : z.points) points.push_back(point_json(p));
    out["zones"].push_back(
        {{"name", z.name}, {"points", points}, {"labels", z.labels}, {"anchor", anchor_name(z.anchor)}});
  }
  for (const auto& l : specs.lines)
    out["lines"].push_back({{"name", l.name},
                            {"points", json::array({point_json(l.a), point_json(l.b)})},
                            {"labels", l.labels},
                            {"anchor", anchor_name(l.anchor)}});
  return out;
}

}  // namespace tyto::vision
