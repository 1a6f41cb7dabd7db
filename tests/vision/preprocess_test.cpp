// Preprocessing: resize, letterbox, CLAHE, denoise, tiles.
#include "tyto/vision/preprocess.hpp"
#include "tyto/core/error.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto;
using namespace tyto::test::vis;

namespace {

double grey_stddev(const vision::Image& image) {
  cv::Mat grey;
  cv::cvtColor(to_bgr(image), grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(grey, mean, stddev);
  return stddev[0];
}

}  // namespace

TEST_CASE("Resize and letterbox scale an image, and the letterbox says where the original went",
          "[vision][preprocess]") {
  cv::Mat bgr(100, 200, CV_8UC3, cv::Scalar(0, 200, 0));
  const auto image = from_bgr(bgr);
  const auto small = vision::resize(image, 50, 20);
  CHECK(small.width == 50);
  CHECK(small.height == 20);
  CHECK(small.pixels.size() == 50 * 20 * 3);

  const auto boxed = vision::letterbox(image, 64, 64, {1, 2, 3});
  CHECK(boxed.image.width == 64);
  CHECK(boxed.image.height == 64);
  CHECK(boxed.scale == Approx(0.32));
  CHECK(boxed.pad_x == 0);
  CHECK(boxed.pad_y == 16);
  // The padding has the fill colour, the inside the picture's.
  CHECK(boxed.image.pixels[0] == 1);
  CHECK(boxed.image.pixels[2] == 3);
  const std::size_t centre = (32 * 64 + 32) * 3;
  CHECK(boxed.image.pixels[centre + 1] == 200);

  CHECK_THROWS_AS(vision::resize(image, 0, 10), Error);
  CHECK_THROWS_AS(vision::resize(vision::Image{}, 10, 10), Error);
  vision::Image inconsistent{10, 10, 3, std::vector<std::uint8_t>(7)};
  CHECK_THROWS_AS(vision::resize(inconsistent, 5, 5), Error);
}

TEST_CASE("CLAHE stretches a washed-out image's contrast and keeps its hue", "[vision][preprocess]") {
  cv::Mat bgr(120, 160, CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(120, 110 + (x * 7 + y * 3) % 20, 100);
  const auto image = from_bgr(bgr);
  const auto out = vision::equalize_clahe(image, 3.0, 4);
  CHECK(grey_stddev(out) > 2 * grey_stddev(image));
  cv::Mat hsv_in, hsv_out;
  cv::cvtColor(bgr, hsv_in, cv::COLOR_BGR2HSV);
  cv::cvtColor(to_bgr(out), hsv_out, cv::COLOR_BGR2HSV);
  CHECK(std::abs(cv::mean(hsv_in)[0] - cv::mean(hsv_out)[0]) < 10);
}

TEST_CASE("Denoising brings a noisy flat image back toward flat", "[vision][preprocess]") {
  cv::Mat bgr(96, 96, CV_8UC3, cv::Scalar(128, 128, 128)), noise(96, 96, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::NORMAL, 0, 12);
  cv::Mat noisy;
  cv::add(bgr, noise, noisy, cv::noArray(), CV_8UC3);
  const auto image = from_bgr(noisy);
  const auto clean = vision::denoise(image, 15.0f);
  CHECK(grey_stddev(clean) < grey_stddev(image) / 2);
}

TEST_CASE("Tiles cover the image with the asked overlap and full-sized tiles", "[vision][preprocess]") {
  cv::Mat bgr(300, 500, CV_8UC3);
  cv::randu(bgr, 0, 255);
  const auto image = from_bgr(bgr);
  const auto tiles = vision::make_tiles(image, 256, 32);
  REQUIRE(tiles.size() == 6);  // x: 0, 224, 244 (0 and 244 alone would share 12 px only); y: 0, 44
  std::vector<int> covered(300 * 500, 0);
  for (const auto& tile : tiles) {
    CHECK(tile.box.width == 256);
    CHECK(tile.box.height == 256);
    CHECK(tile.image.width == 256);
    // A tile's pixels are the image's at its offset.
    const std::size_t first = (static_cast<std::size_t>(tile.box.y) * 500 + tile.box.x) * 3;
    CHECK(tile.image.pixels[0] == image.pixels[first]);
    for (int y = tile.box.y; y < tile.box.y + tile.box.height; ++y)
      for (int x = tile.box.x; x < tile.box.x + tile.box.width; ++x) ++covered[y * 500 + x];
  }
  CHECK(std::count(covered.begin(), covered.end(), 0) == 0);
  CHECK(tiles[1].box.x == 224);
  CHECK(tiles[2].box.x == 500 - 256);
  CHECK(tiles[3].box.y == 300 - 256);
  for (std::size_t i = 0; i + 1 < 3; ++i) CHECK(tiles[i].box.x + tiles[i].box.width - tiles[i + 1].box.x >= 32);
  // An image smaller than a tile is one tile, itself.
  CHECK(vision::make_tiles(vision::resize(image, 100, 80), 256, 32).size() == 1);
  CHECK_THROWS_AS(vision::make_tiles(image, 256, 256), Error);
}
