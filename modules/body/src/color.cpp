#include "tyto/body/color.hpp"

#include "tyto/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace tyto::body {
namespace {

using Mat3 = std::array<double, 9>;

// IEC 61966-2-1 (sRGB, D65): linear RGB → XYZ and back.
constexpr Mat3 kRgbToXyz{0.4124564, 0.3575761, 0.1804375, 0.2126729, 0.7151522,
                         0.0721750, 0.0193339, 0.1191920, 0.9503041};
constexpr Mat3 kXyzToRgb{3.2404542, -1.5371385, -0.4985314, -0.9692660, 1.8760108,
                         0.0415560, 0.0556434,  -0.2040259, 1.0572252};
// Bradford's cone response matrix.
constexpr Mat3 kBradford{0.8951, 0.2664, -0.1614, -0.7502, 1.7135, 0.0367, 0.0389, -0.0685, 1.0296};

constexpr double kEpsilon = 216.0 / 24389.0;
constexpr double kKappa = 24389.0 / 27.0;

Mat3 multiply(const Mat3& a, const Mat3& b) noexcept {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return r;
}

std::array<double, 3> transform(const Mat3& m, const std::array<double, 3>& v) noexcept {
  return {m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
          m[6] * v[0] + m[7] * v[1] + m[8] * v[2]};
}

Mat3 inverse(const Mat3& m) noexcept {
  const double det =
      m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  const double d = det == 0 ? 0 : 1.0 / det;
  return {(m[4] * m[8] - m[5] * m[7]) * d, (m[2] * m[7] - m[1] * m[8]) * d, (m[1] * m[5] - m[2] * m[4]) * d,
          (m[5] * m[6] - m[3] * m[8]) * d, (m[0] * m[8] - m[2] * m[6]) * d, (m[2] * m[3] - m[0] * m[5]) * d,
          (m[3] * m[7] - m[4] * m[6]) * d, (m[1] * m[6] - m[0] * m[7]) * d, (m[0] * m[4] - m[1] * m[3]) * d};
}

double lab_f(double t) noexcept { return t > kEpsilon ? std::cbrt(t) : (kKappa * t + 16.0) / 116.0; }

double degrees(double radians) noexcept { return radians * 180.0 / std::numbers::pi; }
double radians(double degrees) noexcept { return degrees * std::numbers::pi / 180.0; }

std::uint8_t to_byte(double v) noexcept {
  return static_cast<std::uint8_t>(std::clamp(std::lround(v * 255.0), 0L, 255L));
}

// 8-bit sRGB → linear light, one entry per code value.
const std::array<double, 256>& linear_table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = srgb_to_linear(i / 255.0);
    return t;
  }();
  return table;
}

// Linear light (0..1 in 4096 steps) → 8-bit sRGB.
const std::array<std::uint8_t, 4097>& encode_table() {
  static const std::array<std::uint8_t, 4097> table = [] {
    std::array<std::uint8_t, 4097> t{};
    for (int i = 0; i <= 4096; ++i) t[i] = to_byte(linear_to_srgb(i / 4096.0));
    return t;
  }();
  return table;
}

std::uint8_t encode(double linear) noexcept {
  return encode_table()[static_cast<std::size_t>(std::clamp(linear, 0.0, 1.0) * 4096.0 + 0.5)];
}

Xyz normalised(const std::array<double, 3>& xyz) noexcept {
  if (xyz[1] <= 0) return kD65;
  return {xyz[0] / xyz[1], 1.0, xyz[2] / xyz[1]};
}

vision::Rgb white_as_rgb(const std::array<double, 3>& linear) noexcept {
  const double top = std::max({linear[0], linear[1], linear[2], 1e-9});
  return {encode(linear[0] / top), encode(linear[1] / top), encode(linear[2] / top)};
}

// Linear RGB of every pixel that is neither clipped nor lost in the noise floor.
struct Sample {
  std::array<double, 3> rgb;
};

bool usable(const std::uint8_t* p) noexcept {
  const int top = std::max({p[0], p[1], p[2]});
  return top < 250 && top > 12;
}

std::array<double, 3> gray_world(const vision::Image& rgb, std::size_t& count) {
  const auto& lin = linear_table();
  std::array<double, 3> sum{0, 0, 0};
  count = 0;
  const std::size_t n = static_cast<std::size_t>(rgb.width) * rgb.height;
  // Every pixel on small images; a stride on big ones keeps this O(1 Mpx).
  const std::size_t stride = std::max<std::size_t>(1, n / 1'000'000);
  for (std::size_t i = 0; i < n; i += stride) {
    const std::uint8_t* p = &rgb.pixels[i * rgb.channels];
    if (!usable(p)) continue;
    for (int c = 0; c < 3; ++c) sum[c] += lin[p[c]];
    ++count;
  }
  if (count == 0) return {0, 0, 0};
  for (auto& s : sum) s /= static_cast<double>(count);
  return sum;
}

// The card's neutral area: pixels inside the card (5 mm from its edge), bright, and of low chroma once the
// gray-world guess is taken out; their mean in linear light is the scene's white.
bool card_white(const vision::Image& rgb, const CardDetection& card, const std::array<double, 3>& gray,
                std::array<double, 3>& white, double& confidence) {
  const auto& lin = linear_table();
  double min_x = rgb.width, min_y = rgb.height, max_x = 0, max_y = 0;
  for (const auto& c : card.corners) {
    min_x = std::min(min_x, c.x), max_x = std::max(max_x, c.x);
    min_y = std::min(min_y, c.y), max_y = std::max(max_y, c.y);
  }
  const int x0 = std::max(0, static_cast<int>(min_x)), x1 = std::min(rgb.width - 1, static_cast<int>(max_x) + 1);
  const int y0 = std::max(0, static_cast<int>(min_y)), y1 = std::min(rgb.height - 1, static_cast<int>(max_y) + 1);
  const double gmean = (gray[0] + gray[1] + gray[2]) / 3.0;
  const std::array<double, 3> gain{gmean / std::max(gray[0], 1e-6), gmean / std::max(gray[1], 1e-6),
                                   gmean / std::max(gray[2], 1e-6)};
  constexpr double kMargin = 5.0;
  struct Candidate {
    std::array<double, 3> rgb;
    double chroma;  // after the gray-world guess
    double l;
    double raw_chroma;
  };
  std::vector<Candidate> inside;
  int total = 0;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const Point mm = apply(card.image_to_card, {static_cast<double>(x), static_cast<double>(y)});
      if (mm.x < kMargin || mm.y < kMargin || mm.x > kCardWidthMm - kMargin || mm.y > kCardHeightMm - kMargin) continue;
      ++total;
      const std::uint8_t* p = &rgb.pixels[(static_cast<std::size_t>(y) * rgb.width + x) * rgb.channels];
      if (!usable(p)) continue;
      const std::array<double, 3> raw{lin[p[0]], lin[p[1]], lin[p[2]]};
      const std::array<double, 3> guessed{raw[0] * gain[0], raw[1] * gain[1], raw[2] * gain[2]};
      const auto xyz = transform(kRgbToXyz, guessed);
      const Lab lab = xyz_to_lab({xyz[0], xyz[1], xyz[2]});
      const auto raw_xyz = transform(kRgbToXyz, raw);
      const Lab raw_lab = xyz_to_lab({raw_xyz[0], raw_xyz[1], raw_xyz[2]});
      inside.push_back({raw, std::hypot(lab.a, lab.b), lab.l, std::hypot(raw_lab.a, raw_lab.b)});
    }
  }
  if (total < 50 || inside.empty()) return false;
  // The brightest half of the card, then its most neutral half: a white card's face, or a white area of a
  // printed one; a coloured card has none and is left to gray-world.
  std::sort(inside.begin(), inside.end(), [](const auto& a, const auto& b) { return a.l > b.l; });
  inside.erase(inside.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, inside.size() / 2)), inside.end());
  std::sort(inside.begin(), inside.end(), [](const auto& a, const auto& b) { return a.chroma < b.chroma; });
  inside.erase(inside.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, inside.size() / 2)), inside.end());
  double chroma = 0, raw_chroma = 0, l = 0;
  white = {0, 0, 0};
  for (const auto& c : inside) {
    for (int k = 0; k < 3; ++k) white[k] += c.rgb[k];
    chroma += c.chroma;
    raw_chroma += c.raw_chroma;
    l += c.l;
  }
  const double n = static_cast<double>(inside.size());
  chroma /= n;
  raw_chroma /= n;
  l /= n;
  for (auto& w : white) w /= n;
  // Neutral enough as the camera saw it, or once gray-world's guess is taken out (which leaves part of a
  // strong cast): a white or grey face under a cast passes, a saturated card (chroma 40 and more) does not.
  constexpr double kMaxChroma = 30.0;
  if (std::min(chroma, raw_chroma) > kMaxChroma || l < 40.0 || n < 0.1 * total) return false;
  // Confidence: a uniform area (its chroma varies little: a flat white face, not a pattern) that is well
  // exposed (lightness 40..80 ramps up).
  double spread = 0;
  for (const auto& c : inside) spread += (c.chroma - chroma) * (c.chroma - chroma);
  spread = std::sqrt(spread / n);
  confidence = std::clamp((1.0 - spread / 6.0) * std::min(1.0, (l - 40.0) / 40.0), 0.0, 1.0);
  return true;
}

}  // namespace

double srgb_to_linear(double c) noexcept { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); }

double linear_to_srgb(double c) noexcept { return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055; }

Xyz rgb_to_xyz(vision::Rgb c) noexcept {
  const auto& lin = linear_table();
  const auto xyz = transform(kRgbToXyz, {lin[c.r], lin[c.g], lin[c.b]});
  return {xyz[0], xyz[1], xyz[2]};
}

Lab xyz_to_lab(const Xyz& xyz, const Xyz& white) noexcept {
  const double fx = lab_f(xyz.x / white.x), fy = lab_f(xyz.y / white.y), fz = lab_f(xyz.z / white.z);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

Lab rgb_to_lab(vision::Rgb c) noexcept { return xyz_to_lab(rgb_to_xyz(c)); }

vision::Rgb lab_to_rgb(const Lab& lab) noexcept {
  const double fy = (lab.l + 16.0) / 116.0, fx = fy + lab.a / 500.0, fz = fy - lab.b / 200.0;
  const auto finv = [](double f) { return f * f * f > kEpsilon ? f * f * f : (116.0 * f - 16.0) / kKappa; };
  const double y = lab.l > kKappa * kEpsilon ? fy * fy * fy : lab.l / kKappa;
  const auto rgb = transform(kXyzToRgb, {finv(fx) * kD65.x, y * kD65.y, finv(fz) * kD65.z});
  return {to_byte(linear_to_srgb(std::clamp(rgb[0], 0.0, 1.0))), to_byte(linear_to_srgb(std::clamp(rgb[1], 0.0, 1.0))),
          to_byte(linear_to_srgb(std::clamp(rgb[2], 0.0, 1.0)))};
}

// CIEDE2000 as Sharma, Wu & Dalal (2005) write it out, kL = kC = kH = 1.
double delta_e2000(const Lab& x, const Lab& y) noexcept {
  const double c1 = std::hypot(x.a, x.b), c2 = std::hypot(y.a, y.b);
  const double c_mean = (c1 + c2) / 2.0;
  const double c7 = std::pow(c_mean, 7.0);
  const double g = 0.5 * (1.0 - std::sqrt(c7 / (c7 + std::pow(25.0, 7.0))));
  const double a1 = (1.0 + g) * x.a, a2 = (1.0 + g) * y.a;
  const double cp1 = std::hypot(a1, x.b), cp2 = std::hypot(a2, y.b);
  const auto hue = [](double b, double a) {
    if (a == 0 && b == 0) return 0.0;
    const double h = degrees(std::atan2(b, a));
    return h < 0 ? h + 360.0 : h;
  };
  const double hp1 = hue(x.b, a1), hp2 = hue(y.b, a2);
  const double dl = y.l - x.l, dc = cp2 - cp1;
  double dh = 0;
  if (cp1 * cp2 != 0) {
    dh = hp2 - hp1;
    if (dh > 180) dh -= 360;
    if (dh < -180) dh += 360;
  }
  const double dhh = 2.0 * std::sqrt(cp1 * cp2) * std::sin(radians(dh / 2.0));
  const double l_mean = (x.l + y.l) / 2.0, cp_mean = (cp1 + cp2) / 2.0;
  double h_mean = hp1 + hp2;
  if (cp1 * cp2 != 0) {
    if (std::abs(hp1 - hp2) <= 180)
      h_mean /= 2.0;
    else
      h_mean = hp1 + hp2 < 360 ? (h_mean + 360) / 2.0 : (h_mean - 360) / 2.0;
  }
  const double t = 1.0 - 0.17 * std::cos(radians(h_mean - 30)) + 0.24 * std::cos(radians(2 * h_mean)) +
                   0.32 * std::cos(radians(3 * h_mean + 6)) - 0.20 * std::cos(radians(4 * h_mean - 63));
  const double d_theta = 30.0 * std::exp(-std::pow((h_mean - 275.0) / 25.0, 2.0));
  const double cp7 = std::pow(cp_mean, 7.0);
  const double rc = 2.0 * std::sqrt(cp7 / (cp7 + std::pow(25.0, 7.0)));
  const double l50 = (l_mean - 50) * (l_mean - 50);
  const double sl = 1.0 + 0.015 * l50 / std::sqrt(20.0 + l50);
  const double sc = 1.0 + 0.045 * cp_mean;
  const double sh = 1.0 + 0.015 * cp_mean * t;
  const double rt = -std::sin(radians(2.0 * d_theta)) * rc;
  const double tl = dl / sl, tc = dc / sc, th = dhh / sh;
  return std::sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}

std::array<double, 9> bradford(const Xyz& source, const Xyz& target) noexcept {
  const auto s = transform(kBradford, {source.x, source.y, source.z});
  const auto d = transform(kBradford, {target.x, target.y, target.z});
  Mat3 scale{};
  for (int i = 0; i < 3; ++i) scale[i * 4] = s[i] == 0 ? 1.0 : d[i] / s[i];
  return multiply(inverse(kBradford), multiply(scale, kBradford));
}

WhiteBalance estimate_white_balance(const vision::Image& rgb, const CardDetection* card) {
  if (rgb.empty() || rgb.channels < 3 ||
      rgb.pixels.size() < static_cast<std::size_t>(rgb.width) * rgb.height * rgb.channels)
    throw Error(ErrorCode::kValidationFailed, "white balance needs an RGB image");
  WhiteBalance balance;
  std::size_t count = 0;
  const auto gray = gray_world(rgb, count);
  if (count == 0) return balance;
  std::array<double, 3> white = gray;
  balance.method = "gray_world";
  // Gray-world's confidence: how many pixels it averaged, capped; the assumption itself is the weak part.
  balance.confidence = 0.5 * std::min(1.0, static_cast<double>(count) / 10'000.0);
  if (card != nullptr && card->detected) {
    std::array<double, 3> card_ref{};
    double confidence = 0;
    if (card_white(rgb, *card, gray, card_ref, confidence)) {
      white = card_ref;
      balance.method = "card";
      balance.confidence = confidence;
    }
  }
  balance.estimated_white = white_as_rgb(white);
  balance.source_white = normalised(transform(kRgbToXyz, white));
  balance.adaptation = bradford(balance.source_white, kD65);
  return balance;
}

vision::Image apply_white_balance(const vision::Image& rgb, const WhiteBalance& balance) {
  if (rgb.empty() || rgb.channels < 3 ||
      rgb.pixels.size() < static_cast<std::size_t>(rgb.width) * rgb.height * rgb.channels)
    throw Error(ErrorCode::kValidationFailed, "white balance needs an RGB image");
  // One matrix in linear RGB: RGB → XYZ → adapted XYZ → RGB.
  const Mat3 m = multiply(kXyzToRgb, multiply(balance.adaptation, kRgbToXyz));
  const auto& lin = linear_table();
  vision::Image out{rgb.width, rgb.height, 3, {}};
  const std::size_t n = static_cast<std::size_t>(rgb.width) * rgb.height;
  out.pixels.resize(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = &rgb.pixels[i * rgb.channels];
    const auto v = transform(m, {lin[p[0]], lin[p[1]], lin[p[2]]});
    for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = encode(v[c]);
  }
  return out;
}

}  // namespace tyto::body
