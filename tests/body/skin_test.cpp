// Skin tone: ITA and Chardon's categories at their boundaries, the Monk scale's swatches, undertone, and
// patches of known CIELAB (with highlights, shadows and hair) under casts, white-balanced from the card.
#include "tyto/body/skin.hpp"
#include "body/card_scene.hpp"

#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

using namespace tyto::body;
namespace tb = tyto::test::body;

TEST_CASE("ITA follows its definition and Chardon's categories split at their boundaries", "[body][skin]") {
  CHECK(ita_degrees({50 + std::tan(45.0 * 3.14159265358979 / 180) * 20, 5, 20}) == Approx(45));
  CHECK(ita_degrees({70, 8, 20}) == Approx(std::atan(1.0) * 180 / 3.14159265358979));
  CHECK(ita_degrees({40, 10, 20}) == Approx(-26.565).margin(1e-3));
  CHECK(ita_degrees({60, 5, 0}) == 90);
  CHECK(chardon_category(55.01) == "very_light");
  CHECK(chardon_category(55.0) == "light");
  CHECK(chardon_category(41.01) == "light");
  CHECK(chardon_category(41.0) == "intermediate");
  CHECK(chardon_category(28.0) == "tan");
  CHECK(chardon_category(10.0) == "brown");
  CHECK(chardon_category(-29.9) == "brown");
  CHECK(chardon_category(-30.0) == "dark");
  CHECK(chardon_category(-60.0) == "dark");
}

TEST_CASE("The Monk scale has ten swatches, lightest first, each nearest to itself", "[body][skin]") {
  const auto scale = monk_scale();
  REQUIRE(scale.size() == 10);
  CHECK(scale[0].hex == "#f6ede4");
  CHECK(scale[9].hex == "#292420");
  for (std::size_t i = 0; i < scale.size(); ++i) {
    CHECK(scale[i].index == static_cast<int>(i) + 1);
    if (i > 0) CHECK(scale[i].lab.l < scale[i - 1].lab.l + 2.0);  // 3 (f7ead0) is a touch lighter than 2
    const auto [index, distance] = nearest_monk(scale[i].lab);
    CHECK(index == scale[i].index);
    CHECK(distance == Approx(0).margin(1e-9));
    CHECK(lab_to_rgb(scale[i].lab) == tyto::vision::parse_hex_colour(scale[i].hex));
  }
  CHECK(scale[0].lab.l > 90);
  CHECK(scale[9].lab.l < 20);
  // A colour between swatches 6 and 7 goes to the nearer one.
  const Lab six = scale[5].lab, seven = scale[6].lab;
  const Lab near_six{six.l * 0.8 + seven.l * 0.2, six.a * 0.8 + seven.a * 0.2, six.b * 0.8 + seven.b * 0.2};
  CHECK(nearest_monk(near_six).first == 6);
}

TEST_CASE("Undertone reads the hue angle of the skin colour", "[body][skin]") {
  CHECK(undertone({60, 20, 12}) == "cool");     // h = 31°, pink-red
  CHECK(undertone({60, 12, 18}) == "neutral");  // h = 56°
  CHECK(undertone({60, 6, 22}) == "warm");      // h = 75°, golden
  CHECK(undertone({60, 2, 3}) == "neutral");    // too little chroma to tell
}

TEST_CASE("Skin patches of known colour give their ITA, category and Monk swatch", "[body][skin]") {
  std::mt19937 rng(7);
  for (const auto& swatch : monk_scale()) {
    cv::Mat img(200, 300, CV_8UC3, cv::Scalar(90, 120, 160));
    tb::paint_skin(img, {20, 20, 80, 100}, swatch.lab, rng, true);
    tb::paint_skin(img, {160, 40, 60, 60}, swatch.lab, rng, true);
    const SkinPatch patches[] = {
        {"face", {20, 20, 80, 100}}, {"neck", {160, 40, 60, 60}}, {"outside", {400, 400, 10, 10}}};
    const auto tone = measure_skin(tyto::test::body::to_image(img), patches);
    INFO("Monk " << swatch.index);
    REQUIRE(tone.measured);
    CHECK(tone.patches.size() == 2);
    CHECK(tone.monk == swatch.index);
    CHECK(delta_e2000(tone.lab, swatch.lab) < 1.0);
    CHECK(tone.ita == Approx(ita_degrees(swatch.lab)).margin(2.0));
    CHECK(tone.category == chardon_category(tone.ita));
    CHECK(tone.spread < 1.5);
    CHECK(tone.patches[0].pixels > 4000);
  }
}

TEST_CASE("A patch far from the others is left out of the mean but counts in the spread", "[body][skin]") {
  std::mt19937 rng(3);
  const Lab skin = monk_scale()[4].lab;
  cv::Mat img(100, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  tb::paint_skin(img, {0, 0, 90, 90}, skin, rng, true);
  tb::paint_skin(img, {100, 0, 90, 90}, skin, rng, true);
  tb::paint_skin(img, {200, 0, 90, 90}, {skin.l - 20, skin.a + 8, skin.b}, rng, true);  // a flushed, shadowed cheek
  const SkinPatch patches[] = {{"face", {0, 0, 90, 90}}, {"neck", {100, 0, 90, 90}}, {"cheek", {200, 0, 90, 90}}};
  const auto tone = measure_skin(tyto::test::body::to_image(img), patches);
  REQUIRE(tone.measured);
  CHECK(delta_e2000(tone.lab, skin) < 1.0);
  CHECK(tone.spread > 10);
}

TEST_CASE("Without skin-like pixels nothing is measured", "[body][skin]") {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(30, 80, 220));  // blue
  const SkinPatch patches[] = {{"face", {10, 10, 50, 50}}};
  CHECK_FALSE(measure_skin(tyto::test::body::to_image(img), patches).measured);
  CHECK_FALSE(measure_skin(tyto::test::body::to_image(img), {}).measured);
}

TEST_CASE("Skin under a cast is measured right after the card's white balance", "[body][skin]") {
  std::mt19937 rng(11);
  const auto gains = tyto::test::body::cast_gains(1.18, 0.97, 0.66);
  const Lab skin = monk_scale()[6].lab;
  tyto::test::body::SceneSpec spec;
  spec.background = "baboon.jpg";
  spec.colour = {215, 215, 215};
  spec.centre = {0.3, 0.7};
  spec.width_fraction = 0.3;
  auto scene = tyto::test::body::render_scene(spec);
  cv::Mat img = tyto::test::body::to_mat(scene.image);
  tb::paint_skin(img, {380, 60, 120, 140}, skin, rng, true);
  const auto cast = tyto::test::body::apply_cast(tyto::test::body::to_image(img), gains);
  const SkinPatch patches[] = {{"face", {380, 60, 120, 140}}};
  const auto raw = measure_skin(cast, patches);
  const auto card = detect_card(cast);
  REQUIRE(card.detected);
  const auto balance = estimate_white_balance(cast, &card);
  REQUIRE(balance.method == "card");
  const auto tone = measure_skin(apply_white_balance(cast, balance), patches);
  REQUIRE(tone.measured);
  CHECK(delta_e2000(tone.lab, skin) < 2.5);
  CHECK(delta_e2000(raw.lab, skin) > delta_e2000(tone.lab, skin) + 2.0);
  CHECK(tone.monk == 7);
  CHECK(tone.ita == Approx(ita_degrees(skin)).margin(4.0));
}
