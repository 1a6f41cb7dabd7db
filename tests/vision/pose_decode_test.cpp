// MoveNet's output decoding on hand-built tensors whose key points are known: the centre picks the person,
// each key point is regressed from it and refined on its heatmap near the regressed point, offsets move it
// within its cell; typed errors for other shapes.
#include "detail/pose_decode.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace tyto;
using namespace tyto::vision::detail;

namespace {

constexpr int kGrid = 8;
constexpr int kPoints = 2;

// Four NHWC heads over an 8 x 8 grid with two key points, all zero until set.
struct Heads {
  std::vector<float> heatmaps = std::vector<float>(kGrid * kGrid * kPoints, 0.0f);
  std::vector<float> centers = std::vector<float>(kGrid * kGrid, 0.0f);
  std::vector<float> regression = std::vector<float>(kGrid * kGrid * 2 * kPoints, 0.0f);
  std::vector<float> offsets = std::vector<float>(kGrid * kGrid * 2 * kPoints, 0.0f);

  static int cell(int y, int x) { return y * kGrid + x; }
  float& heat(int y, int x, int k) { return heatmaps[cell(y, x) * kPoints + k]; }
  float& regress(int y, int x, int k, int axis) { return regression[(cell(y, x) * kPoints + k) * 2 + axis]; }
  float& offset(int y, int x, int k, int axis) { return offsets[(cell(y, x) * kPoints + k) * 2 + axis]; }

  std::vector<NormalisedKeypoint> decode() const {
    const std::vector<std::int64_t> points = {1, kGrid, kGrid, kPoints}, one = {1, kGrid, kGrid, 1},
                                    pairs = {1, kGrid, kGrid, 2 * kPoints};
    return decode_movenet_heads({heatmaps, points}, {centers, one}, {regression, pairs}, {offsets, pairs});
  }
};

}  // namespace

TEST_CASE("MoveNet's heads decode to the key points of the person at the best centre", "[vision][pose]") {
  Heads h;
  h.centers[Heads::cell(2, 2)] = 0.9f;  // the person: keypoint 0 regressed to (1, 3), keypoint 1 to (6, 2)
  h.regress(2, 2, 0, 0) = -1.0f, h.regress(2, 2, 0, 1) = 1.0f;
  h.regress(2, 2, 1, 0) = 4.0f, h.regress(2, 2, 1, 1) = 0.0f;
  h.centers[Heads::cell(6, 6)] = 0.5f;  // a weaker centre: ignored
  h.heat(1, 3, 0) = 0.6f;               // near the regressed point
  h.heat(7, 7, 0) = 0.9f;               // brighter but 7.2 cells away: 0.9 / 9.0 < 0.6 / 1.8
  h.offset(1, 3, 0, 0) = 0.25f, h.offset(1, 3, 0, 1) = -0.5f;
  h.heat(6, 2, 1) = 0.7f;
  h.offset(6, 2, 1, 0) = 0.5f, h.offset(6, 2, 1, 1) = 0.75f;
  const auto points = h.decode();
  REQUIRE(points.size() == 2);
  CHECK(points[0].y == Approx((1 + 0.25) / kGrid));
  CHECK(points[0].x == Approx((3 - 0.5) / kGrid));
  CHECK(points[0].score == Approx(0.6f));
  CHECK(points[1].y == Approx((6 + 0.5) / kGrid));
  CHECK(points[1].x == Approx((2 + 0.75) / kGrid));
  CHECK(points[1].score == Approx(0.7f));
}

TEST_CASE("MoveNet's own key point output is read as y, x, score", "[vision][pose]") {
  const std::vector<float> data = {0.1f, 0.2f, 0.9f, 0.4f, 0.5f, 0.3f};
  const auto points = read_movenet_keypoints({data, {1, 1, 2, 3}});
  REQUIRE(points.size() == 2);
  CHECK(points[1].y == Approx(0.4f));
  CHECK(points[1].x == Approx(0.5f));
  CHECK(points[1].score == Approx(0.3f));
  CHECK_THROWS_AS(read_movenet_keypoints({data, {1, 2, 3}}), Error);
}

TEST_CASE("MoveNet heads of mismatched shapes are a typed error naming the head", "[vision][pose]") {
  Heads h;
  h.offsets.resize(kGrid * kGrid * kPoints);
  const std::vector<std::int64_t> points = {1, kGrid, kGrid, kPoints}, one = {1, kGrid, kGrid, 1},
                                  pairs = {1, kGrid, kGrid, 2 * kPoints};
  try {
    decode_movenet_heads({h.heatmaps, points}, {h.centers, one}, {h.regression, pairs}, {h.offsets, points});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(std::string(e.what()).find("offsets is [1, 8, 8, 2]") != std::string::npos);
  }
}
