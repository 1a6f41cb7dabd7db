// Redaction: hiding regions of an image, by blurring them beyond recognition or filling them.
// Thread-safe: no shared state.
#pragma once

#include "tyto/vision/image.hpp"

#include <span>

namespace tyto::vision {

enum class RedactMode {
  kBlur,  // pixelated to blocks of a sixth of the box's shorter side (at least 8 px), then blurred
  kFill,  // a solid colour
};

// Redacts each box (clipped to the image; boxes outside it are ignored) in place. Returns how many
// boxes touched the image.
int redact(Image& image, std::span<const Box> boxes, RedactMode mode, Rgb fill = {0, 0, 0});

}  // namespace tyto::vision
