// Quality figures (tag [quality], also run by ctest): the card on 100 composites across tilt, rotation, blur,
// noise and shadow; 25 look-alikes; skin tone for every Monk swatch under casts, with the card's white
// balance and with gray-world. Prints a report (docs/quality.md quotes it) and asserts floors. The composites
// follow Catch's --rng-seed (a fixed one when none is given).
#include "body/card_scene.hpp"
#include "tyto/body/skin.hpp"

#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

using namespace tyto::body;
namespace tb = tyto::test::body;

namespace {

std::uint32_t seed() { return Catch::rngSeed() == 0 ? 20261202u : Catch::rngSeed(); }

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::lround(q * (v.size() - 1)))];
}

cv::Vec3b random_colour(std::mt19937& rng) {
  static const cv::Vec3b palette[] = {{30, 70, 160},  {200, 30, 40},   {20, 110, 60},   {25, 25, 30},   {230, 200, 40},
                                      {120, 40, 150}, {150, 150, 155}, {245, 245, 242}, {210, 120, 30}, {60, 160, 200}};
  return palette[std::uniform_int_distribution<int>(0, 9)(rng)];
}

}  // namespace

TEST_CASE("Card detection quality over 100 composites and 25 look-alikes", "[body][card][quality]") {
  std::mt19937 rng(seed());
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto& names = tb::background_names();
  std::vector<double> corner_errors, scale_errors, tilt_errors, stated;
  int detected = 0, wrong = 0, within_two_sigma = 0;
  constexpr int kCards = 100;
  for (int i = 0; i < kCards; ++i) {
    tb::SceneSpec spec;
    spec.background = names[i % names.size()];
    spec.tilt_degrees = 25 * u(rng);
    spec.tilt_axis_degrees = 360 * u(rng);
    spec.roll_degrees = 360 * u(rng);
    spec.width_fraction = 0.2 + 0.25 * u(rng);
    spec.centre = {0.35 + 0.3 * u(rng), 0.35 + 0.3 * u(rng)};
    spec.focal_factor = 0.7 + 0.5 * u(rng);
    spec.blur_sigma = 2.0 * u(rng);
    spec.noise_sigma = 8.0 * u(rng);
    spec.shadow = 0.5 * u(rng);
    spec.shadow_direction_degrees = 360 * u(rng);
    spec.colour = random_colour(rng);
    spec.seed = rng();
    const auto scene = tb::render_scene(spec);
    const auto found = detect_card(scene.image);
    if (!found.detected) {
      std::printf("  missed: %s tilt %.1f roll %.0f blur %.1f noise %.1f colour %d,%d,%d (%s)\n",
                  spec.background.c_str(), spec.tilt_degrees, spec.roll_degrees, spec.blur_sigma, spec.noise_sigma,
                  spec.colour[0], spec.colour[1], spec.colour[2], found.refused.c_str());
      continue;
    }
    const double err = tb::corner_error(found.corners, scene.corners);
    if (err > 5.0) {
      ++wrong;
      std::printf("  wrong corners (%.1f px): %s tilt %.1f roll %.0f\n", err, spec.background.c_str(),
                  spec.tilt_degrees, spec.roll_degrees);
      continue;
    }
    ++detected;
    corner_errors.push_back(err);
    scale_errors.push_back(100.0 * std::abs(found.px_per_mm - scene.px_per_mm) / scene.px_per_mm);
    stated.push_back(100.0 * found.px_per_mm_uncertainty / found.px_per_mm);
    within_two_sigma += scale_errors.back() <= 2 * stated.back();
    tilt_errors.push_back(std::abs(found.tilt_degrees - scene.tilt_degrees));
  }

  struct LookAlike {
    const char* name;
    double w, h, radius, width_fraction;
    const char* reason;
  };
  const LookAlike kinds[] = {{"square note", 76, 76, 0, 0.3, "aspect_ratio"},
                             {"phone", 150, 72, 8, 0.35, "aspect_ratio"},
                             {"A4 sheet", 297, 210, 0, 0.85, "too_large"},
                             {"tiny card", kCardWidthMm, kCardHeightMm, kCardCornerRadiusMm, 0.035, "too_small"},
                             {"no card", 0, 0, 0, 0, ""}};
  int refused = 0, right_reason = 0;
  constexpr int kLookAlikes = 25;
  for (int i = 0; i < kLookAlikes; ++i) {
    const auto& kind = kinds[i % 5];
    CardDetection found;
    if (kind.w == 0) {
      found = detect_card(tb::to_image(tb::background(names[(i / 5) % names.size()])));
    } else {
      tb::SceneSpec spec;
      spec.background = names[(i / 5) % names.size()];
      spec.width_mm = kind.w, spec.height_mm = kind.h, spec.corner_radius_mm = kind.radius;
      spec.width_fraction = kind.width_fraction;
      spec.features = false;
      spec.colour = kind.w == 297 ? cv::Vec3b{240, 240, 236} : random_colour(rng);
      const bool sheet = kind.w == 297;
      spec.tilt_degrees = (sheet ? 5 : 20) * u(rng);
      spec.tilt_axis_degrees = 360 * u(rng);
      spec.roll_degrees = sheet ? 6 * u(rng) - 3 : 360 * u(rng);
      spec.blur_sigma = 1.5 * u(rng);
      spec.noise_sigma = 5 * u(rng);
      spec.seed = rng();
      found = detect_card(tb::render_scene(spec).image);
    }
    if (!found.detected) ++refused;
    if (!found.detected && (kind.reason[0] == 0 || found.refused == kind.reason)) ++right_reason;
    if (found.detected || (kind.reason[0] != 0 && found.refused != kind.reason))
      std::printf("  look-alike %s on %s: %s\n", kind.name, names[(i / 5) % names.size()].c_str(),
                  found.detected ? "detected" : found.refused.c_str());
  }

  const double rate = static_cast<double>(detected) / kCards;
  std::printf("card composites: %d, detected with corners right %d (%.1f %%), wrong corners %d\n", kCards, detected,
              100 * rate, wrong);
  std::printf("corner error px: median %.3f, p95 %.3f, max %.3f\n", quantile(corner_errors, 0.5),
              quantile(corner_errors, 0.95), quantile(corner_errors, 1.0));
  std::printf("scale error %%: median %.3f, p95 %.3f, max %.3f; stated uncertainty %%: median %.3f\n",
              quantile(scale_errors, 0.5), quantile(scale_errors, 0.95), quantile(scale_errors, 1.0),
              quantile(stated, 0.5));
  std::printf("scale error within twice the stated uncertainty: %d of %d\n", within_two_sigma, detected);
  std::printf("tilt error deg: median %.2f, p95 %.2f\n", quantile(tilt_errors, 0.5), quantile(tilt_errors, 0.95));
  std::printf("look-alikes: %d, refused %d, with the expected reason %d\n", kLookAlikes, refused, right_reason);
  // Floors under the figures measured (docs/quality.md), so that a regression fails.
  CHECK(rate >= 0.85);
  CHECK(wrong <= 6);
  CHECK(quantile(corner_errors, 0.5) < 0.6);
  CHECK(quantile(corner_errors, 0.95) < 1.5);
  CHECK(quantile(scale_errors, 0.5) < 0.5);
  CHECK(quantile(scale_errors, 0.95) < 1.5);
  CHECK(refused >= 0.75 * kLookAlikes);
  CHECK(right_reason >= 0.45 * kLookAlikes);
}

TEST_CASE("Skin tone quality across the Monk scale under casts, card white balance against gray-world",
          "[body][skin][quality]") {
  std::mt19937 rng(seed() + 1);
  struct Cast {
    const char* name;
    std::array<double, 3> gains;
  };
  const Cast casts[] = {{"none", {1, 1, 1}},
                        {"warm", tb::cast_gains(1.12, 0.98, 0.75)},
                        {"cool", tb::cast_gains(0.88, 1.0, 1.22)},
                        {"green", tb::cast_gains(0.92, 1.06, 0.88)}};
  const char* backgrounds[] = {"baboon.jpg", "building.jpg", "fruits.jpg", "home.jpg"};
  struct Bucket {
    std::vector<double> ita_card, ita_gray, de_card, de_gray;
    int monk_card = 0, monk_gray = 0, within_one_card = 0, n = 0;
  };
  std::array<Bucket, 10> buckets;
  int card_used = 0, total = 0;
  for (const auto& swatch : monk_scale()) {
    auto& bucket = buckets[swatch.index - 1];
    for (std::size_t c = 0; c < std::size(casts); ++c) {
      const auto& cast = casts[c];
      {
        const char* bg = backgrounds[(c + swatch.index) % std::size(backgrounds)];
        tb::SceneSpec spec;
        spec.background = bg;
        spec.colour = {215, 215, 215};
        spec.features = true;
        spec.centre = {0.28, 0.72};
        spec.width_fraction = 0.3;
        spec.tilt_degrees = 15 * std::uniform_real_distribution<double>(0, 1)(rng);
        spec.roll_degrees = std::uniform_real_distribution<double>(-20, 20)(rng);
        const auto scene = tb::render_scene(spec);
        cv::Mat img = tb::to_mat(scene.image);
        const cv::Rect face(img.cols - 220, 40, 110, 130), neck(img.cols - 200, 190, 70, 50);
        tb::paint_skin(img, face, swatch.lab, rng, false);
        tb::paint_skin(img, neck, swatch.lab, rng, false);
        cv::Mat noisy;
        img.convertTo(noisy, CV_32FC3);
        cv::Mat noise(img.size(), CV_32FC3);
        cv::randn(noise, 0.0, 2.0);
        noisy += noise;
        noisy.convertTo(img, CV_8UC3);
        const auto photo = tb::apply_cast(tb::to_image(img), cast.gains);
        const SkinPatch patches[] = {{"face", {face.x, face.y, face.width, face.height}},
                                     {"neck", {neck.x, neck.y, neck.width, neck.height}}};
        const auto card = detect_card(photo);
        const auto by_card = estimate_white_balance(photo, &card);
        const auto by_gray = estimate_white_balance(photo, nullptr);
        card_used += by_card.method == "card";
        ++total;
        const auto tone_card = measure_skin(apply_white_balance(photo, by_card), patches);
        const auto tone_gray = measure_skin(apply_white_balance(photo, by_gray), patches);
        REQUIRE(tone_card.measured);
        const double ita = ita_degrees(swatch.lab);
        bucket.ita_card.push_back(std::abs(tone_card.ita - ita));
        bucket.de_card.push_back(delta_e2000(tone_card.lab, swatch.lab));
        bucket.monk_card += tone_card.monk == swatch.index;
        // Gray-world can leave the skin so far off that no pixel passes as skin: a miss.
        if (tone_gray.measured) {
          bucket.ita_gray.push_back(std::abs(tone_gray.ita - ita));
          bucket.de_gray.push_back(delta_e2000(tone_gray.lab, swatch.lab));
          bucket.monk_gray += tone_gray.monk == swatch.index;
        }
        bucket.within_one_card += std::abs(tone_card.monk - swatch.index) <= 1;
        ++bucket.n;
      }
    }
  }
  std::printf("skin: %d photos (10 Monk swatches x 4 casts, backgrounds in turn), card white balance used in %d\n",
              total, card_used);
  std::printf(
      "Monk | ITA° | card: |ΔITA| med  ΔE00 med  Monk right  within 1 | gray-world: |ΔITA| med  ΔE00 med  Monk "
      "right\n");
  double worst_de = 0, best_de = 1e9;
  int all_right = 0, all_within = 0, all_n = 0, gray_right = 0;
  for (int i = 0; i < 10; ++i) {
    const auto& b = buckets[i];
    const double de = quantile(b.de_card, 0.5);
    worst_de = std::max(worst_de, de), best_de = std::min(best_de, de);
    all_right += b.monk_card, all_within += b.within_one_card, all_n += b.n, gray_right += b.monk_gray;
    std::printf("%4d | %5.1f | %6.2f  %6.2f  %2d/%d  %2d/%d | %6.2f  %6.2f  %2d/%d\n", i + 1,
                ita_degrees(monk_scale()[i].lab), quantile(b.ita_card, 0.5), de, b.monk_card, b.n, b.within_one_card,
                b.n, quantile(b.ita_gray, 0.5), quantile(b.de_gray, 0.5), b.monk_gray, b.n);
    CHECK(de < 2.5);
    CHECK(b.within_one_card == b.n);
  }
  std::printf("Monk right: card %d/%d, within one %d/%d; gray-world %d/%d; median ΔE00 per bucket %.2f..%.2f\n",
              all_right, all_n, all_within, all_n, gray_right, all_n, best_de, worst_de);
  CHECK(card_used >= 0.9 * total);
  CHECK(all_right >= 0.85 * all_n);
  CHECK(all_right > gray_right);
}
