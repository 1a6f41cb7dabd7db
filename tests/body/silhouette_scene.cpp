#include "silhouette_scene.hpp"

namespace tyto::body::test {

namespace {

void fill_span(tyto::vision::Image& m, int y, double x0, double x1) {
  if (y < 0 || y >= m.height) return;
  // A pixel is the person when its centre lies inside [x0, x1].
  const int a = std::max(0, static_cast<int>(std::ceil(x0 - 0.5)));
  const int b = std::min(m.width - 1, static_cast<int>(std::floor(x1 - 0.5)));
  for (int x = a; x <= b; ++x) m.pixels[static_cast<std::size_t>(y) * m.width + x] = 255;
}

void fill_capsule(tyto::vision::Image& m, Point a, Point b, double r) {
  const int x0 = std::max(0, static_cast<int>(std::min(a.x, b.x) - r - 1));
  const int x1 = std::min(m.width - 1, static_cast<int>(std::max(a.x, b.x) + r + 1));
  const int y0 = std::max(0, static_cast<int>(std::min(a.y, b.y) - r - 1));
  const int y1 = std::min(m.height - 1, static_cast<int>(std::max(a.y, b.y) + r + 1));
  const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const double px = x + 0.5 - a.x, py = y + 0.5 - a.y;
      const double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0;
      if (std::hypot(px - t * dx, py - t * dy) <= r) m.pixels[static_cast<std::size_t>(y) * m.width + x] = 255;
    }
}

}  // namespace

void edge_noise(tyto::vision::Image& m, int passes, std::mt19937& rng) {
  std::bernoulli_distribution flip(0.35);
  for (int p = 0; p < passes; ++p) {
    const auto src = m.pixels;
    for (int y = 1; y + 1 < m.height; ++y)
      for (int x = 1; x + 1 < m.width; ++x) {
        const std::size_t i = static_cast<std::size_t>(y) * m.width + x;
        const bool edge =
            src[i] != src[i - 1] || src[i] != src[i + 1] || src[i] != src[i - m.width] || src[i] != src[i + m.width];
        if (edge && flip(rng)) m.pixels[i] = src[i] ? 0 : 255;
      }
  }
}

namespace {

void set(Keypoints& k, int i, const Render& r, double x_mm, double z_mm, double score = 0.9) {
  k[i] = {r.px(x_mm), r.py(z_mm), score};
}

Render canvas(const Body& b, double scale, double width_mm) {
  Render r;
  r.scale = scale;
  const int w = static_cast<int>(width_mm * scale);
  const int h = static_cast<int>((b.height + 250) * scale);
  r.floor_y = h - 120 * scale;
  r.centre_x = w / 2.0 + 7.3;
  r.view.mask = {w, h, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h, 0)};
  r.view.px_per_mm = scale;
  r.view.px_per_mm_uncertainty = 0.002 * scale;
  return r;
}

}  // namespace

Render draw_front(const Body& b, double scale) {
  Render r = canvas(b, scale, 1000);
  auto& m = r.view.mask;
  for (int y = 0; y < m.height; ++y) {
    const double z = r.z(y + 0.5);
    auto span = [&](double x0, double x1) { fill_span(m, y, r.px(x0), r.px(x1)); };
    if (const double w = b.width(z); w > 0) span(-w / 2, w / 2);
    if (z >= b.shoulder_z() && z <= b.head_z()) span(-b.neck_width / 2, b.neck_width / 2);
    if (std::abs(z - b.head_z()) <= b.head_radius()) {
      const double h = std::sqrt(b.head_radius() * b.head_radius() - (z - b.head_z()) * (z - b.head_z()));
      span(-h, h);
    }
    if (z >= 0 && z <= b.crotch_z() + 0.05 * b.height) {
      span(-b.leg_gap() / 2 - b.leg_width(), -b.leg_gap() / 2);
      span(b.leg_gap() / 2, b.leg_gap() / 2 + b.leg_width());
    }
  }
  const auto arm = b.arm();
  const double radii[] = {b.upper_arm_radius(), b.forearm_radius(), b.hand_radius()};
  for (const double side : {-1.0, 1.0})
    for (int i = 0; i < 3; ++i)
      fill_capsule(m, {r.px(side * arm[i].x), r.py(arm[i].y)}, {r.px(side * arm[i + 1].x), r.py(arm[i + 1].y)},
                   radii[i] * scale);
  // Facing the camera: the person's left is on the image's right (+x).
  auto& k = r.view.keypoints;
  set(k, 0, r, 0, 0.915 * b.height);
  set(k, 1, r, 0.03 * b.height, 0.935 * b.height);
  set(k, 2, r, -0.03 * b.height, 0.935 * b.height);
  set(k, 3, r, 0.05 * b.height, 0.93 * b.height);
  set(k, 4, r, -0.05 * b.height, 0.93 * b.height);
  const double leg_x = b.leg_gap() / 2 + b.leg_width() / 2;
  for (const double side : {1.0, -1.0}) {
    const int o = side > 0 ? 0 : 1;
    set(k, 5 + o, r, side * arm[0].x, arm[0].y);
    set(k, 7 + o, r, side * arm[1].x, arm[1].y);
    set(k, 9 + o, r, side * arm[2].x, arm[2].y);
    set(k, 11 + o, r, side * 0.3 * b.hip_width, b.hip_z());
    set(k, 13 + o, r, side * leg_x, b.knee_z());
    set(k, 15 + o, r, side * leg_x, b.ankle_z());
  }
  return r;
}

Render draw_side(const Body& b, double scale) {
  Render r = canvas(b, scale, 700);
  auto& m = r.view.mask;
  const double head_forward = 0.02 * b.height;
  const double leg_depth = 0.8 * b.depth(b.crotch_z() + 1e-6);
  for (int y = 0; y < m.height; ++y) {
    const double z = r.z(y + 0.5);
    auto span = [&](double x0, double x1) { fill_span(m, y, r.px(x0), r.px(x1)); };
    if (const double d = b.depth(z); d > 0) span(-d / 2, d / 2);
    if (z >= b.shoulder_z() && z <= b.head_z()) span(-b.neck_depth / 2, b.neck_depth / 2);
    if (std::abs(z - b.head_z()) <= b.head_radius()) {
      const double h = std::sqrt(b.head_radius() * b.head_radius() - (z - b.head_z()) * (z - b.head_z()));
      span(head_forward - h, head_forward + h);
    }
    if (z >= 0 && z <= b.crotch_z() + 0.05 * b.height) span(-leg_depth / 2, leg_depth / 2);
  }
  // The arms hang inside the torso's depth, seen from the side.
  const auto arm = b.arm();
  fill_capsule(m, {r.px(0), r.py(arm[0].y)}, {r.px(0), r.py(arm[2].y)}, b.forearm_radius() * scale);
  auto& k = r.view.keypoints;
  set(k, 0, r, head_forward + 0.9 * b.head_radius(), 0.915 * b.height);
  set(k, 1, r, head_forward + 0.7 * b.head_radius(), 0.935 * b.height);
  set(k, 2, r, head_forward + 0.7 * b.head_radius(), 0.935 * b.height, 0.2);
  set(k, 3, r, head_forward, 0.93 * b.height);
  set(k, 4, r, head_forward, 0.93 * b.height, 0.2);
  for (const int o : {0, 1}) {
    const double score = o == 0 ? 0.9 : 0.5;  // the far side is half hidden
    set(k, 5 + o, r, 0, b.shoulder_z(), score);
    set(k, 7 + o, r, 0, arm[1].y, score);
    set(k, 9 + o, r, 0, arm[2].y, score);
    set(k, 11 + o, r, 0, b.hip_z(), score);
    set(k, 13 + o, r, 0, b.knee_z(), score);
    set(k, 15 + o, r, 0, b.ankle_z(), score);
  }
  return r;
}

}  // namespace tyto::body::test
