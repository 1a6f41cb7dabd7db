#include "tyto/body/card.hpp"

#include "tyto/core/error.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <vector>

namespace tyto::body {
namespace {

constexpr double kCardAspect = kCardWidthMm / kCardHeightMm;
constexpr int kMaxWorkingSide = 1600;  // larger photos are searched at this size; the scale is mapped back
constexpr double kMinSupport = 0.7;    // the share of a side's samples that must find an edge

// a·x + b·y + c = 0 with (a, b) a unit normal.
struct Line {
  double a = 0, b = 0, c = 0;
  double distance(cv::Point2d p) const { return a * p.x + b * p.y + c; }
};

Line line_through(cv::Point2d p, cv::Point2d q) {
  const cv::Point2d d = q - p;
  const double n = std::hypot(d.x, d.y);
  if (n == 0) return {};
  const double a = -d.y / n, b = d.x / n;
  return {a, b, -(a * p.x + b * p.y)};
}

// Total least squares: the line through the centroid along the points' main axis.
std::optional<Line> fit_line(const std::vector<cv::Point2d>& pts) {
  if (pts.size() < 4) return std::nullopt;
  cv::Point2d m{0, 0};
  for (const auto& p : pts) m += p;
  m *= 1.0 / static_cast<double>(pts.size());
  double sxx = 0, sxy = 0, syy = 0;
  for (const auto& p : pts) {
    const cv::Point2d d = p - m;
    sxx += d.x * d.x, sxy += d.x * d.y, syy += d.y * d.y;
  }
  const double theta = 0.5 * std::atan2(2 * sxy, sxx - syy);  // direction of largest spread
  const double a = -std::sin(theta), b = std::cos(theta);
  return Line{a, b, -(a * m.x + b * m.y)};
}

std::optional<cv::Point2d> intersect(const Line& l, const Line& m) {
  const double det = l.a * m.b - l.b * m.a;
  if (std::abs(det) < 1e-9) return std::nullopt;
  return cv::Point2d{(l.b * m.c - m.b * l.c) / det, (m.a * l.c - l.a * m.c) / det};
}

cv::Vec3f sample(const cv::Mat& img, double x, double y) {
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= img.cols || y0 + 1 >= img.rows) return {-1e6f, 0, 0};
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  const auto* r0 = img.ptr<cv::Vec3f>(y0);
  const auto* r1 = img.ptr<cv::Vec3f>(y0 + 1);
  return (r0[x0] * (1 - fx) + r0[x0 + 1] * fx) * (1 - fy) + (r1[x0] * (1 - fx) + r1[x0 + 1] * fx) * fy;
}

struct SideFit {
  Line line;
  double rms = 0;       // residual of the edge points about the line, px
  int points = 0;       // edge points kept
  double support = 0;   // kept / sampled
  double contrast = 0;  // median colour step across the edge (CIELAB units)
};

// Moves a side's line onto the strongest colour edge near it: samples along the middle of the side (away
// from the rounded corners), a sub-pixel peak of the colour difference across the line at each sample, a
// line through those peaks with outliers dropped.
SideFit refine_side(const cv::Mat& lab, cv::Point2d p0, cv::Point2d p1, const Line& line, double search) {
  SideFit fit{line};
  const double length = cv::norm(p1 - p0);
  const int samples = std::clamp(static_cast<int>(length / 2), 10, 160);
  const cv::Point2d n{line.a, line.b};
  constexpr double kStep = 0.25, kHalf = 0.75;
  const int steps = static_cast<int>(search / kStep);
  std::vector<cv::Point2d> pts;
  std::vector<double> strengths;
  std::vector<double> profile(2 * steps + 1);
  for (int i = 0; i < samples; ++i) {
    const double t = 0.12 + 0.76 * (i + 0.5) / samples;
    cv::Point2d q = p0 + (p1 - p0) * t;
    q -= n * line.distance(q);  // onto the current line
    int best = -1;
    for (int k = -steps; k <= steps; ++k) {
      const cv::Point2d at = q + n * (k * kStep);
      const cv::Vec3f before = sample(lab, at.x - n.x * kHalf, at.y - n.y * kHalf);
      const cv::Vec3f after = sample(lab, at.x + n.x * kHalf, at.y + n.y * kHalf);
      if (before[0] < -1e5f || after[0] < -1e5f) {
        profile[k + steps] = -1;
        continue;
      }
      profile[k + steps] = cv::norm(after - before);
      if (best < 0 || profile[k + steps] > profile[best]) best = k + steps;
    }
    if (best <= 0 || best >= 2 * steps || profile[best] < 3.0) continue;
    const double ym = profile[best - 1], y0 = profile[best], yp = profile[best + 1];
    const double denom = ym - 2 * y0 + yp;
    const double offset = denom < 0 ? std::clamp(0.5 * (ym - yp) / denom, -0.5, 0.5) : 0.0;
    pts.push_back(q + n * ((best - steps + offset) * kStep));
    strengths.push_back(y0);
  }
  if (pts.size() < 6) return fit;
  auto current = fit_line(pts);
  if (!current) return fit;
  std::vector<cv::Point2d> kept = pts;
  for (int round = 0; round < 2; ++round) {
    std::vector<double> residuals;
    for (const auto& p : pts) residuals.push_back(std::abs(current->distance(p)));
    std::vector<double> sorted = residuals;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double limit = std::max(0.35, 3.0 * 1.4826 * sorted[sorted.size() / 2]);
    kept.clear();
    for (std::size_t i = 0; i < pts.size(); ++i)
      if (residuals[i] <= limit) kept.push_back(pts[i]);
    if (kept.size() < 6) return fit;
    current = fit_line(kept);
    if (!current) return fit;
  }
  double ss = 0;
  for (const auto& p : kept) ss += current->distance(p) * current->distance(p);
  // Keep the normal's orientation so that "distance" keeps its sign convention.
  if (current->a * line.a + current->b * line.b < 0) *current = {-current->a, -current->b, -current->c};
  std::nth_element(strengths.begin(), strengths.begin() + strengths.size() / 2, strengths.end());
  fit.line = *current;
  fit.rms = std::sqrt(ss / static_cast<double>(kept.size()));
  fit.points = static_cast<int>(kept.size());
  fit.support = static_cast<double>(kept.size()) / samples;
  fit.contrast = strengths[strengths.size() / 2];
  return fit;
}

double shoelace(const std::array<cv::Point2d, 4>& q) {
  double s = 0;
  for (int i = 0; i < 4; ++i) s += q[i].x * q[(i + 1) % 4].y - q[(i + 1) % 4].x * q[i].y;
  return s / 2;
}

bool convex(const std::array<cv::Point2d, 4>& q) {
  int sign = 0;
  for (int i = 0; i < 4; ++i) {
    const cv::Point2d a = q[(i + 1) % 4] - q[i], b = q[(i + 2) % 4] - q[(i + 1) % 4];
    const double cross = a.x * b.y - a.y * b.x;
    const int s = cross > 0 ? 1 : cross < 0 ? -1 : 0;
    if (s == 0 || (sign != 0 && s != sign)) return false;
    sign = s;
  }
  return true;
}

cv::Vec3d homogeneous(cv::Point2d p) { return {p.x, p.y, 1.0}; }

struct Camera {
  double f = 0;
  cv::Point2d centre;
  bool estimated = false;  // f from the quad itself (else the default)
};

// Zhang & He's rectangle rectification ("Whiteboard scanning and image enhancement", 2007): the focal
// length from the quad's two vanishing points, principal point at the image centre, square pixels; then
// the rectangle's true width/height ratio. q is clockwise; q[0]→q[1] is the side taken as the width.
double rectified_aspect(const std::array<cv::Point2d, 4>& q, Camera& camera, bool estimate = true) {
  const cv::Vec3d m1 = homogeneous(q[0]), m2 = homogeneous(q[1]), m4 = homogeneous(q[2]), m3 = homogeneous(q[3]);
  const double k2 = m1.cross(m4).dot(m3) / m2.cross(m4).dot(m3);
  const double k3 = m1.cross(m4).dot(m2) / m3.cross(m4).dot(m2);
  const cv::Vec3d n2 = k2 * m2 - m1, n3 = k3 * m3 - m1;
  const double u0 = camera.centre.x, v0 = camera.centre.y;
  const double denom = n2[2] * n3[2];
  const double default_f = camera.f;
  if (estimate && std::abs(denom) > 1e-12) {
    const double f2 = -((n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0) +
                        (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)) /
                      denom;
    // Trusted only where the quad is far enough from a parallelogram for f to be measurable.
    if (f2 > 0) {
      const double f = std::sqrt(f2);
      if (f > 0.4 * default_f && f < 3.0 * default_f) {
        camera.f = f;
        camera.estimated = true;
      }
    }
  }
  const double f = camera.f;
  const auto norm2 = [&](const cv::Vec3d& n) {
    const double x = (n[0] - u0 * n[2]) / f, y = (n[1] - v0 * n[2]) / f;
    return x * x + y * y + n[2] * n[2];
  };
  return std::sqrt(norm2(n2) / norm2(n3));
}

struct Candidate {
  std::array<cv::Point2d, 4> corners;  // clockwise, corners[0]→[1] the long side
  std::array<SideFit, 4> sides;
  double area_fraction = 0;
  double aspect = 0;  // rectified long/short
  Camera camera;
  std::string refused;
  double score = 0;
};

cv::Mat to_rgb_mat(const vision::Image& image) {
  const int type = image.channels == 1 ? CV_8UC1 : image.channels == 4 ? CV_8UC4 : CV_8UC3;
  const cv::Mat view(image.height, image.width, type, const_cast<std::uint8_t*>(image.pixels.data()));
  cv::Mat rgb;
  if (image.channels == 1)
    cv::cvtColor(view, rgb, cv::COLOR_GRAY2RGB);
  else if (image.channels == 4)
    cv::cvtColor(view, rgb, cv::COLOR_RGBA2RGB);
  else
    rgb = view;
  return rgb;
}

// Edges of each CIELAB channel, so that a white card on a light table (little lightness step) and a card
// whose colour differs from the background only in hue both close their outline.
cv::Mat edge_map(const cv::Mat& rgb8, double sensitivity) {
  cv::Mat lab8, blurred;
  cv::GaussianBlur(rgb8, blurred, {5, 5}, 1.2);
  cv::cvtColor(blurred, lab8, cv::COLOR_RGB2Lab);
  std::vector<cv::Mat> channels;
  cv::split(lab8, channels);
  cv::Mat edges = cv::Mat::zeros(rgb8.size(), CV_8U), e;
  const double low[3] = {18, 10, 10}, high[3] = {45, 25, 25};
  for (int c = 0; c < 3; ++c) {
    cv::Canny(channels[c], e, low[c] * sensitivity, high[c] * sensitivity, 3, true);
    edges |= e;
  }
  cv::dilate(edges, edges, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
  return edges;
}

double triangle(const cv::Point& a, const cv::Point& b, const cv::Point& c) {
  return std::abs(static_cast<double>(b.x - a.x) * (c.y - a.y) - static_cast<double>(c.x - a.x) * (b.y - a.y)) / 2;
}

// The largest quadrilateral on the contour's convex hull (its corners among the hull's vertices), accepted
// when it covers the hull: a rounded rectangle loses only its corners' slivers, a blob or an ellipse more.
std::optional<std::array<cv::Point2d, 4>> rough_quad(const std::vector<cv::Point>& contour) {
  std::vector<cv::Point> hull, poly;
  cv::convexHull(contour, hull);
  const double perimeter = cv::arcLength(hull, true);
  for (double eps = std::max(0.7, 0.004 * perimeter);; eps *= 1.5) {
    cv::approxPolyDP(hull, poly, eps, true);
    if (poly.size() <= 20) break;
  }
  const int n = static_cast<int>(poly.size());
  if (n < 4) return std::nullopt;
  double best = 0;
  std::array<int, 4> at{};
  for (int i = 0; i < n; ++i)
    for (int k = i + 2; k < n; ++k) {
      double left = 0, right = 0;
      int jl = -1, jr = -1;
      for (int j = i + 1; j < k; ++j)
        if (const double a = triangle(poly[i], poly[j], poly[k]); a > left) left = a, jl = j;
      for (int j = k + 1; j < n + i; ++j)
        if (const double a = triangle(poly[k], poly[j % n], poly[i]); a > right) right = a, jr = j % n;
      if (jl >= 0 && jr >= 0 && left + right > best) best = left + right, at = {i, jl, k, jr};
    }
  const double hull_area = cv::contourArea(hull);
  if (best <= 0 || hull_area - best > 0.15 * best) return std::nullopt;
  std::array<cv::Point2d, 4> q;
  for (int i = 0; i < 4; ++i) q[i] = cv::Point2d(poly[at[i]]);
  if (!convex(q)) return std::nullopt;
  if (shoelace(q) < 0) std::swap(q[1], q[3]);
  return q;
}

// The four sides' lines: first from the contour's points along the middle of each side, then twice from
// sub-pixel colour edges.
std::optional<Candidate> refine(const cv::Mat& lab, const std::vector<cv::Point>& contour,
                                const std::array<cv::Point2d, 4>& rough) {
  Candidate cand;
  std::array<Line, 4> lines;
  for (int i = 0; i < 4; ++i) {
    const cv::Point2d p0 = rough[i], p1 = rough[(i + 1) % 4];
    Line line = line_through(p0, p1);
    const double length = cv::norm(p1 - p0);
    if (length < 6) return std::nullopt;
    const cv::Point2d dir = (p1 - p0) / length;
    // The rough corners sit anywhere on the rounded corners' arcs: a wide band first, then a narrow one.
    for (const double band : {std::max(4.0, 0.1 * length), 2.0}) {
      std::vector<cv::Point2d> near;
      for (const auto& c : contour) {
        const cv::Point2d p(c);
        const double t = (p - p0).dot(dir) / length;
        if (t > 0.15 && t < 0.85 && std::abs(line.distance(p)) < band) near.push_back(p);
      }
      if (auto fitted = fit_line(near); fitted && near.size() >= 8) {
        if (fitted->a * line.a + fitted->b * line.b < 0) *fitted = {-fitted->a, -fitted->b, -fitted->c};
        line = *fitted;
      }
    }
    lines[i] = line;
  }
  std::array<cv::Point2d, 4> corners = rough;
  for (const double search : {5.0, 2.0}) {
    for (int i = 0; i < 4; ++i) {
      const auto p0 = corners[i], p1 = corners[(i + 1) % 4];
      cand.sides[i] = refine_side(lab, p0, p1, lines[i], std::max(search, search * cv::norm(p1 - p0) / 150.0));
      lines[i] = cand.sides[i].line;
    }
    for (int i = 0; i < 4; ++i) {
      const auto c = intersect(lines[(i + 3) % 4], lines[i]);
      if (!c) return std::nullopt;
      corners[i] = *c;
    }
    if (!convex(corners)) return std::nullopt;
  }
  const double size = std::sqrt(std::abs(shoelace(rough)));
  for (int i = 0; i < 4; ++i)
    if (cv::norm(corners[i] - rough[i]) > std::max(6.0, 0.15 * size)) return std::nullopt;
  cand.corners = corners;
  return cand;
}

cv::Matx33d homography_mm_to_image(const std::array<cv::Point2d, 4>& corners) {
  const std::vector<cv::Point2f> mm{{0, 0},
                                    {static_cast<float>(kCardWidthMm), 0},
                                    {static_cast<float>(kCardWidthMm), static_cast<float>(kCardHeightMm)},
                                    {0, static_cast<float>(kCardHeightMm)}};
  std::vector<cv::Point2f> img;
  for (const auto& c : corners) img.emplace_back(static_cast<float>(c.x), static_cast<float>(c.y));
  cv::Mat h = cv::getPerspectiveTransform(mm, img, cv::DECOMP_SVD);
  return cv::Matx33d(h);
}

void evaluate(Candidate& cand, const CardOptions& options, double image_area, const Camera& camera) {
  cand.camera = camera;
  cand.area_fraction = std::abs(shoelace(cand.corners)) / image_area;
  // The focal length the quad implies is noisy for small or mildly tilted quads: the aspect ratio is read
  // with it and with the default, and the one nearer a card's kept (with its focal length).
  double aspect = rectified_aspect(cand.corners, cand.camera);
  if (cand.camera.estimated) {
    Camera fallback = camera;
    const double other = rectified_aspect(cand.corners, fallback, false);
    const auto miss = [](double a) { return std::abs(std::max(a, 1.0 / a) - kCardAspect); };
    if (miss(other) < miss(aspect)) {
      aspect = other;
      cand.camera = camera;
    }
  }
  if (aspect < 1.0) {
    // corners[1]→[2] is the long side: start one corner later.
    std::rotate(cand.corners.begin(), cand.corners.begin() + 1, cand.corners.end());
    std::rotate(cand.sides.begin(), cand.sides.begin() + 1, cand.sides.end());
    aspect = 1.0 / aspect;
  }
  cand.aspect = aspect;
  const double aspect_error = std::abs(aspect - kCardAspect) / kCardAspect;
  if (cand.area_fraction > options.max_area_fraction)
    cand.refused = "too_large";
  else if (cand.area_fraction < options.min_area_fraction)
    cand.refused = "too_small";
  else if (aspect_error > options.aspect_tolerance)
    cand.refused = "aspect_ratio";
  double support = 1, rms = 0;
  for (const auto& s : cand.sides) support = std::min(support, s.support), rms = std::max(rms, s.rms);
  cand.score =
      std::clamp(support * (1.0 - 0.5 * aspect_error / options.aspect_tolerance) / (1.0 + 0.5 * rms), 0.0, 1.0);
}

void fill_detection(const Candidate& cand, double scale, CardDetection& out) {
  std::array<cv::Point2d, 4> corners;
  for (int i = 0; i < 4; ++i) {
    // Working pixel centres → original pixel centres.
    corners[i] = (cand.corners[i] + cv::Point2d(0.5, 0.5)) * (1.0 / scale) - cv::Point2d(0.5, 0.5);
    out.corners[i] = {corners[i].x, corners[i].y};
  }
  const cv::Matx33d h = homography_mm_to_image(corners);
  const cv::Matx33d inv = h.inv();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) out.image_to_card[r * 3 + c] = inv(r, c) / inv(2, 2);

  // The camera in original pixels: H = λ·K·[r1 r2 t]. The scale of a plane facing the camera at the card
  // centre's depth Z is f / Z, and the third coordinate of H·centre is λ·Z.
  const double f = cand.camera.f / scale;
  const cv::Point2d pc = (cand.camera.centre + cv::Point2d(0.5, 0.5)) * (1.0 / scale) - cv::Point2d(0.5, 0.5);
  const cv::Matx33d k_inv(1 / f, 0, -pc.x / f, 0, 1 / f, -pc.y / f, 0, 0, 1);
  const cv::Vec3d r1 = k_inv * cv::Vec3d(h(0, 0), h(1, 0), h(2, 0));
  const cv::Vec3d r2 = k_inv * cv::Vec3d(h(0, 1), h(1, 1), h(2, 1));
  const double l1 = cv::norm(r1), l2 = cv::norm(r2);
  const double lambda = std::sqrt(l1 * l2);
  const cv::Vec3d centre = h * cv::Vec3d(kCardWidthMm / 2, kCardHeightMm / 2, 1);
  out.px_per_mm = f * lambda / std::abs(centre[2]);
  const cv::Vec3d normal = (r1 / l1).cross(r2 / l2);
  out.tilt_degrees = std::acos(std::min(1.0, std::abs(normal[2]) / cv::norm(normal))) * 180.0 / std::numbers::pi;

  // One standard deviation: the corners' localisation (each side's residual over its points, in quadrature
  // for the two sides meeting at a corner) over the card's size, and the model's disagreement (the two
  // rotation columns should have equal length: they differ when the sides are not where a flat
  // 85.60 x 53.98 rectangle would put them, or the focal length is off).
  double corner_var = 0;
  for (int i = 0; i < 4; ++i) {
    const auto& a = cand.sides[i];
    const auto& b = cand.sides[(i + 3) % 4];
    const double sa = std::max(0.05, a.rms / std::sqrt(std::max(1, a.points)));
    const double sb = std::max(0.05, b.rms / std::sqrt(std::max(1, b.points)));
    corner_var += sa * sa + sb * sb;
  }
  const double corner_sd = std::sqrt(corner_var / 4) / scale;
  const double size_px = std::sqrt(std::abs(shoelace(corners)));
  // Twice the residual-based figure: blur, JPEG and the pixel grid make neighbouring edge points' errors
  // correlated, which the residual over √points does not see (calibrated on the quality composites).
  const double localisation = 2.0 * corner_sd * std::numbers::sqrt2 / std::max(1.0, size_px);
  const double model = std::abs(l1 - l2) / (l1 + l2);
  const double aspect = std::abs(cand.aspect - kCardAspect) / kCardAspect / 2;
  out.px_per_mm_uncertainty = out.px_per_mm * std::sqrt(localisation * localisation + model * model + aspect * aspect);
  out.score = cand.score;
}

}  // namespace

CardDetection detect_card(const vision::Image& image, const CardOptions& options) {
  if (image.empty() || image.pixels.size() < static_cast<std::size_t>(image.width) * image.height * image.channels)
    throw Error(ErrorCode::kValidationFailed, "card detection needs a non-empty image");
  CardDetection out;
  cv::Mat rgb = to_rgb_mat(image);
  const double scale = std::min(1.0, static_cast<double>(kMaxWorkingSide) / std::max(rgb.cols, rgb.rows));
  if (scale < 1.0) cv::resize(rgb, rgb, {}, scale, scale, cv::INTER_AREA);
  const double image_area = static_cast<double>(rgb.cols) * rgb.rows;

  cv::Mat lab;
  {
    cv::Mat f;
    rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
    cv::GaussianBlur(f, f, {0, 0}, 0.8);
    cv::cvtColor(f, lab, cv::COLOR_RGB2Lab);
  }
  // Two edge maps: the stronger edges keep a card's outline apart from clutter, the weaker ones close the
  // outline of a card that barely differs from what it lies on.
  std::vector<std::vector<cv::Point>> contours;
  for (const double sensitivity : {1.0, 0.6}) {
    std::vector<std::vector<cv::Point>> more;
    cv::findContours(edge_map(rgb, sensitivity), more, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
    contours.insert(contours.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }

  Camera camera;
  camera.centre = {(rgb.cols - 1) / 2.0, (rgb.rows - 1) / 2.0};
  camera.f = 0.8 * std::max(rgb.cols, rgb.rows);  // a phone's main camera, when the quad cannot tell

  const double min_area = std::max(60.0, options.min_area_fraction * image_area / 6.0);
  std::vector<Candidate> found;
  for (const auto& contour : contours) {
    if (contour.size() < 16) continue;
    const cv::Rect bounds = cv::boundingRect(contour);
    if (static_cast<double>(bounds.area()) < min_area) continue;
    // An outline cut by the frame cannot be measured (and the frame itself is no card).
    if (bounds.x <= 1 || bounds.y <= 1 || bounds.x + bounds.width >= rgb.cols - 1 ||
        bounds.y + bounds.height >= rgb.rows - 1)
      continue;
    const auto rough = rough_quad(contour);
    if (!rough) continue;
    // The inner and outer outlines of one edge give the same quad: refine it once.
    const bool seen = std::any_of(found.begin(), found.end(), [&](const Candidate& c) {
      for (int i = 0; i < 4; ++i) {
        double nearest = 1e9;
        for (int j = 0; j < 4; ++j) nearest = std::min(nearest, cv::norm(c.corners[j] - (*rough)[i]));
        if (nearest > 4.0) return false;
      }
      return true;
    });
    if (seen) continue;
    auto cand = refine(lab, contour, *rough);
    if (!cand) continue;
    if (std::any_of(cand->sides.begin(), cand->sides.end(), [](const SideFit& s) { return s.support < kMinSupport; }))
      continue;
    evaluate(*cand, options, image_area, camera);
    found.push_back(std::move(*cand));
  }

  const Candidate* best = nullptr;
  for (const auto& c : found)
    // A larger outline wins over a slightly better-fitting small one (a window, a label in the background).
    if (c.refused.empty() &&
        (best == nullptr || c.score * std::sqrt(c.area_fraction) > best->score * std::sqrt(best->area_fraction)))
      best = &c;
  if (best != nullptr) {
    out.detected = true;
    fill_detection(*best, scale, out);
    return out;
  }
  // Refused: a card-shaped outline of the wrong size says most, then the largest outline of any shape.
  const Candidate* shown = nullptr;
  for (const auto& c : found) {
    const bool card_shaped = std::abs(c.aspect - kCardAspect) / kCardAspect <= options.aspect_tolerance;
    if (card_shaped && (shown == nullptr || c.area_fraction > shown->area_fraction)) shown = &c;
  }
  if (shown == nullptr)
    for (const auto& c : found)
      if (shown == nullptr || c.area_fraction > shown->area_fraction) shown = &c;
  out.refused = shown == nullptr ? "no_quadrilateral" : shown->refused;
  if (shown != nullptr) out.score = shown->score;
  return out;
}

}  // namespace tyto::body
