#include "tyto/body/geometry.hpp"

namespace tyto::body {

Point apply(const Homography& h, Point p) noexcept {
  const double x = h[0] * p.x + h[1] * p.y + h[2];
  const double y = h[3] * p.x + h[4] * p.y + h[5];
  const double w = h[6] * p.x + h[7] * p.y + h[8];
  if (w == 0) return {0, 0};
  return {x / w, y / w};
}

}  // namespace tyto::body
