// Skin tone from patches of a white-balanced photo: CIELAB, the Individual Typology Angle
// ITA° = atan((L* − 50) / b*) · 180/π with its Chardon category, the nearest Monk Skin Tone swatch by
// CIEDE2000 (the scale's ten published reference colours), and the undertone.
// Thread-safe: no shared state.
#pragma once

#include "tyto/body/color.hpp"
#include "tyto/vision/image.hpp"

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::body {

struct MonkSwatch {
  int index = 0;  // 1..10, lightest first
  std::string_view hex;
  Lab lab;
};
// The ten swatches of the Monk Skin Tone scale (Google, CC-BY-4.0), with their CIELAB values.
std::span<const MonkSwatch> monk_scale();

double ita_degrees(const Lab& lab) noexcept;
// Chardon's categories: "very_light" (> 55°), "light" (41..55), "intermediate" (28..41), "tan" (10..28),
// "brown" (−30..10), "dark" (≤ −30).
std::string_view chardon_category(double ita) noexcept;
// 1..10 and the distance to it.
std::pair<int, double> nearest_monk(const Lab& lab) noexcept;
// "warm", "cool" or "neutral", from the hue angle h° = atan2(b*, a*) of the skin colour.
std::string_view undertone(const Lab& lab) noexcept;

struct SkinPatch {
  std::string name;  // "face", "neck", "inner_arm"
  vision::Box box;
};

struct PatchTone {
  std::string name;
  Lab lab;
  int pixels = 0;  // skin-like pixels kept (highlights, shadows and non-skin outliers dropped)
};

struct SkinTone {
  bool measured = false;  // false when no patch held enough skin-like pixels
  Lab lab;                // the robust mean over the patches
  vision::Rgb rgb;
  double ita = 0;
  std::string category;  // chardon_category(ita)
  int monk = 0;          // 1..10
  double monk_delta_e = 0;
  std::string undertone;
  double spread = 0;  // ΔE2000 between the most different patches: a large one lowers confidence
  std::vector<PatchTone> patches;
};

// rgb: the white-balanced photo. Patches outside the image are clipped; empty ones ignored.
SkinTone measure_skin(const vision::Image& rgb, std::span<const SkinPatch> patches);

}  // namespace tyto::body
