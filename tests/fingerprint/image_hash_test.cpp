// The hashes against their definitions: known answers on synthetic images, bit equality with the
// Python reference (PIL + numpy, imagehash's formulas) where the pixels are the same, and the measured
// distance where Tyto decodes JPEGs at a reduced scale.
#include "tyto/fingerprint/image_hash.hpp"
#include "fingerprint/fingerprint_support.hpp"
#include "support/test_support.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

using namespace tyto::fingerprint;
using namespace tyto::test;

namespace {

RgbImage solid(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  RgbImage im{w, h, {}};
  for (int i = 0; i < w * h; ++i) im.pixels.insert(im.pixels.end(), {r, g, b});
  return im;
}

// Grey levels from a function of (x, y).
template <class F>
RgbImage grey(int w, int h, F f) {
  RgbImage im{w, h, {}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const auto v = static_cast<std::uint8_t>(f(x, y));
      im.pixels.insert(im.pixels.end(), {v, v, v});
    }
  return im;
}

}  // namespace

TEST_CASE("Hashes of synthetic images have the values their definitions give", "[fingerprint]") {
  const auto flat = hash_image(solid(100, 80, 120, 130, 140));
  CHECK(flat.ahash == 0);  // no pixel above the mean
  CHECK(flat.dhash == 0);  // no pixel brighter than its left neighbour
  // (pHash of a flat image is not defined: its AC coefficients are all rounding noise around 0.)

  // Left half black, right half white: each row of the 8x8 reads 00001111.
  const auto halves = hash_image(grey(160, 160, [](int x, int) { return x < 80 ? 0 : 255; }));
  CHECK(halves.ahash == 0x0f0f0f0f0f0f0f0full);
  // Brightening to the right: every pixel of the 9x8 is brighter than its left neighbour.
  const auto ramp = hash_image(grey(900, 100, [](int x, int) { return x * 255 / 899; }));
  CHECK(ramp.dhash == ~0ull);
  // Darkening to the right: none is.
  const auto ramp_down = hash_image(grey(900, 100, [](int x, int) { return 255 - x * 255 / 899; }));
  CHECK(ramp_down.dhash == 0);
  // PDQ thresholds at the median of 256 distinct coefficients: exactly half the bits are set.
  std::mt19937 rng(7);
  const auto noise = hash_image(grey(300, 200, [&](int, int) { return rng() % 256; }));
  int ones = 0;
  for (auto w : noise.pdq.words) ones += std::popcount(w);
  CHECK(ones == 128);
  CHECK(noise.pdq_quality == 100);  // noise has every gradient there is
  CHECK(flat.pdq_quality == 0);     // a flat image has none
}

TEST_CASE("The colour signature sums to one and tells colours apart", "[fingerprint]") {
  const auto red = colour_signature(solid(50, 50, 220, 20, 20));
  const auto blue = colour_signature(solid(50, 50, 20, 20, 220));
  const auto dark_grey = colour_signature(solid(50, 50, 60, 60, 60));
  const auto light_grey = colour_signature(solid(50, 50, 200, 190, 200));
  double total = 0;
  for (float v : red) total += v;
  CHECK(total == Approx(1.0));
  CHECK(red[1] == Approx(1.0));    // hue 0-45°, bright
  CHECK(blue[11] == Approx(1.0));  // hue 225-270°, bright
  CHECK(dark_grey[16] == Approx(1.0));
  CHECK(light_grey[19] == Approx(1.0));
  CHECK(colour_distance(red, red) == 0.0);
  CHECK(colour_distance(red, blue) == Approx(1.0));
}

TEST_CASE("Hex forms round-trip and refuse what is not a hash", "[fingerprint]") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t v = rng();
    CHECK(parse_hash64(to_hex(v)) == v);
    Hash256 h{{rng(), rng(), rng(), rng()}};
    CHECK(parse_hash256(to_hex(h)) == h);
  }
  CHECK_FALSE(parse_hash64("123"));
  CHECK_FALSE(parse_hash64("zzzzzzzzzzzzzzzz"));
  CHECK_FALSE(parse_hash256(std::string(63, '0')));
  // PDQ's order: the 16-bit word holding bits 240..255 is printed first.
  Hash256 top;
  top.words[3] = 1ull << 63;  // bit 255
  CHECK(to_hex(top) == "8" + std::string(63, '0'));
}

TEST_CASE("Lossless synthetic images hash exactly as the Python reference does", "[fingerprint][reference]") {
  TempDir dir;
  std::mt19937 rng(11);
  std::vector<std::filesystem::path> files;
  std::vector<ImageHashes> ours;
  std::vector<bool> separable;  // gradients: PDQ's AC coefficients are mostly rounding noise around 0
  // Odd sizes, up- and down-scaling, noise, gradients and shapes in colour.
  const std::vector<std::pair<int, int>> sizes{{7, 5}, {33, 31}, {64, 64}, {101, 257}, {640, 480}, {1000, 333}};
  int n = 0;
  for (auto [w, h] : sizes) {
    for (int kind = 0; kind < 3; ++kind) {
      cv::Mat bgr(h, w, CV_8UC3);
      if (kind == 0) {
        cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(256));
      } else if (kind == 1) {
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x)
            bgr.at<cv::Vec3b>(y, x) =
                cv::Vec3b(x * 255 / std::max(1, w - 1), y * 255 / std::max(1, h - 1), (x * y) % 256);
      } else {
        bgr.setTo(cv::Scalar(rng() % 256, rng() % 256, rng() % 256));
        for (int c = 0; c < 5; ++c)
          cv::circle(bgr, {int(rng() % w), int(rng() % h)}, 1 + int(rng() % std::max(2, w / 3)),
                     cv::Scalar(rng() % 256, rng() % 256, rng() % 256), -1);
      }
      const std::string png = fp::encode(bgr, "png");
      const auto path = dir.path() / fmt::format("synthetic{}.png", n++);
      write_file(path, png);
      files.push_back(path);
      ours.push_back(fp::hash_bytes(png));
      separable.push_back(kind == 1);
    }
  }
  const auto reference = fp::python_reference(files);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& ref = reference[files[i].string()];
    INFO(files[i].filename().string());
    CHECK(to_hex(ours[i].ahash) == ref["ahash"]);
    CHECK(to_hex(ours[i].dhash) == ref["dhash"]);
    CHECK(to_hex(ours[i].phash) == ref["phash"]);
    // PDQ in float (as its reference implementations) against numpy's float64: coefficients within
    // rounding of the median may fall either way. That only matters where the image has too little
    // structure for PDQ to vouch for its hash (quality below 50, PDQ's own threshold) or where the image
    // is a sum of a horizontal and a vertical ramp, whose energy PDQ's DCT (which skips row and column
    // 0) does not see: then most coefficients are near zero.
    CHECK(std::abs(ours[i].pdq_quality - ref["pdq_quality"].get<int>()) <= 1);
    if (ref["pdq_quality"].get<int>() >= 50 && !separable[i])
      CHECK(hamming(ours[i].pdq, *parse_hash256(ref["pdq"].get<std::string>())) <= 2);
  }
}

TEST_CASE("Real photos hash as the Python reference does, exactly at full size, closely when scaled",
          "[fingerprint][reference]") {
  const auto photos = fp::sample_photos();
  const auto reference = fp::python_reference(photos);
  int full_max[4] = {0, 0, 0, 0}, scaled_max[4] = {0, 0, 0, 0};
  double scaled_sum[4] = {0, 0, 0, 0};
  for (const auto& photo : photos) {
    const auto& ref = reference[photo.string()];
    const std::string bytes = fp::read_bytes(photo);
    const auto full = fp::hash_bytes(bytes, 0);
    const auto scaled = fp::hash_bytes(bytes);
    const std::uint64_t r64[3] = {*parse_hash64(ref["ahash"].get<std::string>()),
                                  *parse_hash64(ref["dhash"].get<std::string>()),
                                  *parse_hash64(ref["phash"].get<std::string>())};
    const Hash256 rpdq = *parse_hash256(ref["pdq"].get<std::string>());
    const int fd[4] = {hamming(full.ahash, r64[0]), hamming(full.dhash, r64[1]), hamming(full.phash, r64[2]),
                       hamming(full.pdq, rpdq)};
    const int sd[4] = {hamming(scaled.ahash, r64[0]), hamming(scaled.dhash, r64[1]), hamming(scaled.phash, r64[2]),
                       hamming(scaled.pdq, rpdq)};
    for (int k = 0; k < 4; ++k) {
      full_max[k] = std::max(full_max[k], fd[k]);
      scaled_max[k] = std::max(scaled_max[k], sd[k]);
      scaled_sum[k] += sd[k];
    }
  }
  const double n = static_cast<double>(photos.size());
  WARN(fmt::format(
      "{} photos; largest distance to the reference at full size a/d/p/pdq = {}/{}/{}/{}; decoded "
      "scaled: largest {}/{}/{}/{}, mean {:.2f}/{:.2f}/{:.2f}/{:.2f}",
      photos.size(), full_max[0], full_max[1], full_max[2], full_max[3], scaled_max[0], scaled_max[1], scaled_max[2],
      scaled_max[3], scaled_sum[0] / n, scaled_sum[1] / n, scaled_sum[2] / n, scaled_sum[3] / n));
  // Full size: the same libjpeg-turbo decodes the same pixels for PIL, so the 64-bit hashes are equal.
  CHECK(full_max[0] == 0);
  CHECK(full_max[1] == 0);
  CHECK(full_max[2] == 0);
  CHECK(full_max[3] <= 2);
  // Scaled in the DCT domain, the pixels differ from PIL's full-size decode + Lanczos (bounds measured
  // on these 59 photos, docs/quality.md).
  CHECK(scaled_max[0] <= 2);
  CHECK(scaled_max[1] <= 6);
  CHECK(scaled_max[2] <= 4);
  CHECK(scaled_max[3] <= 36);
}
