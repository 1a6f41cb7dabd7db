// The detectors that ship working out of the box: HOG people, the Haar face cascade and BlazeFace (ONNX), on
// real photos of Debian's opencv-doc; BlazeFace's decoding against a model whose raw outputs are known.
#include "detail/detection.hpp"
#include "tyto/core/error.hpp"
#include "vision/detect/detect_support.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <future>

using namespace tyto;
using namespace tyto::test::detect;
namespace vis = tyto::test::vis;

namespace {

bool contains(const vision::Box& b, int x, int y) {
  return x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
}

vision::ModelSpec spec_of(vision::ModelKind kind, int size) {
  vision::ModelSpec spec;
  spec.name = std::string(vision::kind_name(kind));
  spec.kind = kind;
  spec.input_width = spec.input_height = size;
  spec.score_threshold = kind == vision::ModelKind::kHog ? 0.5f : 0.0f;
  return spec;
}

}  // namespace

TEST_CASE("HOG finds the walking people of opencv-doc's vtest.avi and nobody in a bowl of fruit", "[detect][hog]") {
  const auto detector = vision::load_detector(spec_of(vision::ModelKind::kHog, 1280));
  CHECK(detector->kind() == "hog");
  // The first frame (768x576): a man on the grass near (268, 263) and a woman on the road near (662, 280).
  const auto frame = vision::decode(vis::read_bytes(model_file("vtest_0.png")));
  const auto people = detector->detect(frame);
  for (const auto& p : people) UNSCOPED_INFO(p.label << " " << p.score << " " << p.box.x << "," << p.box.y);
  REQUIRE(people.size() >= 2);
  bool man = false, woman = false;
  for (const auto& p : people) {
    CHECK(p.label == "person");
    CHECK(p.score >= 0.5f);
    man = man || contains(p.box, 268, 263);
    woman = woman || contains(p.box, 662, 280);
  }
  CHECK(man);
  CHECK(woman);
  CHECK(detector->detect(vision::decode(vis::read_bytes(vis::sample("fruits.jpg")))).empty());
}

TEST_CASE("HOG and the cascade take concurrent calls and give each the same answer", "[detect][hog][cascade]") {
  const auto frame = vision::decode(vis::read_bytes(model_file("vtest_0.png")));
  for (auto kind : {vision::ModelKind::kHog, vision::ModelKind::kCascade}) {
    INFO(vision::kind_name(kind));
    const auto detector = vision::load_detector(spec_of(kind, 640));
    const auto expected = detector->detect(frame);
    std::vector<std::future<bool>> runs;
    for (int t = 0; t < 3; ++t)
      runs.push_back(std::async(std::launch::async, [&] {
        for (int i = 0; i < 3; ++i) {
          const auto got = detector->detect(frame);
          if (got.size() != expected.size()) return false;
          for (std::size_t k = 0; k < got.size(); ++k)
            if (got[k].box != expected[k].box) return false;
        }
        return true;
      }));
    for (auto& r : runs) CHECK(r.get());
  }
}

TEST_CASE("The cascade detector finds Messi's face and labels it", "[detect][cascade]") {
  const auto detector = vision::load_detector(spec_of(vision::ModelKind::kCascade, 1280));
  CHECK(detector->kind() == "cascade");
  const auto messi = vision::decode(vis::read_bytes(vis::sample("messi5.jpg")));
  const auto faces = detector->detect(messi);
  REQUIRE(faces.size() >= 1);
  CHECK(faces.front().label == "face");
  CHECK(faces.front().box.y < messi.height / 2);
  CHECK(detector->detect(vision::decode(vis::read_bytes(vis::sample("fruits.jpg")))).empty());
}

TEST_CASE("BlazeFace's anchors follow MediaPipe's back model: 16x16x2 then 8x8x6", "[detect][blazeface]") {
  const std::array<int, 4> strides = {16, 32, 32, 32};
  const auto anchors = vision::detail::ssd_anchors(256, strides);
  REQUIRE(anchors.size() == 896);
  CHECK(anchors[0].cx == Approx(0.5 / 16));
  CHECK(anchors[1].cx == Approx(0.5 / 16));  // two anchors per cell
  CHECK(anchors[2].cx == Approx(1.5 / 16));
  CHECK(anchors[511].cy == Approx(15.5 / 16));
  CHECK(anchors[512].cx == Approx(0.5 / 8));
  CHECK(anchors[517].cx == Approx(0.5 / 8));  // six per cell
  CHECK(anchors[518].cx == Approx(1.5 / 8));
  CHECK(anchors[895].cx == Approx(7.5 / 8));
}

TEST_CASE("BlazeFace outputs decode to one blended face mapped through the letterbox", "[detect][blazeface]") {
  vision::ModelSpec spec;
  spec.name = "face_like";
  spec.kind = vision::ModelKind::kOnnx;
  spec.format = vision::OutputFormat::kBlazeFace;
  spec.path = model_file("blazeface_like.onnx").string();
  spec.classes = {"face"};
  spec.input_width = spec.input_height = 256;
  spec.score_threshold = 0.5f;
  spec.nms_iou = 0.3f;
  const auto detector = vision::load_detector(spec);
  // 512x256: scaled by 1/2 to 256x128, padded 64 px above and below. The model's two faces (scores 0.953 and
  // 0.881) centre at (8.5 * 16 + 10, 8.5 * 16) = (146, 136) in the input, 64x48 and 70x52: blended, weighted by
  // score, into ~66.9x49.9 with the best score.
  const auto faces = detector->detect(white_square(512, 256, 0, 0, 4));
  REQUIRE(faces.size() == 1);
  const auto& f = faces.front();
  CHECK(f.label == "face");
  CHECK(f.score == Approx(0.9526).margin(1e-3));
  const double w = (64 * 0.9526 + 70 * 0.8808) / (0.9526 + 0.8808), h = (48 * 0.9526 + 52 * 0.8808) / (0.9526 + 0.8808);
  CHECK(std::abs(f.box.x - (146 - w / 2) * 2) <= 1.5);
  CHECK(std::abs(f.box.y - (136 - h / 2 - 64) * 2) <= 1.5);
  CHECK(std::abs(f.box.width - w * 2) <= 2);
  CHECK(std::abs(f.box.height - h * 2) <= 2);
}

TEST_CASE("The shipped BlazeFace model finds Messi's face", "[detect][blazeface]") {
  vision::ModelSpec spec;
  spec.name = "blazeface";
  spec.kind = vision::ModelKind::kOnnx;
  spec.format = vision::OutputFormat::kBlazeFace;
  spec.path = TYTO_BLAZEFACE_ONNX;
  spec.classes = {"face"};
  spec.input_width = spec.input_height = 256;
  spec.score_threshold = 0.5f;
  spec.nms_iou = 0.3f;
  const auto detector = vision::load_detector(spec);
  const auto messi = vision::decode(vis::read_bytes(vis::sample("messi5.jpg")));
  const auto faces = detector->detect(messi);
  for (const auto& f : faces) UNSCOPED_INFO(f.score << " " << f.box.x << "," << f.box.y << " " << f.box.width);
  REQUIRE(faces.size() >= 1);
  // BlazeFace's face is one of the cascade's (which also finds a larger false one above it).
  const auto cascade = vision::load_detector(spec_of(vision::ModelKind::kCascade, 1280))->detect(messi);
  REQUIRE_FALSE(cascade.empty());
  for (const auto& f : cascade) UNSCOPED_INFO("cascade " << f.box.x << "," << f.box.y << " " << f.box.width);
  double best = 0;
  for (const auto& c : cascade) best = std::max(best, vision::iou(faces.front().box, c.box));
  CHECK(best > 0.5);
  CHECK(detector->detect(vision::decode(vis::read_bytes(vis::sample("fruits.jpg")))).empty());
}
