#include "tyto/body/skin.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <tuple>

namespace tyto::body {
namespace {

// The Monk Skin Tone scale's published sRGB values (skintone.google), lightest first.
constexpr std::array<std::string_view, 10> kMonkHex{"#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
                                                    "#a07e56", "#825c43", "#604134", "#3a312a", "#292420"};

constexpr int kMinPatchPixels = 20;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto at = v.begin() + static_cast<std::ptrdiff_t>(std::clamp(q, 0.0, 1.0) * (v.size() - 1));
  std::nth_element(v.begin(), at, v.end());
  return *at;
}

// Skin in a white-balanced photo: hue between magenta-red and yellow, or too little chroma to tell
// (the darkest Monk tones have a chroma near 4); not black, not blown out.
bool skin_like(const Lab& lab) noexcept {
  if (lab.l < 5 || lab.l > 98) return false;
  const double chroma = std::hypot(lab.a, lab.b);
  if (chroma < 10) return true;
  const double h = std::atan2(lab.b, lab.a) * 180.0 / std::numbers::pi;
  return h > -15 && h < 105;
}

PatchTone measure_patch(const vision::Image& rgb, const SkinPatch& patch) {
  PatchTone tone{patch.name, {}, 0};
  const vision::Box box = vision::clip(patch.box, rgb.width, rgb.height);
  if (box.width <= 0 || box.height <= 0) return tone;
  std::vector<Lab> pixels;
  pixels.reserve(static_cast<std::size_t>(box.width) * box.height);
  for (int y = box.y; y < box.y + box.height; ++y) {
    for (int x = box.x; x < box.x + box.width; ++x) {
      const std::uint8_t* p = &rgb.pixels[(static_cast<std::size_t>(y) * rgb.width + x) * rgb.channels];
      const Lab lab = rgb_to_lab({p[0], p[1], p[2]});
      if (skin_like(lab)) pixels.push_back(lab);
    }
  }
  if (pixels.size() < kMinPatchPixels) return tone;
  // Highlights (specular) and shadows: the top 5 % and bottom 10 % of lightness.
  std::vector<double> ls;
  ls.reserve(pixels.size());
  for (const auto& p : pixels) ls.push_back(p.l);
  const double lo = percentile(ls, 0.10), hi = percentile(ls, 0.95);
  std::erase_if(pixels, [&](const Lab& p) { return p.l < lo || p.l > hi; });
  if (pixels.size() < kMinPatchPixels) return tone;
  // Non-skin outliers (hair, fabric, make-up edges): far from the patch's median colour, by a scaled MAD.
  std::vector<double> a, b, l;
  for (const auto& p : pixels) l.push_back(p.l), a.push_back(p.a), b.push_back(p.b);
  const Lab centre{median(l), median(a), median(b)};
  std::vector<double> distance;
  distance.reserve(pixels.size());
  for (const auto& p : pixels) distance.push_back(std::hypot(p.l - centre.l, p.a - centre.a, p.b - centre.b));
  const double limit = std::max(3.0, 3.0 * 1.4826 * median(distance));
  Lab sum;
  int kept = 0;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    if (distance[i] > limit) continue;
    sum.l += pixels[i].l, sum.a += pixels[i].a, sum.b += pixels[i].b;
    ++kept;
  }
  if (kept < kMinPatchPixels) return tone;
  tone.lab = {sum.l / kept, sum.a / kept, sum.b / kept};
  tone.pixels = kept;
  return tone;
}

}  // namespace

std::span<const MonkSwatch> monk_scale() {
  static const std::array<MonkSwatch, 10> scale = [] {
    std::array<MonkSwatch, 10> s{};
    for (int i = 0; i < 10; ++i) s[i] = {i + 1, kMonkHex[i], rgb_to_lab(vision::parse_hex_colour(kMonkHex[i]))};
    return s;
  }();
  return scale;
}

double ita_degrees(const Lab& lab) noexcept {
  if (lab.b == 0) return lab.l >= 50 ? 90.0 : -90.0;
  return std::atan((lab.l - 50.0) / lab.b) * 180.0 / std::numbers::pi;
}

std::string_view chardon_category(double ita) noexcept {
  if (ita > 55) return "very_light";
  if (ita > 41) return "light";
  if (ita > 28) return "intermediate";
  if (ita > 10) return "tan";
  if (ita > -30) return "brown";
  return "dark";
}

std::pair<int, double> nearest_monk(const Lab& lab) noexcept {
  std::pair<int, double> best{0, 1e9};
  for (const auto& swatch : monk_scale()) {
    const double d = delta_e2000(lab, swatch.lab);
    if (d < best.second) best = {swatch.index, d};
  }
  return best;
}

std::string_view undertone(const Lab& lab) noexcept {
  // Below a chroma of 6 the hue is noise. Skin's hue runs from about 40° (pink-red) to 75° (yellow-olive).
  if (std::hypot(lab.a, lab.b) < 6) return "neutral";
  const double h = std::atan2(lab.b, lab.a) * 180.0 / std::numbers::pi;
  if (h < 50) return "cool";
  if (h > 65) return "warm";
  return "neutral";
}

SkinTone measure_skin(const vision::Image& rgb, std::span<const SkinPatch> patches) {
  SkinTone tone;
  if (rgb.empty() || rgb.channels < 3) return tone;
  for (const auto& patch : patches) {
    PatchTone measured = measure_patch(rgb, patch);
    if (measured.pixels > 0) tone.patches.push_back(std::move(measured));
  }
  if (tone.patches.empty()) return tone;
  // With three patches or more, one far from the others' median (a shadowed neck, a flushed cheek) is left
  // out of the mean; every patch still counts in the spread.
  std::vector<const PatchTone*> used;
  if (tone.patches.size() >= 3) {
    std::vector<double> l, a, b;
    for (const auto& p : tone.patches) l.push_back(p.lab.l), a.push_back(p.lab.a), b.push_back(p.lab.b);
    const Lab centre{median(l), median(a), median(b)};
    for (const auto& p : tone.patches)
      if (delta_e2000(p.lab, centre) <= 8.0) used.push_back(&p);
  }
  if (used.empty())
    for (const auto& p : tone.patches) used.push_back(&p);
  Lab sum;
  double weight = 0;
  for (const auto* p : used) {
    sum.l += p->lab.l * p->pixels, sum.a += p->lab.a * p->pixels, sum.b += p->lab.b * p->pixels;
    weight += p->pixels;
  }
  tone.measured = true;
  tone.lab = {sum.l / weight, sum.a / weight, sum.b / weight};
  tone.rgb = lab_to_rgb(tone.lab);
  tone.ita = ita_degrees(tone.lab);
  tone.category = std::string(chardon_category(tone.ita));
  std::tie(tone.monk, tone.monk_delta_e) = nearest_monk(tone.lab);
  tone.undertone = std::string(undertone(tone.lab));
  for (std::size_t i = 0; i < tone.patches.size(); ++i)
    for (std::size_t j = i + 1; j < tone.patches.size(); ++j)
      tone.spread = std::max(tone.spread, delta_e2000(tone.patches[i].lab, tone.patches[j].lab));
  return tone;
}

}  // namespace tyto::body
