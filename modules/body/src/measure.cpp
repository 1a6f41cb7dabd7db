#include "tyto/body/measure.hpp"

#include "detail/measure_model.hpp"
#include "detail/silhouette.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

namespace tyto::body {

namespace {

using detail::Arm;
using detail::Silhouette;

enum Kp : int {
  kNose = 0,
  kLeftShoulder = 5,
  kRightShoulder = 6,
  kLeftElbow = 7,
  kRightElbow = 8,
  kLeftWrist = 9,
  kRightWrist = 10,
  kLeftHip = 11,
  kRightHip = 12,
  kLeftKnee = 13,
  kRightKnee = 14,
  kLeftAnkle = 15,
  kRightAnkle = 16,
};

// Anatomical levels as fractions t of the way from the shoulder keypoints (t = 0) down to the hip keypoints
// (t = 1), from the stature proportions in docs/modules/body.md: shoulder 0.818 H, chest 0.720 H, lowest rib
// 0.64 H, iliac crest 0.59 H, hip joint 0.530 H.
constexpr double kTorsoFraction = 0.818 - 0.530;
constexpr double kChestLevel = (0.818 - 0.720) / kTorsoFraction;      // 0.34
constexpr double kLowestRibLevel = (0.818 - 0.64) / kTorsoFraction;   // 0.62
constexpr double kIliacCrestLevel = (0.818 - 0.59) / kTorsoFraction;  // 0.79
constexpr double kWaistLevel = (kLowestRibLevel + kIliacCrestLevel) / 2;
constexpr double kHipBandTop = 0.95;     // the buttocks' greatest protrusion is searched from here …
constexpr double kHipBandBottom = 1.30;  // … to here
constexpr double kHipFrontBand = 0.06;   // the widest front row within this of the side's hip level
constexpr double kSampleBand = 0.012;    // widths are the median of the rows within this of a level
constexpr double kArmFallback = 0.13;    // an arm's half-width, of the shoulder distance, when no row shows it
constexpr double kHandFromWrist = 0.74;  // the hand tip beyond the wrist, of the forearm (0.108 H / 0.146 H)
constexpr double kArmJump = 0.04;    // without arm keypoints, a row reaching this far past the seen edge holds an arm
constexpr double kNeckFlare = 1.08;  // the neck ends where the width passes this times its narrowest

constexpr std::string_view kRequired[] = {"height", "chest", "waist", "hip", "neck", "inseam", "shoulder_width"};

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + v.size() / 2;
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

double spread(const std::vector<double>& v) {  // 1.4826 × the median absolute deviation
  const double m = median(v);
  std::vector<double> d;
  for (double x : v) d.push_back(std::abs(x - m));
  return 1.4826 * median(d);
}

double distance(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

// One photo with what is read from it once: its keypoints, silhouette and torso frame.
struct ViewData {
  const View& view;
  const MeasureOptions& options;
  Silhouette silhouette;
  bool framed = false;  // shoulders and hips found, the torso upright
  double shoulder_y = 0;
  double hip_y = 0;
  double torso = 0;  // hip_y − shoulder_y, pixels
  Point shoulder_mid;
  Point hip_mid;
  double frame_score = 0;  // the lowest score among the keypoints the frame used
  std::vector<Arm> arms;
  bool arms_known = false;  // both arms' shoulder, elbow and wrist found

  ViewData(const View& v, const MeasureOptions& o) : view(v), options(o), silhouette(v.mask) {}

  bool valid(int k) const {
    const Keypoint& p = view.keypoints[k];
    return p.score >= options.min_keypoint_score && std::isfinite(p.x) && std::isfinite(p.y);
  }
  Point at(int k) const { return {view.keypoints[k].x, view.keypoints[k].y}; }
  double score(int k) const { return view.keypoints[k].score; }
  bool scaled() const { return view.px_per_mm > 0 && std::isfinite(view.px_per_mm); }
  double y_at(double t) const { return shoulder_y + t * torso; }
  double centre_x(double t) const {
    const double c = std::clamp(t, 0.0, 1.0);
    return shoulder_mid.x + c * (hip_mid.x - shoulder_mid.x);
  }
  // The mean position and lowest score of whichever of a left/right pair was found.
  std::optional<std::pair<Point, double>> pair(int left, int right) const {
    if (valid(left) && valid(right))
      return std::make_pair(Point{(at(left).x + at(right).x) / 2, (at(left).y + at(right).y) / 2},
                            std::min(score(left), score(right)));
    if (valid(left)) return std::make_pair(at(left), score(left));
    if (valid(right)) return std::make_pair(at(right), score(right));
    return std::nullopt;
  }

  void frame() {
    if (silhouette.empty()) return;
    const auto shoulders = pair(kLeftShoulder, kRightShoulder);
    const auto hips = pair(kLeftHip, kRightHip);
    if (!shoulders || !hips) return;
    shoulder_mid = shoulders->first;
    hip_mid = hips->first;
    shoulder_y = shoulder_mid.y;
    hip_y = hip_mid.y;
    torso = hip_y - shoulder_y;
    frame_score = std::min(shoulders->second, hips->second);
    auto inside = [&](Point p) {
      return p.x >= 0 && p.y >= 0 && p.x < silhouette.width() && p.y < silhouette.height();
    };
    framed = torso > 8 && std::abs(hip_mid.x - shoulder_mid.x) < torso && inside(shoulder_mid) && inside(hip_mid);
  }

  void find_arms() {
    if (!framed) return;
    const double shoulder_distance =
        valid(kLeftShoulder) && valid(kRightShoulder) ? distance(at(kLeftShoulder), at(kRightShoulder)) : 0.8 * torso;
    arms_known = true;
    for (const auto& [s, e, w] :
         {std::array{kLeftShoulder, kLeftElbow, kLeftWrist}, std::array{kRightShoulder, kRightElbow, kRightWrist}}) {
      if (!valid(s) || !valid(e) || !valid(w)) arms_known = false;
      if (!valid(s) || !valid(e)) continue;
      std::vector<Point> line{at(s), at(e)};
      if (valid(w)) {
        const Point wrist = at(w);
        line.push_back(wrist);
        line.push_back(
            {wrist.x + kHandFromWrist * (wrist.x - at(e).x), wrist.y + kHandFromWrist * (wrist.y - at(e).y)});
      }
      auto halves = detail::arm_half_widths(silhouette, line, centre_x(0.5), kArmFallback * shoulder_distance);
      arms.push_back({std::move(line), std::move(halves)});
    }
  }

  // One standard deviation of a level, in torso fractions, from the frame's keypoint scores.
  double level_sigma() const { return 0.015 + 0.05 * (1 - clamp01(frame_score)); }
  double edge_sigma() const { return 0.35 + 3.0 * (1 - clamp01(view.mask_margin)); }
  double scale_confidence() const {
    if (!scaled()) return 0;
    return clamp01(1 - (view.px_per_mm_uncertainty / view.px_per_mm - 0.005) / 0.045);
  }
  // A keypoint's score as a confidence factor: 0.6 at the minimum score, 1 at 0.8 and above.
  double keypoint_confidence(double s) const {
    return 0.6 + 0.4 * clamp01((s - options.min_keypoint_score) / (0.8 - options.min_keypoint_score));
  }
  // A length in pixels with its pixel uncertainty → millimetres with the scale's uncertainty added.
  std::pair<double, double> to_mm(double px, double sigma_px) const {
    const double mm = px / view.px_per_mm;
    const double rel = view.px_per_mm_uncertainty / view.px_per_mm;
    return {mm, std::hypot(sigma_px / view.px_per_mm, mm * rel)};
  }
};

// A width (front) or depth (side) read at one level.
struct Sample {
  bool ok = false;
  double t = 0;
  double px = 0;
  double sigma_px = 0;
  bool cut = false;
  bool ambiguous = false;
  double y = 0;
  double left = 0;
  double right = 0;
};

// A side of the front photo's row that no arm line reaches (the arm's keypoints missing) is cut where the
// torso's edge is seen in nearby rows with the arm hanging free, when the row reaches well beyond it: the
// silhouette widening suddenly where an arm meets the torso.
void cut_unseen_arms(const ViewData& v, int y, double cx, double max_distance, int reach, detail::TorsoRow& row) {
  bool covered[2] = {false, false};  // left, right
  for (const Arm& arm : v.arms)
    if (const auto hit = arm.at(y + 0.5)) covered[hit->x > cx ? 1 : 0] = true;
  const double jump = std::max(3.0, kArmJump * v.torso);
  for (const bool right : {false, true}) {
    if (covered[right ? 1 : 0]) continue;
    const auto edge = detail::edge_from_free_rows(v.silhouette, y, cx, max_distance, right, reach,
                                                  std::max(3, static_cast<int>(0.04 * v.torso)));
    if (!edge) continue;
    if (right && row.right > *edge + jump) {
      row.right = *edge;
      row.cut_right = true;
    } else if (!right && row.left < *edge - jump) {
      row.left = *edge;
      row.cut_left = true;
    }
  }
}

// The torso row at y with each arm cut refined from the nearest rows above and below where that side was not
// touched by an arm (the torso's edge interpolated between them), when both lie within reach.
detail::TorsoRow refined_row(const ViewData& v, int y, double cx, double max_distance, bool arms) {
  static const std::vector<Arm> kNoArms;
  const auto& arm_list = arms ? v.arms : kNoArms;
  auto row = detail::torso_row(v.silhouette, y, cx, arm_list, max_distance);
  if (!row.found) return row;
  const int reach = std::max(2, static_cast<int>(0.06 * v.torso));
  if (arms) cut_unseen_arms(v, y, cx, max_distance, reach, row);
  if (!row.cut_left && !row.cut_right) return row;
  for (const bool left_side : {true, false}) {
    if (left_side ? !row.cut_left : !row.cut_right) continue;
    std::optional<std::pair<int, double>> above, below;
    for (int d = 1; d <= reach && (!above || !below); ++d) {
      for (const int sign : {-1, 1}) {
        auto& slot = sign < 0 ? above : below;
        if (slot) continue;
        const auto other = detail::torso_row(v.silhouette, y + sign * d, cx, arm_list, max_distance);
        if (!other.found || other.ambiguous || (left_side ? other.cut_left : other.cut_right)) continue;
        slot = std::make_pair(y + sign * d, left_side ? other.left : other.right);
      }
    }
    if (!above || !below) continue;
    const double f = static_cast<double>(y - above->first) / (below->first - above->first);
    const double edge = above->second + f * (below->second - above->second);
    if (left_side)
      row.left = std::max(row.left, edge);
    else
      row.right = std::min(row.right, edge);
  }
  return row;
}

Sample sample(const ViewData& v, double t, bool arms, double max_distance_t = 0.05) {
  Sample s;
  s.t = t;
  const double yc = v.y_at(t);
  const int band = std::max(1, static_cast<int>(std::lround(kSampleBand * v.torso)));
  const int y0 = static_cast<int>(std::floor(yc));
  std::vector<double> widths;
  std::vector<detail::TorsoRow> rows;
  for (int y = y0 - band; y <= y0 + band; ++y) {
    const double ty = (y + 0.5 - v.shoulder_y) / v.torso;
    const auto row = refined_row(v, y, v.centre_x(ty), max_distance_t * v.torso, arms);
    if (!row.found) continue;
    widths.push_back(row.width());
    rows.push_back(row);
    s.cut = s.cut || row.cut_left || row.cut_right;
    s.ambiguous = s.ambiguous || row.ambiguous;
  }
  if (widths.size() < static_cast<std::size_t>(band + 1)) return s;
  s.ok = true;
  s.px = median(widths);
  const auto& mid = *std::min_element(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    return std::abs(a.width() - s.px) < std::abs(b.width() - s.px);
  });
  s.y = yc;
  s.left = mid.left;
  s.right = mid.right;
  // How fast the width changes with the level turns the level's uncertainty into the width's.
  const double dt = 0.03;
  const auto up = refined_row(v, static_cast<int>(v.y_at(t - dt)), v.centre_x(t - dt), max_distance_t * v.torso, arms);
  const auto down =
      refined_row(v, static_cast<int>(v.y_at(t + dt)), v.centre_x(t + dt), max_distance_t * v.torso, arms);
  const double slope = up.found && down.found ? (down.width() - up.width()) / (2 * dt) : 0;
  double var = 2 * std::pow(v.edge_sigma(), 2) + std::pow(spread(widths), 2) + std::pow(slope * v.level_sigma(), 2);
  if (s.cut)
    var += std::pow(
        0.25 * (v.arms.empty() || v.arms.front().half_widths.empty() ? 0 : v.arms.front().half_widths.front()), 2);
  s.sigma_px = std::sqrt(var);
  return s;
}

// The widest (front) or deepest / most protruding at the back (side) row in [t0, t1]: its t.
std::optional<double> extreme_level(const ViewData& v, double t0, double t1, bool arms, int facing) {
  const int y0 = std::max(0, static_cast<int>(std::floor(v.y_at(t0))));
  const int y1 = std::min(v.silhouette.height() - 1, static_cast<int>(std::ceil(v.y_at(t1))));
  std::vector<double> value;
  std::vector<int> ys;
  for (int y = y0; y <= y1; ++y) {
    const double ty = (y + 0.5 - v.shoulder_y) / v.torso;
    // The run must hold the centre line: below the crotch the centre falls between the legs.
    const auto row = refined_row(v, y, v.centre_x(ty), 0, arms);
    if (!row.found) continue;
    value.push_back(facing > 0 ? -row.left : facing < 0 ? row.right : row.width());
    ys.push_back(y);
  }
  if (value.size() < 3) return std::nullopt;
  std::size_t best = 0;
  double best_value = -1e300;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::vector<double> window;
    for (std::size_t j = i >= 2 ? i - 2 : 0; j <= std::min(value.size() - 1, i + 2); ++j) window.push_back(value[j]);
    const double m = median(window);
    if (m > best_value) {
      best_value = m;
      best = i;
    }
  }
  return (ys[best] + 0.5 - v.shoulder_y) / v.torso;
}

// The neck between rows `top` and `bottom`: its narrowest rows, followed down to where the silhouette flares
// into the shoulders. Returns the level (t < 0) of the neck's base.
std::optional<double> neck_level(const ViewData& v, double top, double bottom, double cx) {
  std::vector<double> widths;
  std::vector<int> ys;
  const int first = static_cast<int>(std::clamp(top, 0.0, static_cast<double>(v.silhouette.height())));
  const int last = static_cast<int>(std::clamp(bottom, 0.0, static_cast<double>(v.silhouette.height())));
  for (int y = first; y < last; ++y) {
    const auto run = v.silhouette.run_at(y, cx, 0.1 * v.torso);
    if (!run) continue;
    widths.push_back(run->width());
    ys.push_back(y);
  }
  if (widths.size() < 5) return std::nullopt;
  std::vector<double> smooth(widths.size());
  for (std::size_t i = 0; i < widths.size(); ++i) {
    std::vector<double> w;
    for (std::size_t j = i >= 2 ? i - 2 : 0; j <= std::min(widths.size() - 1, i + 2); ++j) w.push_back(widths[j]);
    smooth[i] = median(w);
  }
  const auto narrowest = std::min_element(smooth.begin(), smooth.end()) - smooth.begin();
  std::size_t base = narrowest;
  while (base + 1 < smooth.size() && smooth[base + 1] <= kNeckFlare * smooth[narrowest]) ++base;
  return (ys[base] + 0.5 - v.shoulder_y) / v.torso;
}

// In the front view: from a third of the way down from the nose to the shoulders.
std::optional<double> front_neck_level(const ViewData& v) {
  const bool nose = v.valid(kNose) && v.at(kNose).y < v.shoulder_y;
  const double top = nose ? v.at(kNose).y + 0.35 * (v.shoulder_y - v.at(kNose).y) : v.shoulder_y - 0.3 * v.torso;
  const double cx = nose ? (v.at(kNose).x + v.shoulder_mid.x) / 2 : v.shoulder_mid.x;
  return neck_level(v, top, v.shoulder_y, cx);
}

struct Extent {
  int top = -1;
  int bottom = -1;
};

// The head's top above the nose (or the shoulders) and the lowest row under the feet.
Extent extent(const ViewData& v) {
  Extent e;
  if (!v.framed) return e;
  const double half = 0.35 * v.torso;
  const double head_x = v.valid(kNose) ? v.at(kNose).x : v.shoulder_mid.x;
  e.top = v.silhouette.top_row(head_x - half, head_x + half);
  double x0 = v.hip_mid.x - 0.6 * v.torso;
  double x1 = v.hip_mid.x + 0.6 * v.torso;
  e.bottom = v.silhouette.bottom_row(x0, x1);
  return e;
}

Measurement base(std::string name, std::string method) {
  Measurement m;
  m.definition = detail::iso_definition(name);
  m.name = std::move(name);
  m.method = std::move(method);
  return m;
}

struct Site {
  std::string name;
  Sample width;
  Sample depth;
};

Measurement girth(const ViewData& front, const ViewData& side, const Site& site) {
  Measurement m = base(site.name, "ellipse(width, depth)");
  const auto [w, sw] = front.to_mm(site.width.px, site.width.sigma_px);
  const auto [d, sd] = side.to_mm(site.depth.px, site.depth.sigma_px);
  const double k = circumference_coefficient(site.name);
  const double p = ellipse_circumference(w, d);
  const double dpdw = (ellipse_circumference(w + 0.5, d) - ellipse_circumference(w - 0.5, d));
  const double dpdd = (ellipse_circumference(w, d + 0.5) - ellipse_circumference(w, d - 0.5));
  const double k_sigma = detail::circumference_coefficient_sigma(site.name);
  const double sigma = std::sqrt(std::pow(k * dpdw * sw, 2) + std::pow(k * dpdd * sd, 2) + std::pow(p * k_sigma, 2));
  m.value_cm = k * p / 10;
  m.uncertainty_cm = sigma / 10;
  m.width_cm = w / 10;
  m.depth_cm = d / 10;
  m.arm_cut = site.width.cut;
  auto view_confidence = [](const ViewData& v, const Sample& s) {
    double c = v.scale_confidence() * v.keypoint_confidence(v.frame_score) * (0.5 + 0.5 * clamp01(v.view.mask_margin));
    if (s.cut) c *= 0.9;
    if (s.ambiguous) c *= 0.6;
    return c;
  };
  double c = std::min(view_confidence(front, site.width), view_confidence(side, site.depth));
  if (!front.arms_known) c *= 0.9;
  m.confidence = c;
  m.front_lines.push_back({{site.width.left, site.width.y}, {site.width.right, site.width.y}});
  m.side_lines.push_back({{site.depth.left, site.depth.y}, {site.depth.right, site.depth.y}});
  return m;
}

std::optional<Measurement> height_of(const ViewData& v, const Extent& e, std::vector<std::string>& reasons) {
  if (e.top < 0 || e.bottom <= e.top || !v.scaled()) return std::nullopt;
  Measurement m = base("height", "silhouette extent");
  const auto [mm, sigma] = v.to_mm(e.bottom + 1 - e.top, std::hypot(v.edge_sigma(), v.edge_sigma()));
  m.value_cm = mm / 10;
  m.uncertainty_cm = sigma / 10;
  double c = v.scale_confidence() * (0.5 + 0.5 * clamp01(v.view.mask_margin));
  if (e.top == 0) {
    c *= 0.3;
    reasons.push_back("cut_off:head");
  }
  if (e.bottom == v.silhouette.height() - 1) {
    c *= 0.3;
    reasons.push_back("cut_off:feet");
  }
  m.confidence = c;
  const double x = v.shoulder_mid.x;
  m.front_lines.push_back({{x, static_cast<double>(e.top)}, {x, e.bottom + 1.0}});
  return m;
}

}  // namespace

Measurements measure(const View& front_view, const View& side_view, const MeasureOptions& options) {
  Measurements out;
  auto& reasons = out.review_reasons;
  ViewData front(front_view, options);
  ViewData side(side_view, options);
  for (auto* v : {&front, &side}) {
    const char* which = v == &front ? "front" : "side";
    if (v->silhouette.empty()) reasons.push_back(std::string("no_mask:") + which);
    if (!v->scaled()) reasons.push_back(std::string("no_scale:") + which);
    v->frame();
    if (!v->silhouette.empty() && !v->framed) reasons.push_back(std::string("no_torso_keypoints:") + which);
  }
  if ((front.scaled() && front.scale_confidence() < options.review_below) ||
      (side.scaled() && side.scale_confidence() < options.review_below))
    reasons.push_back("low_scale_confidence");
  front.find_arms();

  const Extent front_extent = extent(front);
  const Extent side_extent = extent(side);
  std::optional<Measurement> height;
  if (front.framed) height = height_of(front, front_extent, reasons);

  // Circumferences: a front width and a side depth at the same anatomical level.
  const bool both = front.framed && side.framed && front.scaled() && side.scaled();
  std::vector<Site> sites;
  if (both) {
    for (const auto& [name, t] : {std::pair{"chest", kChestLevel}, std::pair{"waist", kWaistLevel}}) {
      Site s{name, sample(front, t, true), sample(side, t, false)};
      if (s.width.ok && s.depth.ok) sites.push_back(s);
    }
    const int facing = side.valid(kNose) ? (side.at(kNose).x > side.shoulder_mid.x ? 1 : -1) : 0;
    if (const auto t_side = extreme_level(side, kHipBandTop, kHipBandBottom, false, facing)) {
      const auto t_front = extreme_level(front, *t_side - kHipFrontBand, *t_side + kHipFrontBand, true, 0);
      Site s{"hip", sample(front, t_front.value_or(*t_side), true, 0), sample(side, *t_side, false)};
      if (s.width.ok && s.depth.ok) sites.push_back(s);
    }
    if (const auto t_front = front_neck_level(front)) {
      // The side view finds its own neck base near the same level: a level matched only by the keypoints can
      // land a few millimetres into the shoulders. Each is sampled just above its base, out of the flare.
      const double t_side = neck_level(side, side.y_at(*t_front - 0.12),
                                       std::min(side.y_at(*t_front + 0.06), side.shoulder_y), side.shoulder_mid.x)
                                .value_or(*t_front);
      Site s{"neck", sample(front, *t_front - kSampleBand * 1.5, false, 0.15),
             sample(side, t_side - kSampleBand * 1.5, false, 0.15)};
      if (s.width.ok && s.depth.ok) sites.push_back(s);
    }
  }
  for (const Site& s : sites) out.items.push_back(girth(front, side, s));
  if (height) out.items.insert(out.items.begin(), *height);

  // Inseam: the crotch (the top of the gap between the legs) to the floor.
  if (front.framed && front.scaled() && front_extent.bottom > 0) {
    const auto knees = front.pair(kLeftKnee, kRightKnee);
    const auto ankles = front.pair(kLeftAnkle, kRightAnkle);
    const double start = knees && ankles ? (knees->first.y + ankles->first.y) / 2
                                         : front.hip_y + 0.6 * (front_extent.bottom - front.hip_y);
    const double x = ankles ? ankles->first.x : front.hip_mid.x;
    const auto crotch = detail::crotch_row(front.silhouette, static_cast<int>(start), x, 0.3 * front.torso);
    if (crotch && *crotch > front.hip_y - 0.2 * front.torso && *crotch < front_extent.bottom) {
      Measurement m = base("inseam", "silhouette crotch to floor");
      const auto [mm, sigma] =
          front.to_mm(front_extent.bottom + 1 - *crotch, std::hypot(front.edge_sigma(), front.edge_sigma()));
      m.value_cm = mm / 10;
      m.uncertainty_cm = sigma / 10;
      m.confidence = front.scale_confidence() * (0.5 + 0.5 * clamp01(front_view.mask_margin)) *
                     (knees && ankles ? front.keypoint_confidence(std::min(knees->second, ankles->second)) : 0.7);
      m.front_lines.push_back({{x, *crotch}, {x, front_extent.bottom + 1.0}});
      out.items.push_back(m);
    }
  }

  // Keypoint lengths in the front view.
  if (front.scaled() && front.valid(kLeftShoulder) && front.valid(kRightShoulder)) {
    Measurement m = base("shoulder_width", "keypoints");
    const Point a = front.at(kLeftShoulder);
    const Point b = front.at(kRightShoulder);
    const double s = std::min(front.score(kLeftShoulder), front.score(kRightShoulder));
    const double kp_sigma = 1 + 0.03 * (1 - s) * distance(a, b);
    const auto [mm, sigma] = front.to_mm(distance(a, b), std::sqrt(2.0) * kp_sigma);
    m.value_cm = mm / 10;
    m.uncertainty_cm = sigma / 10;
    m.confidence = front.scale_confidence() * front.keypoint_confidence(s);
    m.front_lines.push_back({a, b});
    out.items.push_back(m);
  }
  std::vector<double> arm_lengths;
  double arm_score = 1;
  Measurement arm = base("arm_length", "keypoints");
  for (const auto& [s, e, w] :
       {std::array{kLeftShoulder, kLeftElbow, kLeftWrist}, std::array{kRightShoulder, kRightElbow, kRightWrist}}) {
    if (!front.valid(s) || !front.valid(e) || !front.valid(w)) continue;
    arm_lengths.push_back(distance(front.at(s), front.at(e)) + distance(front.at(e), front.at(w)));
    arm_score = std::min({arm_score, front.score(s), front.score(e), front.score(w)});
    arm.front_lines.push_back({front.at(s), front.at(e)});
    arm.front_lines.push_back({front.at(e), front.at(w)});
  }
  if (front.scaled() && !arm_lengths.empty()) {
    const double px = (arm_lengths.front() + arm_lengths.back()) / 2;
    const double asym = arm_lengths.size() == 2 ? std::abs(arm_lengths[0] - arm_lengths[1]) / 2 : 0.05 * px;
    const auto [mm, sigma] = front.to_mm(px, std::hypot(2 + 0.03 * (1 - arm_score) * px, asym));
    arm.value_cm = mm / 10;
    arm.uncertainty_cm = sigma / 10;
    arm.confidence =
        front.scale_confidence() * front.keypoint_confidence(arm_score) * (arm_lengths.size() == 2 ? 1 : 0.8);
    out.items.push_back(arm);
  }

  // Pose quality: keypoint scores in both views, the front's left/right level, the two heights' agreement.
  double score_sum = 0;
  int score_count = 0;
  for (int k : {0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}) {
    score_sum += clamp01(front_view.keypoints[k].score);
    ++score_count;
  }
  for (int k = 5; k <= 15; k += 2) {  // in profile one of each pair may hide behind the other
    score_sum += clamp01(std::max(side_view.keypoints[k].score, side_view.keypoints[k + 1].score));
    ++score_count;
  }
  // The scores' mean (0.3 → 0, 0.8 → 1) lowered by the worst of: the shoulders' or hips' tilt (0.25 → 0), the
  // arms' length ratio (30 % apart → 0), the two photos' heights (6 % apart → 0).
  const double scores = clamp01((score_sum / score_count - 0.3) / 0.5);
  double penalty = 0;
  for (const auto& [l, r] : {std::pair{kLeftShoulder, kRightShoulder}, std::pair{kLeftHip, kRightHip}}) {
    if (front.valid(l) && front.valid(r))
      penalty = std::max(
          penalty, std::abs(front.at(l).y - front.at(r).y) / std::max(1.0, distance(front.at(l), front.at(r))) / 0.25);
  }
  if (arm_lengths.size() == 2) penalty = std::max(penalty, std::abs(arm_lengths[0] / arm_lengths[1] - 1) / 0.3);
  if (height && side.framed && side.scaled()) {
    if (const auto side_height = height_of(side, side_extent, reasons)) {
      const double rel = std::abs(side_height->value_cm - height->value_cm) / height->value_cm;
      penalty = std::max(penalty, rel / 0.06);
      if (rel > 0.03) reasons.push_back("height_mismatch");
    }
  }
  const double pose = scores * clamp01(1 - penalty);
  out.pose_quality = clamp01(pose);
  if (out.pose_quality < options.review_below) reasons.push_back("pose_quality");

  // Overall: the measurements' mean confidence, weighed by the pose and by how many required ones exist.
  int found = 0;
  for (auto name : kRequired) {
    const bool has =
        std::any_of(out.items.begin(), out.items.end(), [&](const Measurement& m) { return m.name == name; });
    if (has)
      ++found;
    else
      reasons.push_back("missing:" + std::string(name));
  }
  double conf_sum = 0;
  for (const Measurement& m : out.items) {
    conf_sum += m.confidence;
    if (m.confidence < options.review_below) reasons.push_back("low_confidence:" + m.name);
  }
  if (!out.items.empty())
    out.overall_confidence = conf_sum / out.items.size() * (0.5 + 0.5 * out.pose_quality) * found /
                             static_cast<double>(std::size(kRequired));
  if (out.overall_confidence < options.review_below) reasons.push_back("low_confidence");

  auto value = [&](std::string_view name) {
    for (const Measurement& m : out.items)
      if (m.name == name) return m.value_cm;
    return 0.0;
  };
  out.shape = body_shape(value("chest"), value("waist"), value("hip"));
  std::sort(reasons.begin(), reasons.end());
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  out.needs_review = !reasons.empty();
  return out;
}

}  // namespace tyto::body
