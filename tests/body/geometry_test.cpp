#include "tyto/body/geometry.hpp"

#include <catch2/catch.hpp>

TEST_CASE("A homography maps points projectively", "[body]") {
  const tyto::body::Homography scale_and_shift{2, 0, 10, 0, 3, -5, 0, 0, 1};
  const auto p = tyto::body::apply(scale_and_shift, {1, 2});
  CHECK(p.x == Approx(12));
  CHECK(p.y == Approx(1));
  const tyto::body::Homography projective{1, 0, 0, 0, 1, 0, 0.5, 0, 1};
  const auto q = tyto::body::apply(projective, {2, 4});
  CHECK(q.x == Approx(1));
  CHECK(q.y == Approx(2));
}
