// Text and background colours of a region, measured from pixels, and their WCAG 2.x contrast ratio.
//
// The region's pixels are split in two colour clusters (k-means, k = 2, in RGB); the cluster touching
// the region's border more is the background, the other the glyphs. Anti-aliased pixels on the edges of
// glyphs mix both colours, so each colour is the median of its cluster's core: pixels whose 3x3
// neighbourhood is entirely in the same cluster (for strokes too thin to have a core, the twentieth of the
// cluster farthest from the other colour). Over a gradient or a photo the background is not one colour:
// `ratio` uses the background's median, `min_ratio` its 10th-percentile closest to the text.
// Thread-safe: no shared state.
#pragma once

#include "tyto/vision/image.hpp"

#include <optional>

namespace tyto::vision {

// WCAG 2.x relative luminance (sRGB linearised: c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055)^2.4).
double relative_luminance(Rgb colour) noexcept;
// (L_lighter + 0.05) / (L_darker + 0.05), 1..21.
double contrast_ratio(Rgb a, Rgb b) noexcept;

struct ContrastMeasurement {
  Rgb text;
  Rgb background;
  double ratio = 1;      // text against the background's median colour
  double min_ratio = 1;  // text against the background's colour closest to it (10th percentile)
  int text_pixels = 0;   // core pixels each colour was measured on
  int background_pixels = 0;
  // False when the region has no second colour (no text, or text the same as its background): then
  // text = background and both ratios are 1.
  bool separated = false;
};

// Throws tyto::Error validation_failed when the box lies outside the image or holds fewer than 4x4 pixels
// once clipped.
ContrastMeasurement measure_contrast(const Image& image, const Box& region);

}  // namespace tyto::vision
