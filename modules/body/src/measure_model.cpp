// The measurement model's fixed parts: the ellipse perimeter and its per-site coefficients (docs/modules/body.md,
// "Measurements"), the body-shape rules, and each measurement's definition in ISO 8559-1's terms.
#include "detail/measure_model.hpp"
#include "tyto/body/measure.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tyto::body {

double ellipse_circumference(double width, double depth) noexcept {
  const double a = std::abs(width) / 2;
  const double b = std::abs(depth) / 2;
  if (a + b <= 0) return 0;
  const double h = std::pow((a - b) / (a + b), 2);
  return std::numbers::pi * (a + b) * (1 + 3 * h / (10 + std::sqrt(4 - 3 * h)));
}

// A superellipse |x/a|^n + |y/b|^n = 1 of the site's typical depth/width ratio over the ellipse of the same axes:
// chest n ≈ 2.4 (d/w 0.72), waist n ≈ 2.2 (0.75), hip n ≈ 2.4 (0.70), neck n = 2 (docs/modules/body.md).
double circumference_coefficient(std::string_view site) noexcept {
  if (site == "chest") return 1.03;
  if (site == "waist") return 1.02;
  if (site == "hip") return 1.03;
  return 1.0;  // "neck" and anything else
}

// The rules in order; the first that holds names the shape (docs/modules/body.md).
std::string body_shape(double chest, double waist, double hip) {
  if (!(chest > 0) || !(waist > 0) || !(hip > 0)) return "";
  const double larger = std::max(chest, hip);
  if (waist >= 0.9 * larger) return "apple";
  if (std::abs(chest - hip) <= 0.05 * larger && waist <= 0.75 * larger) return "hourglass";
  if (hip - chest > 0.05 * hip) return "pear";
  if (chest - hip > 0.05 * chest) return "inverted_triangle";
  return "rectangle";
}

namespace detail {

double circumference_coefficient_sigma(std::string_view site) noexcept {
  if (site == "chest" || site == "waist" || site == "hip") return 0.03;
  return 0.02;
}

std::string_view iso_definition(std::string_view name) noexcept {
  if (name == "height")
    return "Body height (stature): vertical distance from the highest point of the head (vertex) to the standing "
           "surface, standing erect with feet together.";
  if (name == "chest")
    return "Chest girth: horizontal girth measured under the armpits (axillae), over the shoulder blades and across "
           "the chest, with the arms hanging down.";
  if (name == "waist")
    return "Waist girth: horizontal girth at waist level, midway between the lowest rib and the top of the hip bone "
           "(iliac crest).";
  if (name == "hip")
    return "Hip girth: horizontal girth at the level of the greatest lateral protrusion of the buttocks.";
  if (name == "neck")
    return "Neck base girth: girth around the base of the neck, over the cervicale, the neck-shoulder points and the "
           "top of the jugular notch (here: the horizontal girth just above where the neck meets the shoulders).";
  if (name == "inseam") return "Inside leg length: vertical distance from the crotch to the standing surface.";
  if (name == "shoulder_width")
    return "Shoulder width: straight distance between the left and right shoulder points (here: the shoulder joint "
           "keypoints).";
  if (name == "arm_length")
    return "Arm length: distance from the shoulder point over the elbow to the wrist (here: the sum of the upper "
           "arm and forearm keypoint segments).";
  return "";
}

}  // namespace detail

}  // namespace tyto::body
