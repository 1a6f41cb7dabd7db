// Colour: CIEDE2000 against Sharma, Wu & Dalal's published pairs, sRGB/XYZ/CIELAB round trips, Bradford,
// and white balance recovering a known cast from the card's white and from gray-world.
#include "tyto/body/color.hpp"
#include "body/card_scene.hpp"

#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace tyto::body;
using tyto::vision::Rgb;

TEST_CASE("CIEDE2000 matches Sharma, Wu and Dalal's test pairs", "[body][color]") {
  // Table 1 of "The CIEDE2000 color-difference formula: implementation notes, supplementary test data, and
  // mathematical observations" (Color Res. Appl. 30(1), 2005): pairs 1, 4, 7, 9, 13, 16-20, 25, 34.
  struct Pair {
    Lab a, b;
    double de;
  };
  const Pair pairs[] = {
      {{50.0, 2.6772, -79.7751}, {50.0, 0.0, -82.7485}, 2.0425},
      {{50.0, -1.3802, -84.2814}, {50.0, 0.0, -82.7485}, 1.0000},
      {{50.0, 0.0, 0.0}, {50.0, -1.0, 2.0}, 2.3669},
      {{50.0, 2.49, -0.001}, {50.0, -2.49, 0.0009}, 7.1792},
      {{50.0, -0.001, 2.49}, {50.0, 0.0009, -2.49}, 4.8045},
      {{50.0, 2.5, 0.0}, {50.0, 0.0, -2.5}, 4.3065},
      {{50.0, 2.5, 0.0}, {73.0, 25.0, -18.0}, 27.1492},
      {{50.0, 2.5, 0.0}, {61.0, -5.0, 29.0}, 22.8977},
      {{50.0, 2.5, 0.0}, {56.0, -27.0, -3.0}, 31.9030},
      {{50.0, 2.5, 0.0}, {58.0, 24.0, 15.0}, 19.4535},
      {{60.2574, -34.0099, 36.2677}, {60.4626, -34.1751, 39.4387}, 1.2644},
      {{2.0776, 0.0795, -1.1350}, {0.9033, -0.0636, -0.5514}, 0.9082},
  };
  for (const auto& p : pairs) {
    INFO(p.a.l << " " << p.a.a << " " << p.a.b << " vs " << p.b.l << " " << p.b.a << " " << p.b.b);
    CHECK(delta_e2000(p.a, p.b) == Approx(p.de).margin(5e-5));
    CHECK(delta_e2000(p.b, p.a) == Approx(p.de).margin(5e-5));
  }
  CHECK(delta_e2000({60, 10, 20}, {60, 10, 20}) == 0);
}

TEST_CASE("sRGB, XYZ and CIELAB convert with D65's white and round-trip", "[body][color]") {
  const Lab white = rgb_to_lab({255, 255, 255});
  CHECK(white.l == Approx(100).margin(1e-3));
  CHECK(white.a == Approx(0).margin(1e-2));
  CHECK(white.b == Approx(0).margin(1e-2));
  const Xyz white_xyz = rgb_to_xyz({255, 255, 255});
  CHECK(white_xyz.x == Approx(kD65.x).margin(1e-4));
  CHECK(white_xyz.z == Approx(kD65.z).margin(1e-4));
  // Published CIELAB of sRGB primaries (D65): red (53.24, 80.09, 67.20), blue (32.30, 79.19, -107.86).
  const Lab red = rgb_to_lab({255, 0, 0});
  CHECK(red.l == Approx(53.24).margin(0.02));
  CHECK(red.a == Approx(80.09).margin(0.03));
  CHECK(red.b == Approx(67.20).margin(0.03));
  const Lab blue = rgb_to_lab({0, 0, 255});
  CHECK(blue.l == Approx(32.30).margin(0.02));
  CHECK(blue.b == Approx(-107.86).margin(0.05));
  CHECK(rgb_to_lab({0, 0, 0}).l == Approx(0).margin(1e-9));
  for (int r = 0; r < 256; r += 15)
    for (int g = 0; g < 256; g += 15)
      for (int b = 0; b < 256; b += 15) {
        const Rgb c{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b)};
        INFO(r << "," << g << "," << b);
        REQUIRE(lab_to_rgb(rgb_to_lab(c)) == c);
      }
  for (int i = 0; i <= 100; ++i) CHECK(linear_to_srgb(srgb_to_linear(i / 100.0)) == Approx(i / 100.0).margin(1e-12));
  // Out of gamut: clipped, not wrapped.
  const Rgb clipped = lab_to_rgb({50, 120, -120});
  CHECK(clipped.b == 255);
}

TEST_CASE("Bradford adapts a white to the target white and is the identity from D65 to D65", "[body][color]") {
  const auto identity = bradford(kD65, kD65);
  for (int i = 0; i < 9; ++i) CHECK(identity[i] == Approx(i % 4 == 0 ? 1.0 : 0.0).margin(1e-12));
  const Xyz illuminant_a{1.09850, 1.0, 0.35585};
  const auto m = bradford(illuminant_a, kD65);
  const double x = m[0] * illuminant_a.x + m[1] * illuminant_a.y + m[2] * illuminant_a.z;
  const double y = m[3] * illuminant_a.x + m[4] * illuminant_a.y + m[5] * illuminant_a.z;
  const double z = m[6] * illuminant_a.x + m[7] * illuminant_a.y + m[8] * illuminant_a.z;
  CHECK(x == Approx(kD65.x).margin(1e-9));
  CHECK(y == Approx(kD65.y).margin(1e-9));
  CHECK(z == Approx(kD65.z).margin(1e-9));
  // Lindbloom's published Bradford matrix from A to D65: first row 0.8446965, -0.1179225, 0.3948108.
  CHECK(m[0] == Approx(0.8446965).margin(2e-4));
  CHECK(m[1] == Approx(-0.1179225).margin(2e-4));
  CHECK(m[2] == Approx(0.3948108).margin(2e-4));
}

namespace {

// A scene of colour patches of known CIELAB, a white card on its left (its true outline gives the detection),
// a grey background, then a colour cast in linear light.
struct PatchScene {
  tyto::vision::Image image;
  CardDetection card;
  std::vector<std::pair<cv::Rect, Lab>> patches;
};

PatchScene patch_scene(const std::array<double, 3>& gains, bool neutral_background) {
  PatchScene s;
  cv::Mat img(360, 640, CV_8UC3, neutral_background ? cv::Scalar(128, 128, 128) : cv::Scalar(150, 110, 90));
  // Macbeth-like colours: dark skin, light skin, blue sky, foliage, orange, purple, yellow-green, a grey.
  const Lab colours[] = {{37.99, 13.56, 14.06}, {65.71, 18.13, 17.81},  {49.93, -4.88, -21.93}, {43.14, -13.10, 21.91},
                         {62.66, 36.07, 57.10}, {30.33, 22.98, -21.59}, {72.53, -23.71, 57.26}, {50.87, -0.15, 0.27}};
  for (int i = 0; i < 8; ++i) {
    const cv::Rect r(300 + (i % 4) * 80, 60 + (i / 4) * 120, 64, 96);
    const Rgb c = lab_to_rgb(colours[i]);
    cv::rectangle(img, r, cv::Scalar(c.r, c.g, c.b), cv::FILLED);
    s.patches.push_back({r, rgb_to_lab(c)});
  }
  const std::array<Point, 4> corners{Point{40, 100}, Point{254, 100}, Point{254, 235}, Point{40, 235}};
  std::vector<cv::Point> poly;
  for (const auto& p : corners) poly.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
  cv::fillConvexPoly(img, poly, cv::Scalar(232, 232, 232));
  cv::rectangle(img, cv::Rect(70, 150, 40, 30), cv::Scalar(210, 170, 90), cv::FILLED);  // the chip
  s.image = tyto::test::body::apply_cast(tyto::test::body::to_image(img), gains);
  s.card.detected = true;
  s.card.corners = corners;
  const double sx = (corners[1].x - corners[0].x) / kCardWidthMm, sy = (corners[3].y - corners[0].y) / kCardHeightMm;
  s.card.image_to_card = {1 / sx, 0, -corners[0].x / sx, 0, 1 / sy, -corners[0].y / sy, 0, 0, 1};
  return s;
}

double worst_patch_error(const PatchScene& s, const tyto::vision::Image& balanced) {
  double worst = 0;
  for (const auto& [rect, truth] : s.patches) {
    const auto* p =
        &balanced
             .pixels[(static_cast<std::size_t>(rect.y + rect.height / 2) * balanced.width + rect.x + rect.width / 2) *
                     3];
    worst = std::max(worst, delta_e2000(rgb_to_lab({p[0], p[1], p[2]}), truth));
  }
  return worst;
}

}  // namespace

TEST_CASE("White balance from the card's white recovers colours under a cast", "[body][color]") {
  const auto gains = tyto::test::body::cast_gains(1.15, 0.97, 0.72);  // tungsten-like, warm
  const auto scene = patch_scene(gains, false);
  const double before = worst_patch_error(scene, scene.image);
  const auto balance = estimate_white_balance(scene.image, &scene.card);
  CHECK(balance.method == "card");
  CHECK(balance.confidence > 0.5);
  CHECK(balance.estimated_white.r > balance.estimated_white.b);
  const auto balanced = apply_white_balance(scene.image, balance);
  const double after = worst_patch_error(scene, balanced);
  CHECK(before > 8.0);
  CHECK(after < 3.0);
  // Gray-world, on a background that is not grey, does markedly worse on the same photo.
  const auto gray = estimate_white_balance(scene.image, nullptr);
  CHECK(gray.method == "gray_world");
  CHECK(worst_patch_error(scene, apply_white_balance(scene.image, gray)) > after + 2.0);
}

TEST_CASE("Gray-world recovers a cast when the scene averages to grey", "[body][color]") {
  const auto gains = tyto::test::body::cast_gains(0.85, 1.0, 1.25);  // shade, cool
  const auto scene = patch_scene(gains, true);
  const auto balance = estimate_white_balance(scene.image, nullptr);
  CHECK(balance.method == "gray_world");
  const auto balanced = apply_white_balance(scene.image, balance);
  CHECK(worst_patch_error(scene, balanced) < 4.0);
  CHECK(worst_patch_error(scene, balanced) < 0.6 * worst_patch_error(scene, scene.image));
}

TEST_CASE("A coloured card has no neutral area and white balance falls back to gray-world", "[body][color]") {
  auto scene = patch_scene({1, 1, 1}, true);
  cv::Mat img = tyto::test::body::to_mat(scene.image);
  cv::rectangle(img, cv::Rect(40, 100, 215, 136), cv::Scalar(20, 60, 170), cv::FILLED);
  const auto balance = estimate_white_balance(tyto::test::body::to_image(img), &scene.card);
  CHECK(balance.method == "gray_world");
}

TEST_CASE("White balance of a neutral photo changes nothing", "[body][color]") {
  const auto scene = patch_scene({1, 1, 1}, false);
  const auto balance = estimate_white_balance(scene.image, &scene.card);
  REQUIRE(balance.method == "card");
  CHECK(balance.source_white.x == Approx(kD65.x).margin(0.003));
  CHECK(balance.source_white.z == Approx(kD65.z).margin(0.003));
  CHECK(worst_patch_error(scene, apply_white_balance(scene.image, balance)) < 1.0);
}
