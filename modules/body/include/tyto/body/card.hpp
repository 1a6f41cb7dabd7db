// The ID-1 reference card (ISO/IEC 7810: 85.60 x 53.98 mm, corners rounded with a 3.18 mm radius): found in
// a photo, fitted as a quadrilateral with sub-pixel corners, and turned into a homography and a scale.
//
// Detection: edges and contours of the whole image, convex quadrilaterals fitted to them (the rounded
// corners are cut off by intersecting the four fitted side lines), corners refined to sub-pixel, then the
// candidate whose rectified aspect ratio matches 85.60/53.98 within tolerance and whose area is plausible
// wins. Look-alikes are refused with a reason: a square note ("aspect_ratio"), a shape too small to
// measure ("too_small"), a sheet filling the frame ("too_large"), no quadrilateral at all
// ("no_quadrilateral").
//
// Thread-safe: no shared state. Never throws for image content; an empty image throws tyto::Error
// (kValidationFailed).
#pragma once

#include "tyto/body/geometry.hpp"
#include "tyto/vision/image.hpp"

#include <array>
#include <string>

namespace tyto::body {

inline constexpr double kCardWidthMm = 85.60;
inline constexpr double kCardHeightMm = 53.98;
inline constexpr double kCardCornerRadiusMm = 3.18;

struct CardOptions {
  double min_area_fraction = 0.0015;  // of the image: smaller candidates are "too_small"
  double max_area_fraction = 0.5;     // larger ones are "too_large"
  double aspect_tolerance = 0.08;     // relative difference from 85.60/53.98 after rectification
};

struct CardDetection {
  bool detected = false;
  // The card's corners in image pixels, sub-pixel, clockwise in the image starting from the corner that
  // begins a long side: corners[0]→corners[1] is a long side (85.60 mm), corners[1]→corners[2] a short one.
  std::array<Point, 4> corners{};
  // Image pixels → millimetres in the card's plane (origin at corners[0], x along the long side).
  Homography image_to_card{};
  // The scale at the card's centre, px per mm, of a plane facing the camera at the card centre's depth
  // (what a person standing beside the card is): f / Z from the homography and the focal length the quad
  // implies (Zhang & He), or 0.8 x the longer side when the quad is too close to a parallelogram to tell,
  // in which case the card faces the camera and this is the geometric mean of the two axes' scales.
  // One standard deviation of it: the corners' localisation (the side lines' residuals), the model's
  // disagreement (the rectified sides' scales should agree) and the aspect ratio's miss, in quadrature.
  double px_per_mm = 0;
  double px_per_mm_uncertainty = 0;
  double tilt_degrees = 0;  // the card plane's tilt away from the image plane, from the homography and that f
  double score = 0;         // 0..1: how well the best candidate fits a card
  // Why nothing was detected: "no_quadrilateral", "aspect_ratio", "too_small", "too_large"; empty when detected.
  std::string refused;
};

CardDetection detect_card(const vision::Image& image, const CardOptions& options = {});

}  // namespace tyto::body
