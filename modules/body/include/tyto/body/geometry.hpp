// Points and the card's homography, shared by the body module's headers.
#pragma once

#include <array>

namespace tyto::body {

struct Point {
  double x = 0;
  double y = 0;
};

// A 3x3 projective transform, row-major, acting on homogeneous column vectors (x, y, 1).
using Homography = std::array<double, 9>;

// h applied to p (the result divided by its third coordinate).
Point apply(const Homography& h, Point p) noexcept;

}  // namespace tyto::body
