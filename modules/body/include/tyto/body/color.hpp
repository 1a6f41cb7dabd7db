// Colour: sRGB ↔ CIE XYZ ↔ CIELAB (D65, 2° observer), CIEDE2000, and white balance of a photo.
//
// White balance: from the card's neutral areas when a card was detected and its inside holds a patch that
// is close to neutral (a white or grey region of the card, chosen by low chroma and high lightness after
// a first gray-world guess), else gray-world over the image. Either way the estimated white is adapted to
// D65 with the Bradford transform, and the result says which method ran.
// Thread-safe: no shared state.
#pragma once

#include "tyto/body/card.hpp"
#include "tyto/vision/image.hpp"

#include <array>
#include <string>

namespace tyto::body {

struct Lab {
  double l = 0;  // L*, 0..100
  double a = 0;
  double b = 0;
};

struct Xyz {
  double x = 0;
  double y = 0;
  double z = 0;
};

inline constexpr Xyz kD65{0.95047, 1.0, 1.08883};

double srgb_to_linear(double c) noexcept;  // c in 0..1
double linear_to_srgb(double c) noexcept;
Xyz rgb_to_xyz(vision::Rgb c) noexcept;  // sRGB, D65
Lab xyz_to_lab(const Xyz& xyz, const Xyz& white = kD65) noexcept;
Lab rgb_to_lab(vision::Rgb c) noexcept;           // sRGB → CIELAB (D65)
vision::Rgb lab_to_rgb(const Lab& lab) noexcept;  // clipped to the sRGB gamut
double delta_e2000(const Lab& a, const Lab& b) noexcept;

// The Bradford chromatic adaptation matrix (row-major 3x3, XYZ → XYZ) from `source` white to `target` white.
std::array<double, 9> bradford(const Xyz& source, const Xyz& target = kD65) noexcept;

struct WhiteBalance {
  std::string method = "none";                                  // "card", "gray_world" or "none" (nothing to correct)
  vision::Rgb estimated_white;                                  // the scene's white as the camera saw it (sRGB)
  Xyz source_white;                                             // the same, in XYZ, normalised to Y = 1
  std::array<double, 9> adaptation{1, 0, 0, 0, 1, 0, 0, 0, 1};  // Bradford, source_white → D65
  double confidence = 0;                                        // 0..1: how neutral and well-exposed the reference was
};

// card: nullptr, or a detection (used only when card->detected).
WhiteBalance estimate_white_balance(const vision::Image& rgb, const CardDetection* card);
// The image with the adaptation applied (in linear light), RGB 8-bit.
vision::Image apply_white_balance(const vision::Image& rgb, const WhiteBalance& balance);

}  // namespace tyto::body
