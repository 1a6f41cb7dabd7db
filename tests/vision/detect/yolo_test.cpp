// YOLO detectors (TorchScript through LibTorch, ONNX through OpenCV DNN) against the tiny models of
// make_models.py, whose outputs are known: a box on the white square of the input, and fixed boxes that test
// the confidence filter and class-aware NMS (see the script's docstring).
#include "tyto/core/error.hpp"
#include "vision/detect/detect_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>

using namespace tyto;
using namespace tyto::test::detect;
using vision::ModelKind;
using vision::OutputFormat;

namespace {

const vision::Detection* find_label(const std::vector<vision::Detection>& found, const std::string& label) {
  const auto it = std::find_if(found.begin(), found.end(), [&](const auto& d) { return d.label == label; });
  return it == found.end() ? nullptr : &*it;
}

struct Variant {
  const char* file;
  ModelKind kind;
  OutputFormat format;
};

// Every layout through both runtimes, the format given and told from the shape.
const Variant kVariants[] = {
    {"yolov5.pt", ModelKind::kTorchScript, OutputFormat::kYoloV5},
    {"yolov8.pt", ModelKind::kTorchScript, OutputFormat::kYoloV8},
    {"yolov5.pt", ModelKind::kTorchScript, OutputFormat::kAuto},
    {"yolov8.pt", ModelKind::kTorchScript, OutputFormat::kAuto},
    {"yolov5.onnx", ModelKind::kOnnx, OutputFormat::kYoloV5},
    {"yolov8.onnx", ModelKind::kOnnx, OutputFormat::kYoloV8},
    {"yolov8.onnx", ModelKind::kOnnx, OutputFormat::kAuto},
};

}  // namespace

TEST_CASE("A YOLO detector maps its boxes back through the letterbox to the input image", "[detect][yolo]") {
  for (const auto& v : kVariants) {
    INFO(v.file << " as " << vision::format_name(v.format));
    const auto detector = vision::load_detector(tiny_yolo(v.file, v.kind, v.format));
    CHECK(detector->kind() == vision::kind_name(v.kind));
    CHECK(vision::detector_device(*detector) == "cpu");
    // Landscape 1280x720: scaled by 1/4 to 320x180, padded 70 px above and below.
    auto found = detector->detect(white_square(1280, 720, 600, 300, 160));
    const auto* square = find_label(found, "square");
    REQUIRE(square);
    CHECK(square->class_id == 0);
    CHECK(square->score == Approx(0.855).margin(1e-3));
    CHECK(std::abs(square->box.x - 600) <= 2);
    CHECK(std::abs(square->box.y - 300) <= 2);
    CHECK(std::abs(square->box.width - 160) <= 3);
    CHECK(std::abs(square->box.height - 160) <= 3);
    // Portrait 720x1280: padded 70 px left and right instead.
    found = detector->detect(white_square(720, 1280, 300, 600, 160));
    square = find_label(found, "square");
    REQUIRE(square);
    CHECK(std::abs(square->box.x - 300) <= 2);
    CHECK(std::abs(square->box.y - 600) <= 2);
    CHECK(std::abs(square->box.width - 160) <= 3);
  }
}

TEST_CASE("A YOLO detector filters by confidence and suppresses overlaps of one class only", "[detect][yolo][nms]") {
  for (const auto& v : kVariants) {
    INFO(v.file << " as " << vision::format_name(v.format));
    auto spec = tiny_yolo(v.file, v.kind, v.format);
    // 640x480: scaled by 1/2 to 320x240, padded 40 px above and below.
    const auto image = white_square(640, 480, 400, 200, 80);
    const auto found = vision::load_detector(spec)->detect(image);
    for (const auto& d : found) UNSCOPED_INFO(d.label << " " << d.score << " at " << d.box.x << "," << d.box.y);
    // square; cat A (B, the same class over it, suppressed); dog C over A (another class, kept); D under the
    // threshold.
    REQUIRE(found.size() == 3);
    CHECK(std::is_sorted(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.score > b.score; }));
    const auto* cat = find_label(found, "cat");
    const auto* dog = find_label(found, "dog");
    REQUIRE(cat);
    REQUIRE(dog);
    CHECK(cat->class_id == 1);
    CHECK(cat->score == Approx(0.72).margin(1e-3));
    CHECK(cat->box == vision::Box{120, 40, 160, 160});
    CHECK(dog->class_id == 2);
    CHECK(dog->score == Approx(0.855).margin(1e-3));
    CHECK(dog->box == vision::Box{124, 44, 160, 160});
    CHECK(vision::iou(cat->box, dog->box) > 0.45);
    const auto* square = find_label(found, "square");
    REQUIRE(square);
    CHECK(std::abs(square->box.x - 400) <= 2);
    CHECK(std::abs(square->box.y - 200) <= 2);

    // A looser IoU threshold keeps the second cat; a higher score threshold drops both cats.
    spec.nms_iou = 0.95f;
    CHECK(vision::load_detector(spec)->detect(image).size() == 4);
    spec.nms_iou = 0.45f;
    spec.score_threshold = 0.8f;
    const auto confident = vision::load_detector(spec)->detect(image);
    CHECK(confident.size() == 2);
    CHECK_FALSE(find_label(confident, "cat"));
  }
}

TEST_CASE("A YOLO detector refuses an output whose classes do not match its manifest", "[detect][yolo]") {
  for (const auto& v : kVariants) {
    if (v.format == OutputFormat::kAuto) continue;
    INFO(v.file);
    auto spec = tiny_yolo(v.file, v.kind, v.format);
    spec.classes = {"cat", "dog"};
    const auto detector = vision::load_detector(spec);
    try {
      detector->detect(white_square(64, 64, 0, 0, 8));
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(std::string(e.what()).find("3 class scores but the manifest names 2") != std::string::npos);
      CHECK(e.details()["fields"].contains("model_output"));
    }
  }
}

TEST_CASE("A missing or broken model file is a typed error naming the file", "[detect]") {
  Folder folder;
  for (auto kind : {ModelKind::kTorchScript, ModelKind::kOnnx}) {
    auto spec = tiny_yolo("yolov5.pt", kind, OutputFormat::kYoloV5);
    spec.path = (folder.path() / "absent.bin").string();
    try {
      vision::load_detector(spec);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUnavailable);
      CHECK(e.details()["reason"] == "missing_file");
      CHECK(std::string(e.what()).find("absent.bin") != std::string::npos);
    }
    spec.path = folder.write("broken.bin", "this is not a model").string();
    try {
      vision::load_detector(spec);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUnavailable);
      CHECK(e.details()["reason"] == "load_failed");
    }
  }
}

TEST_CASE("A TorchScript detector takes concurrent calls and gives each the same answer", "[detect][yolo]") {
  const auto detector = vision::load_detector(tiny_yolo("yolov5.pt", ModelKind::kTorchScript, OutputFormat::kYoloV5));
  const auto image = white_square(640, 480, 400, 200, 80);
  const auto expected = detector->detect(image);
  std::vector<std::future<bool>> runs;
  for (int t = 0; t < 4; ++t)
    runs.push_back(std::async(std::launch::async, [&] {
      for (int i = 0; i < 10; ++i) {
        const auto got = detector->detect(image);
        if (got.size() != expected.size()) return false;
        for (std::size_t k = 0; k < got.size(); ++k)
          if (got[k].box != expected[k].box || got[k].label != expected[k].label) return false;
      }
      return true;
    }));
  for (auto& r : runs) CHECK(r.get());
}

TEST_CASE("A model that asks for CUDA runs on the CPU where LibTorch has no GPU", "[detect][yolo]") {
  auto spec = tiny_yolo("yolov5.pt", ModelKind::kTorchScript, OutputFormat::kYoloV5);
  spec.device = "cuda";
  const auto detector = vision::load_detector(spec);
  // Debian's LibTorch is built without CUDA: the request falls back to the CPU instead of failing.
  CHECK(vision::detector_device(*detector) == "cpu");
  CHECK(detector->detect(white_square(640, 480, 400, 200, 80)).size() == 3);
}

TEST_CASE("NMS keeps overlapping boxes of different classes unless asked to ignore classes", "[detect][nms]") {
  std::vector<vision::Detection> boxes = {{"cat", 1, 0.6f, {0, 0, 100, 100}},
                                          {"cat", 1, 0.9f, {5, 0, 100, 100}},
                                          {"dog", 2, 0.8f, {0, 5, 100, 100}},
                                          {"cat", 1, 0.5f, {300, 300, 50, 50}}};
  const auto aware = vision::non_max_suppression(boxes, 0.5f, true);
  REQUIRE(aware.size() == 3);
  CHECK(aware[0].score == 0.9f);
  CHECK(aware[1].label == "dog");
  CHECK(aware[2].box == vision::Box{300, 300, 50, 50});
  const auto agnostic = vision::non_max_suppression(boxes, 0.5f, false);
  REQUIRE(agnostic.size() == 2);
  CHECK(agnostic[0].label == "cat");
  CHECK(agnostic[1].box == vision::Box{300, 300, 50, 50});
}
