// Shared by the detection tests: where the fixture detect_models put the tiny detectors (make_models.py),
// manifests written to temporary folders, and test pictures.
#pragma once

#include "tyto/vision/detectors.hpp"
#include "tyto/vision/image.hpp"

#include <filesystem>
#include <string>

namespace tyto::test::detect {

// $TYTO_TEST_SERVICES_DIR/detect-models: yolov5.pt, yolov8.pt, yolov5_moved.pt, yolov5.onnx, yolov8.onnx,
// blazeface_like.onnx, movenet_like.onnx, selfie_like.onnx, classes.txt, vtest_0.png. Throws when the fixture has not
// made them.
std::filesystem::path model_file(const std::string& name);

// A spec of one of the tiny YOLO models: 320x320, classes square, cat, dog.
vision::ModelSpec tiny_yolo(const std::string& file, vision::ModelKind kind, vision::OutputFormat format);

// A black RGB image with a white square (side px, top-left at x, y).
vision::Image white_square(int width, int height, int x, int y, int side);

// A fresh folder under the system's temporary directory, removed with everything in it on destruction.
class Folder {
 public:
  Folder();
  ~Folder();
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace tyto::test::detect
