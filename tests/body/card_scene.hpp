// Composites for the body module's tests: a card (or a look-alike) rendered in perspective onto a real photo
// from Debian's opencv-doc package, with its true corners and scale, and colour casts in linear light.
#pragma once

#include "tyto/body/color.hpp"
#include "tyto/body/geometry.hpp"
#include "tyto/vision/image.hpp"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tyto::test::body {

// The photos the composites use as backgrounds (opencv-doc's examples/data).
const std::vector<std::string>& background_names();
// A photo as RGB 8-bit, its longer side scaled to `longer_side`; throws when opencv-doc is missing.
cv::Mat background(const std::string& name, int longer_side = 640);

struct SceneSpec {
  std::string background = "fruits.jpg";
  int longer_side = 640;
  double lighten = 0;                          // 0..1: the photo blended toward a light grey (a white table, a wall)
  double width_mm = tyto::body::kCardWidthMm;  // the rectangle rendered: a card, or a look-alike
  double height_mm = tyto::body::kCardHeightMm;
  double corner_radius_mm = tyto::body::kCardCornerRadiusMm;
  cv::Vec3b colour{30, 70, 160};  // the face's base colour (RGB)
  bool features = true;           // a chip, a stripe and "text" on the face, away from its edge
  double width_fraction = 0.35;   // the rectangle's projected width over the image's width (untilted)
  cv::Point2d centre{0.5, 0.5};   // where its centre lands, as fractions of the image
  double tilt_degrees = 0;        // about an axis in the card's plane at `tilt_axis_degrees`
  double tilt_axis_degrees = 0;
  double roll_degrees = 0;    // in-plane rotation
  double focal_factor = 0.9;  // focal length over the image's longer side
  double blur_sigma = 0;
  double noise_sigma = 0;  // Gaussian, 8-bit levels
  double shadow = 0;       // 0..1: a linear darkening across the image, up to this fraction
  double shadow_direction_degrees = 0;
  std::uint64_t seed = 1;
};

struct Scene {
  vision::Image image;
  std::array<tyto::body::Point, 4> corners{};  // (0,0), (w,0), (w,h), (0,h) in mm, in image pixels
  tyto::body::Homography card_to_image{};
  double px_per_mm = 0;  // f / Z at the rectangle's centre
  double tilt_degrees = 0;
};

Scene render_scene(const SceneSpec& spec);

// Largest distance between detected and true corners, px, over the card's two 180°-symmetric labellings.
double corner_error(const std::array<tyto::body::Point, 4>& found, const std::array<tyto::body::Point, 4>& truth);

// Per-channel gains in linear light, scaled so that a neutral keeps its luminance.
std::array<double, 3> cast_gains(double r, double g, double b);
// The image with the gains applied in linear light (clipped).
vision::Image apply_cast(const vision::Image& rgb, const std::array<double, 3>& gains);

// Skin of a known colour in `r` (RGB image): per-pixel texture, a specular highlight, a shadow band along
// the bottom and, with `hair`, a few dark strands.
void paint_skin(cv::Mat& rgb, const cv::Rect& r, const tyto::body::Lab& lab, std::mt19937& rng, bool hair);

vision::Image to_image(const cv::Mat& rgb);
cv::Mat to_mat(const vision::Image& image);

}  // namespace tyto::test::body
