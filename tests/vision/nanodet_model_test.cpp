// The NanoDet model set-up converts from TF.js (build/models/nanodet/nanodet-m-416.onnx; docs/models.md), run through
// OpenCV 4.6's DNN module and decoded by detail/nanodet_decode on Debian's opencv-doc photos: the objects
// in them are found where they are. The model is found in $TYTO_MODELS_DIR, else in the folder CMake names
// (TYTO_MODELS_DIR, build/models by default), where `make test`'s set-up installs it.
#include "detail/nanodet_decode.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace tyto;
using namespace tyto::vision;
using namespace tyto::vision::detail;

namespace {

std::filesystem::path models_dir() {
  const char* env = std::getenv("TYTO_MODELS_DIR");
  return env && *env ? std::filesystem::path(env) : std::filesystem::path(TYTO_MODELS_DIR);
}

std::vector<std::string> coco_names() {
  std::ifstream in(models_dir() / "nanodet" / "coco.names");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

// Letterboxes `path` into 416 x 416 (RGB, 0..255, as the converted model takes it), runs the model, decodes.
std::vector<Detection> detect(const std::string& photo) {
  const auto model = models_dir() / "nanodet" / "nanodet-m-416.onnx";
  REQUIRE(std::filesystem::is_regular_file(model));  // scripts/setup.sh test installs it
  cv::dnn::Net net = cv::dnn::readNetFromONNX(model.string());
  const cv::Mat bgr = cv::imread(test::vis::sample(photo).string());
  REQUIRE(!bgr.empty());
  const int size = 416;
  const float scale = std::min(static_cast<float>(size) / bgr.cols, static_cast<float>(size) / bgr.rows);
  const int w = static_cast<int>(std::lround(bgr.cols * scale)), h = static_cast<int>(std::lround(bgr.rows * scale));
  cv::Mat input(size, size, CV_8UC3, cv::Scalar::all(0));
  const int pad_x = (size - w) / 2, pad_y = (size - h) / 2;
  cv::resize(bgr, input(cv::Rect(pad_x, pad_y, w, h)), cv::Size(w, h), 0, 0, cv::INTER_AREA);
  net.setInput(cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), /*swapRB=*/true));
  const std::vector<std::string> names = {"Identity",   "Identity_1", "Identity_2",
                                          "Identity_3", "Identity_4", "Identity_5"};
  std::vector<cv::Mat> outs;
  net.forward(outs, names);
  std::vector<TensorRef> tensors;
  for (const auto& m : outs) {
    REQUIRE(m.isContinuous());
    REQUIRE(m.dims == 3);
    tensors.push_back({{m.ptr<float>(), m.total()}, {m.size[0], m.size[1], m.size[2]}});
  }
  const auto classes = coco_names();
  REQUIRE(classes.size() == 80);
  return decode_nanodet(
      tensors, classes, NanodetOptions{},
      NanodetFit{scale, scale, static_cast<float>(pad_x), static_cast<float>(pad_y), bgr.cols, bgr.rows});
}

const Detection* best(const std::vector<Detection>& detections, const std::string& label) {
  for (const auto& d : detections)
    if (d.label == label) return &d;  // best first
  return nullptr;
}

}  // namespace

TEST_CASE("The converted NanoDet finds the footballer and the ball in messi5.jpg where they are",
          "[vision][nanodet][model]") {
  const auto detections = detect("messi5.jpg");
  const auto* person = best(detections, "person");
  REQUIRE(person != nullptr);
  CHECK(person->score > 0.5f);
  // Messi from his left hand (x 66) to his right boot (x 458), head (y 60) to the boot on the grass (y 338).
  CHECK(iou(person->box, Box{66, 60, 392, 278}) > 0.75);
  const auto* ball = best(detections, "sports ball");
  REQUIRE(ball != nullptr);
  CHECK(ball->score > 0.5f);
  CHECK(iou(ball->box, Box{338, 288, 50, 50}) > 0.6);
  CHECK(detections.front().label == "person");
}

TEST_CASE("The converted NanoDet sees an orange in orange.jpg and no person", "[vision][nanodet][model]") {
  const auto detections = detect("orange.jpg");
  REQUIRE(!detections.empty());
  CHECK(detections.front().label == "orange");
  CHECK(detections.front().box.width * detections.front().box.height > 512 * 512 / 2);  // it fills the photo
  CHECK(best(detections, "person") == nullptr);
}
