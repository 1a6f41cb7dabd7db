// NanoDet's output decoder on hand-built tensors whose boxes are known: grids per stride, the distance
// distributions' expectation, the letterbox back to image pixels, class-aware NMS, typed errors.
#include "detail/nanodet_decode.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

using namespace tyto;
using namespace tyto::vision;
using namespace tyto::vision::detail;

namespace {

const std::vector<std::string> kNames = {"person", "car", "dog"};
constexpr int kRegMax = 3;  // 4 bins per side
constexpr int kBins = kRegMax + 1;

// One level of a 64 x 64 input: a grid of (64 / stride)^2 cells, 3 class scores and 4 x 4 logits each.
struct Level {
  int stride;
  int side;
  std::vector<float> scores;
  std::vector<float> boxes;

  explicit Level(int s)
      : stride(s), side(64 / s), scores(side * side * 3, 0.0f), boxes(side * side * 4 * kBins, 0.0f) {}

  // A cell (x, y) scoring `score` for `cls`, with distances (in strides) left, top, right, bottom.
  void put(int x, int y, int cls, float score, std::array<int, 4> distances) {
    const int row = y * side + x;
    scores[row * 3 + cls] = score;
    for (int s = 0; s < 4; ++s) boxes[(row * 4 + s) * kBins + distances[s]] = 30.0f;  // softmax ~ one-hot
  }
  std::vector<TensorRef> tensors() const {
    const std::int64_t rows = side * side;
    return {{scores, {1, rows, 3}}, {boxes, {1, rows, 4 * kBins}}};
  }
};

NanodetOptions options_64() {
  NanodetOptions o;
  o.input_width = 64;
  o.input_height = 64;
  o.score_threshold = 0.3f;
  o.iou_threshold = 0.5f;
  return o;
}

NanodetFit identity_64() { return {1, 1, 0, 0, 64, 64}; }

std::vector<TensorRef> join(const Level& a, const Level& b) {
  auto t = a.tensors();
  for (auto& x : b.tensors()) t.push_back(x);
  return t;
}

}  // namespace

TEST_CASE("NanoDet decoding puts a cell's box at its centre plus the expected distances in strides",
          "[vision][nanodet]") {
  Level l8(8), l16(16);
  l8.put(3, 2, 1, 0.9f, {1, 2, 1, 1});  // centre (28, 20): x 20..36, y 4..28
  const auto detections = decode_nanodet(join(l16, l8), kNames, options_64(), identity_64());
  REQUIRE(detections.size() == 1);
  CHECK(detections[0].label == "car");
  CHECK(detections[0].class_id == 1);
  CHECK(detections[0].score == Approx(0.9f));
  CHECK(detections[0].box == Box{20, 4, 16, 24});
}

TEST_CASE("NanoDet decoding takes the softmax's expectation, not the most likely bin", "[vision][nanodet]") {
  Level l8(8), l16(16);
  const int row = 1 * l16.side + 1;  // stride 16, cell (1, 1): centre (24, 24)
  l16.scores[row * 3 + 0] = 0.8f;
  // Uniform logits on every side: each distance is the mean of 0..3 = 1.5 strides = 24 pixels.
  const auto detections = decode_nanodet(join(l8, l16), kNames, options_64(), identity_64());
  REQUIRE(detections.size() == 1);
  CHECK(detections[0].label == "person");
  CHECK(detections[0].box == Box{0, 0, 48, 48});  // 24 - 24 .. 24 + 24
}

TEST_CASE("NanoDet decoding maps boxes through the letterbox and clips them to the image", "[vision][nanodet]") {
  Level l8(8), l16(16);
  l8.put(3, 2, 2, 0.7f, {1, 2, 1, 1});  // input x 20..36, y 4..28
  l8.put(7, 7, 0, 0.6f, {1, 1, 3, 3});  // input x 52..84, y 52..84: past the input's edge
  // A 128 x 96 image scaled by 0.5 to 64 x 48, with 8 pixels of border above and below.
  const NanodetFit lb{0.5f, 0.5f, 0.0f, 8.0f, 128, 96};
  const auto detections = decode_nanodet(join(l8, l16), kNames, options_64(), lb);
  REQUIRE(detections.size() == 2);
  CHECK(detections[0].label == "dog");
  CHECK(detections[0].box == Box{40, 0, 32, 40});  // y (4 - 8) / 0.5 = -8 clipped to 0, (28 - 8) / 0.5 = 40
  CHECK(detections[1].label == "person");
  CHECK(detections[1].box == Box{104, 88, 24, 8});  // x 104..168 clipped to 128, y 88..152 clipped to 96
}

TEST_CASE("NanoDet decoding suppresses overlapping boxes of one class and keeps those of others", "[vision][nanodet]") {
  Level l8(8), l16(16);
  l8.put(3, 3, 1, 0.9f, {2, 2, 2, 2});   // centre (28, 28), x 12..44
  l8.put(4, 3, 1, 0.8f, {2, 2, 2, 2});   // centre (36, 28), IoU 24/40 = 0.6 with the first: suppressed
  l16.put(1, 1, 0, 0.7f, {1, 1, 1, 1});  // centre (24, 24), another class: kept
  l8.put(0, 7, 1, 0.2f, {0, 0, 1, 1});   // under the threshold
  const auto detections = decode_nanodet(join(l8, l16), kNames, options_64(), identity_64());
  REQUIRE(detections.size() == 2);
  CHECK(detections[0].label == "car");
  CHECK(detections[0].score == Approx(0.9f));
  CHECK(detections[1].label == "person");

  auto options = options_64();
  options.max_detections = 1;
  CHECK(decode_nanodet(join(l8, l16), kNames, options, identity_64()).size() == 1);
}

TEST_CASE("NanoDet decoding applies the sigmoid when the graph leaves logits", "[vision][nanodet]") {
  Level l8(8), l16(16);
  std::fill(l8.scores.begin(), l8.scores.end(), -10.0f);
  std::fill(l16.scores.begin(), l16.scores.end(), -10.0f);
  l8.put(3, 2, 1, 0.0f, {1, 1, 1, 1});  // logit 0: probability 0.5
  auto options = options_64();
  options.scores_are_probabilities = false;
  const auto detections = decode_nanodet(join(l8, l16), kNames, options, identity_64());
  REQUIRE(detections.size() == 1);
  CHECK(detections[0].score == Approx(0.5f));
}

TEST_CASE("NanoDet decoding refuses outputs that are not NanoDet's with a typed error", "[vision][nanodet]") {
  Level l8(8), l16(16);
  const auto check_refused = [](const std::vector<TensorRef>& outputs, const NanodetOptions& options) {
    try {
      decode_nanodet(outputs, kNames, options, identity_64());
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(e.details().at("reason") == "model_outputs");
    }
  };
  SECTION("a level without its boxes") {
    check_refused({l8.tensors()[0], l16.tensors()[0], l16.tensors()[1]}, options_64());
  }
  SECTION("rows that match no stride of the input") {
    auto options = options_64();
    options.input_width = 100;
    check_refused(join(l8, l16), options);
  }
  SECTION("a shape that disagrees with the data") {
    auto t = join(l8, l16);
    t[0].shape = {1, 10, 3};
    check_refused(t, options_64());
  }
  SECTION("a tensor of rank 4") {
    auto t = join(l8, l16);
    t[1].shape = {1, 1, 64, 16};
    check_refused(t, options_64());
  }
  SECTION("no outputs at all") { check_refused({}, options_64()); }
}

TEST_CASE("Non-maximum suppression across classes keeps one box per place", "[vision][nanodet]") {
  std::vector<ScoredBox> boxes = {{0, 0, 10, 10, 0.5f, 0}, {1, 1, 11, 11, 0.9f, 1}, {50, 50, 60, 60, 0.4f, 0}};
  const auto aware = non_maximum_suppression(boxes, 0.5f, 10, true);
  CHECK(aware.size() == 3);
  const auto agnostic = non_maximum_suppression(boxes, 0.5f, 10, false);
  REQUIRE(agnostic.size() == 2);
  CHECK(agnostic[0].class_id == 1);
  CHECK(agnostic[1].score == Approx(0.4f));
}
