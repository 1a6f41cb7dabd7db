// The ID-1 card on composites of Debian's opencv-doc photos (body/card_scene): found with sub-pixel corners
// and its scale under tilt, rotation, blur, noise and shadow; look-alikes refused with their reason.
#include "tyto/body/card.hpp"
#include "body/card_scene.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tyto::body;
using tyto::test::body::corner_error;
using tyto::test::body::render_scene;
using tyto::test::body::SceneSpec;

namespace {

double scale_error(const CardDetection& found, const tyto::test::body::Scene& scene) {
  return std::abs(found.px_per_mm - scene.px_per_mm) / scene.px_per_mm;
}

}  // namespace

TEST_CASE("A card facing the camera on a real photo is found with sub-pixel corners and its scale", "[body][card]") {
  SceneSpec spec;
  spec.background = "fruits.jpg";
  spec.centre = {0.45, 0.55};
  const auto scene = render_scene(spec);
  const auto found = detect_card(scene.image);
  REQUIRE(found.detected);
  CHECK(found.refused.empty());
  CHECK(corner_error(found.corners, scene.corners) < 0.5);
  CHECK(std::abs(found.px_per_mm - scene.px_per_mm) / scene.px_per_mm < 0.005);
  CHECK(found.px_per_mm_uncertainty > 0);
  CHECK(found.px_per_mm_uncertainty < 0.02 * found.px_per_mm);
  CHECK(found.tilt_degrees < 3.0);
  CHECK(found.score > 0.5);
}

TEST_CASE("Detected corners run clockwise from a long side and the homography maps them to millimetres",
          "[body][card]") {
  SceneSpec spec;
  spec.background = "home.jpg";
  spec.roll_degrees = 100;  // the long side runs nearly vertically
  spec.tilt_degrees = 12;
  spec.tilt_axis_degrees = 30;
  const auto scene = render_scene(spec);
  const auto found = detect_card(scene.image);
  REQUIRE(found.detected);
  double area = 0;
  for (int i = 0; i < 4; ++i)
    area += found.corners[i].x * found.corners[(i + 1) % 4].y - found.corners[(i + 1) % 4].x * found.corners[i].y;
  CHECK(area > 0);  // clockwise on screen (y down)
  const Point origin = apply(found.image_to_card, found.corners[0]);
  const Point long_end = apply(found.image_to_card, found.corners[1]);
  const Point far = apply(found.image_to_card, found.corners[2]);
  CHECK(origin.x == Approx(0).margin(1e-3));
  CHECK(origin.y == Approx(0).margin(1e-3));
  CHECK(long_end.x == Approx(kCardWidthMm).margin(1e-3));
  CHECK(far.y == Approx(kCardHeightMm).margin(1e-3));
  // The card's true centre lands in the middle of the card plane.
  const Point centre = apply(found.image_to_card, tyto::body::apply(scene.card_to_image, {42.8, 26.99}));
  CHECK(centre.x == Approx(42.8).margin(0.3));
  CHECK(centre.y == Approx(26.99).margin(0.3));
  CHECK(found.tilt_degrees == Approx(scene.tilt_degrees).margin(4.0));
}

TEST_CASE("Tilted, rotated, blurred, noisy and shadowed cards are found within a pixel", "[body][card]") {
  struct Case {
    const char* background;
    double tilt, axis, roll, blur, noise, shadow;
    cv::Vec3b colour;
  };
  const Case cases[] = {
      {"baboon.jpg", 25, 0, 37, 1.0, 4, 0.3, {200, 30, 40}},
      {"building.jpg", 20, 90, 200, 1.5, 6, 0.4, {20, 110, 60}},
      {"messi5.jpg", 25, 45, 300, 0.8, 3, 0.5, {60, 160, 200}},
      {"orange.jpg", 15, 135, 75, 2.0, 8, 0.2, {40, 90, 200}},
      {"aero3.jpg", 22, 200, 160, 1.2, 5, 0.35, {230, 200, 40}},
      {"stuff.jpg", 18, 300, 250, 0.5, 2, 0.45, {120, 40, 150}},
  };
  for (const auto& c : cases) {
    SceneSpec spec;
    spec.background = c.background;
    spec.tilt_degrees = c.tilt;
    spec.tilt_axis_degrees = c.axis;
    spec.roll_degrees = c.roll;
    spec.blur_sigma = c.blur;
    spec.noise_sigma = c.noise;
    spec.shadow = c.shadow;
    spec.shadow_direction_degrees = c.axis + 60;
    spec.colour = c.colour;
    spec.width_fraction = 0.3;
    const auto scene = render_scene(spec);
    const auto found = detect_card(scene.image);
    INFO(c.background << " tilt " << c.tilt << " roll " << c.roll);
    REQUIRE(found.detected);
    CHECK(corner_error(found.corners, scene.corners) < 1.5);
    CHECK(scale_error(found, scene) < 0.03);
    // Tilt rests on the focal length the quad implies, which a small quad pins down loosely.
    CHECK(found.tilt_degrees == Approx(scene.tilt_degrees).margin(10.0));
  }
}

TEST_CASE("A white card on a light background is found", "[body][card]") {
  SceneSpec spec;
  spec.background = "fruits.jpg";
  spec.lighten = 0.8;
  spec.colour = {246, 246, 243};
  spec.tilt_degrees = 15;
  spec.tilt_axis_degrees = 70;
  spec.roll_degrees = 20;
  spec.noise_sigma = 2;
  spec.blur_sigma = 0.7;
  const auto scene = render_scene(spec);
  const auto found = detect_card(scene.image);
  REQUIRE(found.detected);
  CHECK(corner_error(found.corners, scene.corners) < 1.5);
  CHECK(scale_error(found, scene) < 0.03);
}

TEST_CASE("A photo larger than the working size gives corners and scale in its own pixels", "[body][card]") {
  SceneSpec spec;
  spec.background = "building.jpg";
  spec.longer_side = 2400;
  spec.tilt_degrees = 10;
  spec.roll_degrees = 15;
  const auto scene = render_scene(spec);
  const auto found = detect_card(scene.image);
  REQUIRE(found.detected);
  CHECK(corner_error(found.corners, scene.corners) < 3.0);
  CHECK(scale_error(found, scene) < 0.02);
}

TEST_CASE("Look-alikes of the card are refused with their reason", "[body][card]") {
  SECTION("a square sticky note") {
    SceneSpec spec;
    spec.background = "home.jpg";
    spec.width_mm = 76, spec.height_mm = 76, spec.corner_radius_mm = 0;
    spec.colour = {250, 230, 80};
    spec.features = false;
    spec.width_fraction = 0.3;
    spec.tilt_degrees = 10;
    spec.roll_degrees = 20;
    const auto found = detect_card(render_scene(spec).image);
    CHECK_FALSE(found.detected);
    CHECK(found.refused == "aspect_ratio");
  }
  SECTION("a sheet of A4 paper filling the frame") {
    SceneSpec spec;
    spec.background = "fruits.jpg";
    spec.width_mm = 297, spec.height_mm = 210, spec.corner_radius_mm = 0;
    spec.colour = {240, 240, 236};
    spec.features = false;
    spec.width_fraction = 0.85;
    spec.roll_degrees = 3;
    const auto found = detect_card(render_scene(spec).image);
    CHECK_FALSE(found.detected);
    CHECK(found.refused == "too_large");
  }
  SECTION("a card too small to measure") {
    SceneSpec spec;
    spec.background = "orange.jpg";
    spec.width_fraction = 0.035;
    spec.colour = {20, 60, 170};
    spec.features = false;
    const auto scene = render_scene(spec);
    const auto found = detect_card(scene.image);
    CHECK_FALSE(found.detected);
    CHECK(found.refused == "too_small");
  }
  SECTION("a photo without any card") {
    const auto found = detect_card(tyto::test::body::to_image(tyto::test::body::background("messi5.jpg")));
    CHECK_FALSE(found.detected);
    CHECK_FALSE(found.refused.empty());
  }
}

TEST_CASE("Card detection refuses an empty image", "[body][card]") {
  CHECK_THROWS_AS(detect_card(tyto::vision::Image{}), tyto::Error);
}
