#include "detail/silhouette.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::body::detail {

Silhouette::Silhouette(const vision::Image& mask) {
  const int channels = std::max(1, mask.channels);
  if (mask.empty() || mask.pixels.size() < static_cast<std::size_t>(mask.width) * mask.height * channels) return;
  width_ = mask.width;
  height_ = mask.height;
  rows_.resize(height_);
  for (int y = 0; y < height_; ++y) {
    const std::uint8_t* row = mask.pixels.data() + static_cast<std::size_t>(y) * width_ * channels;
    auto& runs = rows_[y];
    int start = -1;
    for (int x = 0; x < width_; ++x) {
      const bool person = row[static_cast<std::size_t>(x) * channels] >= 128;
      if (person && start < 0) start = x;
      if (!person && start >= 0) {
        runs.push_back({start, x});
        start = -1;
      }
    }
    if (start >= 0) runs.push_back({start, width_});
  }
}

bool Silhouette::on(int x, int y) const noexcept {
  if (y < 0 || y >= height_ || x < 0 || x >= width_) return false;
  for (const Run& r : rows_[y]) {
    if (r.x0 > x) return false;
    if (x < r.x1) return true;
  }
  return false;
}

const std::vector<Run>& Silhouette::runs(int y) const {
  static const std::vector<Run> kNone;
  if (y < 0 || y >= height_) return kNone;
  return rows_[y];
}

std::optional<Run> Silhouette::run_at(int y, double x, double max_distance) const {
  std::optional<Run> best;
  double best_distance = max_distance;
  for (const Run& r : runs(y)) {
    if (r.contains(x)) return r;
    const double d = x < r.x0 ? r.x0 - x : x - r.x1;
    if (d <= best_distance) {
      best_distance = d;
      best = r;
    }
  }
  return best;
}

namespace {
bool row_has(const std::vector<Run>& runs, double x0, double x1) {
  return std::any_of(runs.begin(), runs.end(), [&](const Run& r) { return r.x1 > x0 && r.x0 < x1; });
}
}  // namespace

int Silhouette::top_row(double x0, double x1) const {
  for (int y = 0; y < height_; ++y)
    if (row_has(rows_[y], x0, x1)) return y;
  return -1;
}

int Silhouette::bottom_row(double x0, double x1) const {
  for (int y = height_ - 1; y >= 0; --y)
    if (row_has(rows_[y], x0, x1)) return y;
  return -1;
}

std::optional<Arm::At> Arm::at(double y) const {
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    const Point a = line[i];
    const Point b = line[i + 1];
    const double lo = std::min(a.y, b.y);
    const double hi = std::max(a.y, b.y);
    if (y < lo || y > hi) continue;
    const double half = i < half_widths.size() ? half_widths[i] : (half_widths.empty() ? 0 : half_widths.back());
    if (hi - lo < 1e-9) return At{(a.x + b.x) / 2, half};
    return At{a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), half};
  }
  return std::nullopt;
}

TorsoRow torso_row(const Silhouette& s, int y, double centre_x, const std::vector<Arm>& arms, double max_distance) {
  TorsoRow row;
  const auto run = s.run_at(y, centre_x, max_distance);
  if (!run) return row;
  row.found = true;
  row.left = run->x0;
  row.right = run->x1;
  for (const Arm& arm : arms) {
    const auto hit = arm.at(y + 0.5);
    if (!hit) continue;
    const double* ax = &hit->x;
    // The arm belongs to this run only when the run reaches the arm's centre line.
    if (*ax > centre_x && row.right > *ax) {
      const double inner = *ax - hit->half_width;
      if (inner <= centre_x) {
        row.ambiguous = true;
      } else if (inner < row.right) {
        row.right = inner;
        row.cut_right = true;
      }
    } else if (*ax < centre_x && row.left < *ax) {
      const double inner = *ax + hit->half_width;
      if (inner >= centre_x) {
        row.ambiguous = true;
      } else if (inner > row.left) {
        row.left = inner;
        row.cut_left = true;
      }
    }
  }
  return row;
}

std::vector<double> arm_half_widths(const Silhouette& s, const std::vector<Point>& line, double torso_centre_x,
                                    double fallback) {
  std::vector<std::optional<double>> found;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    const Point a = line[i];
    const Point b = line[i + 1];
    // The first rows of the upper arm are the shoulder, where arm and torso are one.
    const double skip = i == 0 ? 0.25 * std::abs(b.y - a.y) : 0;
    const int first = static_cast<int>(std::clamp(std::ceil(std::min(a.y, b.y) + skip), 0.0, 1.0 * s.height()));
    const int last = static_cast<int>(std::clamp(std::floor(std::max(a.y, b.y)), -1.0, s.height() - 1.0));
    std::vector<double> halves;
    for (int y = first; y <= last; ++y) {
      if (std::abs(b.y - a.y) < 1e-9) break;
      const double ax = a.x + (b.x - a.x) * (y + 0.5 - a.y) / (b.y - a.y);
      const auto run = s.run_at(y, ax, 0);
      if (!run || run->contains(torso_centre_x)) continue;
      // A run apart from the centre line but wider than the arm could be is not the arm alone.
      if (run->width() > std::abs(ax - torso_centre_x)) continue;
      // The run's width across the segment, corrected for the segment's slant.
      const double slant = std::abs(b.x - a.x) / std::max(1e-9, std::abs(b.y - a.y));
      halves.push_back(run->width() / 2.0 / std::sqrt(1 + slant * slant));
    }
    if (halves.size() >= 5) {
      std::nth_element(halves.begin(), halves.begin() + halves.size() / 2, halves.end());
      found.push_back(halves[halves.size() / 2]);
    } else {
      found.push_back(std::nullopt);
    }
  }
  std::vector<double> out(found.size(), fallback);
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (found[i]) {
      out[i] = *found[i];
      continue;
    }
    for (std::size_t d = 1; d < found.size(); ++d) {
      if (i + d < found.size() && found[i + d]) {
        out[i] = *found[i + d];
        break;
      }
      if (i >= d && found[i - d]) {
        out[i] = *found[i - d];
        break;
      }
    }
  }
  return out;
}

namespace {
// The torso's edge on one side of row y when a separate, narrower run (an arm) stands apart on that side.
std::optional<double> free_edge(const Silhouette& s, int y, double centre_x, double max_distance, bool right_side) {
  const auto torso = s.run_at(y, centre_x, max_distance);
  if (!torso) return std::nullopt;
  for (const Run& r : s.runs(y)) {
    const bool beside = right_side ? r.x0 >= torso->x1 : r.x1 <= torso->x0;
    if (!beside || r.width() >= torso->width() / 2) continue;
    const double gap = right_side ? r.x0 - torso->x1 : torso->x0 - r.x1;
    if (gap <= torso->width()) return right_side ? torso->x1 : torso->x0;
  }
  return std::nullopt;
}
}  // namespace

std::optional<double> edge_from_free_rows(const Silhouette& s, int y, double centre_x, double max_distance,
                                          bool right_side, int reach, int fit_rows) {
  if (free_edge(s, y, centre_x, max_distance, right_side)) return std::nullopt;
  std::optional<std::pair<int, double>> above, below;
  for (int d = 1; d <= reach && (!above || !below); ++d) {
    if (!above)
      if (const auto e = free_edge(s, y - d, centre_x, max_distance, right_side)) above = std::make_pair(y - d, *e);
    if (!below)
      if (const auto e = free_edge(s, y + d, centre_x, max_distance, right_side)) below = std::make_pair(y + d, *e);
  }
  if (above && below) {
    const double f = static_cast<double>(y - above->first) / (below->first - above->first);
    return above->second + f * (below->second - above->second);
  }
  if (!above && !below) return std::nullopt;
  // One side only: a least-squares line through the free rows beyond the nearest one.
  const auto& [start, edge] = above ? *above : *below;
  const int step = above ? -1 : 1;
  double n = 0, sy = 0, se = 0, syy = 0, sye = 0;
  for (int k = 0, row = start; k < fit_rows; ++k, row += step) {
    const auto e = free_edge(s, row, centre_x, max_distance, right_side);
    if (!e) continue;
    n += 1;
    sy += row;
    se += *e;
    syy += 1.0 * row * row;
    sye += row * *e;
  }
  const double denominator = n * syy - sy * sy;
  if (n < 3 || std::abs(denominator) < 1e-9) return edge;
  const double slope = (n * sye - sy * se) / denominator;
  return (se - slope * sy) / n + slope * y;
}

namespace {
// The background gap holding x on row y, as [left, right): nullopt when x is on the person or outside.
std::optional<std::pair<int, int>> gap_at(const Silhouette& s, int y, double x) {
  if (y < 0 || y >= s.height() || x < 0 || x >= s.width()) return std::nullopt;
  int left = 0;
  for (const Run& r : s.runs(y)) {
    if (r.contains(x)) return std::nullopt;
    if (r.x0 > x) return std::make_pair(left, r.x0);
    left = r.x1;
  }
  return std::make_pair(left, s.width());
}
}  // namespace

std::optional<double> crotch_row(const Silhouette& s, int start_y, double x, double max_distance) {
  auto gap = gap_at(s, start_y, x);
  if (!gap) {
    // x fell on a leg: try the nearest gap within reach.
    for (double d = 1; d <= max_distance && !gap; d += 1) {
      if ((gap = gap_at(s, start_y, x - d)))
        x -= d;
      else if ((gap = gap_at(s, start_y, x + d)))
        x += d;
    }
    if (!gap) return std::nullopt;
  }
  // A gap that reaches the image border is outside the legs, not between them.
  if (gap->first == 0 || gap->second == s.width()) return std::nullopt;
  int y = start_y;
  double centre = (gap->first + gap->second) / 2.0;
  while (y > 0) {
    const auto above = gap_at(s, y - 1, centre);
    if (!above || above->first == 0 || above->second == s.width()) break;
    --y;
    centre = (above->first + above->second) / 2.0;
  }
  return static_cast<double>(y);
}

}  // namespace tyto::body::detail
