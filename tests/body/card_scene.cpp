#include "body/card_scene.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <stdexcept>

namespace tyto::test::body {
namespace {

constexpr double kTexturePxPerMm = 8.0;

double radians(double d) { return d * std::numbers::pi / 180.0; }

// Rodrigues' formula: the rotation by `angle` about the unit vector `axis`.
cv::Matx33d rotation(const cv::Vec3d& axis, double angle) {
  const cv::Matx33d k(0, -axis[2], axis[1], axis[2], 0, -axis[0], -axis[1], axis[0], 0);
  return cv::Matx33d::eye() + std::sin(angle) * k + (1 - std::cos(angle)) * (k * k);
}

// The face at kTexturePxPerMm, premultiplied by its rounded-rectangle alpha (CV_32FC3 and CV_32F).
void card_texture(const SceneSpec& spec, cv::Mat& premultiplied, cv::Mat& alpha) {
  const double k = kTexturePxPerMm;
  const int w = static_cast<int>(std::lround(spec.width_mm * k)), h = static_cast<int>(std::lround(spec.height_mm * k));
  cv::Mat face(h, w, CV_8UC3, cv::Scalar(spec.colour[0], spec.colour[1], spec.colour[2]));
  if (spec.features) {
    const auto mm = [&](double x, double y) { return cv::Point(static_cast<int>(x * k), static_cast<int>(y * k)); };
    const cv::Vec3b c = spec.colour;
    const auto shade = [&](double f) { return cv::Scalar(c[0] * f, c[1] * f, c[2] * f); };
    cv::rectangle(face, mm(9, 17), mm(21, 26), cv::Scalar(212, 175, 90), cv::FILLED);  // the chip
    cv::rectangle(face, mm(9, 35), mm(60, 39), shade(0.55), cv::FILLED);               // the number
    cv::rectangle(face, mm(9, 42), mm(40, 45), shade(0.6), cv::FILLED);                // the name
    cv::circle(face, mm(70, 14), static_cast<int>(7 * k), shade(0.75), cv::FILLED);    // a logo
  }
  face.convertTo(premultiplied, CV_32FC3, 1.0 / 255.0);
  alpha = cv::Mat::zeros(h, w, CV_32F);
  const int r = static_cast<int>(std::lround(spec.corner_radius_mm * k));
  if (r <= 0) {
    alpha.setTo(1.0f);
  } else {
    cv::rectangle(alpha, cv::Point(r, 0), cv::Point(w - 1 - r, h - 1), cv::Scalar(1), cv::FILLED);
    cv::rectangle(alpha, cv::Point(0, r), cv::Point(w - 1, h - 1 - r), cv::Scalar(1), cv::FILLED);
    for (const auto& c :
         {cv::Point(r, r), cv::Point(w - 1 - r, r), cv::Point(r, h - 1 - r), cv::Point(w - 1 - r, h - 1 - r)})
      cv::circle(alpha, c, r, cv::Scalar(1), cv::FILLED, cv::LINE_AA);
  }
  std::vector<cv::Mat> ch;
  cv::split(premultiplied, ch);
  for (auto& c : ch) c = c.mul(alpha);
  cv::merge(ch, premultiplied);
}

}  // namespace

const std::vector<std::string>& background_names() {
  static const std::vector<std::string> names{"fruits.jpg",    "baboon.jpg", "building.jpg",     "home.jpg",
                                              "messi5.jpg",    "orange.jpg", "apple.jpg",        "aero3.jpg",
                                              "HappyFish.jpg", "stuff.jpg",  "starry_night.jpg", "left01.jpg"};
  return names;
}

cv::Mat background(const std::string& name, int longer_side) {
  const auto path = std::filesystem::path("/usr/share/doc/opencv-doc/examples/data") / name;
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error(path.string() + " is missing: install opencv-doc (scripts/packages/test.txt)");
  cv::Mat bgr = cv::imread(path.string(), cv::IMREAD_COLOR), rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const double s = static_cast<double>(longer_side) / std::max(rgb.cols, rgb.rows);
  cv::resize(rgb, rgb, {}, s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  return rgb;
}

Scene render_scene(const SceneSpec& spec) {
  cv::Mat bg = background(spec.background, spec.longer_side);
  if (spec.lighten > 0) bg.convertTo(bg, CV_8UC3, 1.0 - spec.lighten, 215.0 * spec.lighten);
  const int width = bg.cols, height = bg.rows;
  const double f = spec.focal_factor * std::max(width, height);
  const cv::Point2d pp((width - 1) / 2.0, (height - 1) / 2.0);
  const double z = f * spec.width_mm / (spec.width_fraction * width);
  const cv::Point2d target(spec.centre.x * (width - 1), spec.centre.y * (height - 1));
  const cv::Vec3d t((target.x - pp.x) * z / f, (target.y - pp.y) * z / f, z);
  const double axis = radians(spec.tilt_axis_degrees);
  const cv::Matx33d rot = rotation({0, 0, 1}, radians(spec.roll_degrees)) *
                          rotation({std::cos(axis), std::sin(axis), 0}, radians(spec.tilt_degrees));

  Scene scene;
  std::vector<cv::Point2f> mm{{0, 0},
                              {static_cast<float>(spec.width_mm), 0},
                              {static_cast<float>(spec.width_mm), static_cast<float>(spec.height_mm)},
                              {0, static_cast<float>(spec.height_mm)}};
  std::vector<cv::Point2f> img;
  for (int i = 0; i < 4; ++i) {
    const cv::Vec3d p = rot * cv::Vec3d(mm[i].x - spec.width_mm / 2, mm[i].y - spec.height_mm / 2, 0) + t;
    const cv::Point2d q(f * p[0] / p[2] + pp.x, f * p[1] / p[2] + pp.y);
    scene.corners[i] = {q.x, q.y};
    img.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
  }
  // getPerspectiveTransform works in float; the corners above stay the double-precision truth.
  const cv::Matx33d h(cv::getPerspectiveTransform(mm, img));
  for (int i = 0; i < 9; ++i) scene.card_to_image[i] = h.val[i] / h.val[8];
  scene.px_per_mm = f / z;
  const cv::Vec3d normal = rot * cv::Vec3d(0, 0, 1);
  scene.tilt_degrees = std::acos(std::abs(normal[2])) * 180.0 / std::numbers::pi;

  // Rendered at twice the size and averaged down, so that the outline is antialiased like a lens would.
  cv::Mat texture, alpha;
  card_texture(spec, texture, alpha);
  const double k = kTexturePxPerMm;
  const cv::Matx33d tex_to_mm(1 / k, 0, 0.5 / k, 0, 1 / k, 0.5 / k, 0, 0, 1);
  const cv::Matx33d to_big(2, 0, 0.5, 0, 2, 0.5, 0, 0, 1);
  const cv::Matx33d m = to_big * h * tex_to_mm;
  cv::Mat big_tex, big_alpha;
  cv::warpPerspective(texture, big_tex, cv::Mat(m), {2 * width, 2 * height}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::warpPerspective(alpha, big_alpha, cv::Mat(m), {2 * width, 2 * height}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::Mat small_tex, small_alpha;
  cv::resize(big_tex, small_tex, {width, height}, 0, 0, cv::INTER_AREA);
  cv::resize(big_alpha, small_alpha, {width, height}, 0, 0, cv::INTER_AREA);
  cv::Mat out;
  bg.convertTo(out, CV_32FC3, 1.0 / 255.0);
  for (int y = 0; y < height; ++y) {
    auto* o = out.ptr<cv::Vec3f>(y);
    const auto* c = small_tex.ptr<cv::Vec3f>(y);
    const auto* a = small_alpha.ptr<float>(y);
    for (int x = 0; x < width; ++x) o[x] = c[x] + o[x] * (1.0f - a[x]);
  }
  if (spec.shadow > 0) {
    const cv::Point2d d(std::cos(radians(spec.shadow_direction_degrees)),
                        std::sin(radians(spec.shadow_direction_degrees)));
    const double span = std::abs(d.x) * width + std::abs(d.y) * height;
    const double start = std::min(0.0, d.x * width) + std::min(0.0, d.y * height);
    for (int y = 0; y < height; ++y) {
      auto* o = out.ptr<cv::Vec3f>(y);
      for (int x = 0; x < width; ++x)
        o[x] *= static_cast<float>(1.0 - spec.shadow * (d.x * x + d.y * y - start) / span);
    }
  }
  if (spec.blur_sigma > 0) cv::GaussianBlur(out, out, {0, 0}, spec.blur_sigma);
  if (spec.noise_sigma > 0) {
    cv::RNG rng(spec.seed);
    cv::Mat noise(out.size(), CV_32FC3);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, spec.noise_sigma / 255.0);
    out += noise;
  }
  cv::Mat out8;
  out.convertTo(out8, CV_8UC3, 255.0);
  scene.image = to_image(out8);
  return scene;
}

double corner_error(const std::array<tyto::body::Point, 4>& found, const std::array<tyto::body::Point, 4>& truth) {
  double best = 1e9;
  for (const int shift : {0, 2}) {
    double worst = 0;
    for (int i = 0; i < 4; ++i) {
      const auto& a = found[(i + shift) % 4];
      worst = std::max(worst, std::hypot(a.x - truth[i].x, a.y - truth[i].y));
    }
    best = std::min(best, worst);
  }
  return best;
}

std::array<double, 3> cast_gains(double r, double g, double b) {
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  return {r / y, g / y, b / y};
}

vision::Image apply_cast(const vision::Image& rgb, const std::array<double, 3>& gains) {
  vision::Image out = rgb;
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    const double lin = tyto::body::srgb_to_linear(rgb.pixels[i] / 255.0) * gains[i % 3];
    out.pixels[i] =
        static_cast<std::uint8_t>(std::lround(255.0 * tyto::body::linear_to_srgb(std::clamp(lin, 0.0, 1.0))));
  }
  return out;
}

void paint_skin(cv::Mat& rgb, const cv::Rect& r, const tyto::body::Lab& lab, std::mt19937& rng, bool hair) {
  using tyto::body::lab_to_rgb;
  std::normal_distribution<double> jitter(0.0, 1.2);
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x) {
      const auto c = lab_to_rgb({lab.l + jitter(rng), lab.a + jitter(rng) * 0.5, lab.b + jitter(rng) * 0.5});
      rgb.at<cv::Vec3b>(y, x) = {c.r, c.g, c.b};
    }
  cv::circle(rgb, {r.x + r.width / 3, r.y + r.height / 3}, r.width / 10, cv::Scalar(252, 250, 248), cv::FILLED);
  const auto shadow = lab_to_rgb({lab.l * 0.55, lab.a * 0.8, lab.b * 0.8});
  cv::rectangle(rgb, cv::Rect(r.x, r.y + r.height - r.height / 12, r.width, r.height / 12),
                cv::Scalar(shadow.r, shadow.g, shadow.b), cv::FILLED);
  if (!hair) return;
  for (int i = 0; i < 6; ++i)
    cv::line(rgb, {r.x + 5 + i * r.width / 7, r.y}, {r.x + 12 + i * r.width / 7, r.y + r.height / 2},
             cv::Scalar(20, 14, 10), 1);
}

vision::Image to_image(const cv::Mat& rgb) {
  vision::Image image{rgb.cols, rgb.rows, 3, {}};
  image.pixels.resize(static_cast<std::size_t>(rgb.cols) * rgb.rows * 3);
  cv::Mat view(rgb.rows, rgb.cols, CV_8UC3, image.pixels.data());
  rgb.copyTo(view);
  return image;
}

cv::Mat to_mat(const vision::Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data())).clone();
}

}  // namespace tyto::test::body
