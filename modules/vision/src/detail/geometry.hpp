// Plane geometry for zones and lines (private to modules/vision/src). Exact for the doubles given: no
// tolerance but the one the caller passes.
#pragma once

#include "tyto/vision/zones.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tyto::vision::detail {

inline double cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

inline int sign(double v) { return (v > 0) - (v < 0); }

// p on segment a-b, given that it is collinear with them.
inline bool within(const Point& a, const Point& b, const Point& p) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// Whether segments p1-p2 and q1-q2 share a point (touching counts).
inline bool segments_intersect(const Point& p1, const Point& p2, const Point& q1, const Point& q2) {
  const int d1 = sign(cross(q1, q2, p1)), d2 = sign(cross(q1, q2, p2));
  const int d3 = sign(cross(p1, p2, q1)), d4 = sign(cross(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 == 0 && within(q1, q2, p1)) || (d2 == 0 && within(q1, q2, p2)) || (d3 == 0 && within(p1, p2, q1)) ||
         (d4 == 0 && within(p1, p2, q2));
}

inline double distance_to_segment(const Point& p, const Point& a, const Point& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

inline double distance_to_boundary(const Point& p, const std::vector<Point>& polygon) {
  double best = INFINITY;
  for (std::size_t i = 0, n = polygon.size(); i < n; ++i)
    best = std::min(best, distance_to_segment(p, polygon[i], polygon[(i + 1) % n]));
  return best;
}

// Closed polygon: on an edge or a vertex is inside; elsewhere the even-odd rule.
inline bool inside_polygon(const Point& p, const std::vector<Point>& polygon) {
  bool in = false;
  for (std::size_t i = 0, n = polygon.size(), j = n - 1; i < n; j = i++) {
    const Point& a = polygon[j];
    const Point& b = polygon[i];
    if (cross(a, b, p) == 0 && within(a, b, p)) return true;
    // Half-open in y, so a vertex on the ray is counted once.
    if ((a.y > p.y) != (b.y > p.y)) {
      const double x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (p.x < x) in = !in;
    }
  }
  return in;
}

inline double polygon_area(const std::vector<Point>& polygon) {
  double twice = 0;
  for (std::size_t i = 0, n = polygon.size(); i < n; ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % n];
    twice += a.x * b.y - b.x * a.y;
  }
  return std::abs(twice) / 2;
}

}  // namespace tyto::vision::detail
