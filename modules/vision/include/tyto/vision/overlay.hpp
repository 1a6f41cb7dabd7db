// Overlays: boxes and their labels drawn onto an image, for people to look at.
// Thread-safe: no shared state.
#pragma once

#include "tyto/vision/image.hpp"

#include <span>
#include <string>

namespace tyto::vision {

struct Annotation {
  Box box;
  std::string label;  // drawn above the box (below it at the top edge); ASCII, longer ones cut at 80
  Rgb colour{230, 40, 40};
};

// A copy of the image (as RGB) with each box outlined (2 px, or 1 px in images under 200 px) and its label
// on a filled tab of the box's colour, in black or white, whichever contrasts more.
Image draw_overlay(const Image& image, std::span<const Annotation> annotations);

}  // namespace tyto::vision
