// Object detection: the types every detector and every consumer of detections share.
//
// A Detector turns one RGB image into labelled boxes in that image's pixel coordinates. The kinds
// (TorchScript YOLO through LibTorch, ONNX through OpenCV's DNN module, the Haar face cascade, OpenCV's
// HOG people detector, ...) live in src/ behind this interface, so no OpenCV or LibTorch header is
// named here.
#pragma once

#include "tyto/vision/image.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tyto::vision {

struct Detection {
  std::string label;  // the class name from the model's manifest ("person", "face")
  int class_id = -1;  // the index of that class in the model's output, -1 where the kind has none
  float score = 0;    // 0..1
  Box box;            // in the input image's pixels, clipped to it
};

class Detector {
 public:
  virtual ~Detector() = default;
  // Detections in `rgb` (3 channels), best first. Throws tyto::Error for an image it cannot take.
  // Thread-safety: as the implementation documents; the registry's detectors take concurrent calls.
  virtual std::vector<Detection> detect(const Image& rgb) = 0;
  // "torchscript", "onnx", "cascade", "hog", ...
  virtual std::string_view kind() const = 0;
};

}  // namespace tyto::vision
