// Object detection: the types every detector and every consumer of detections share.
//
// A Detector turns one RGB image into labelled boxes in that image's pixel coordinates; a pose model adds
// the person's key points, a segmentation model the person's mask (both in the same coordinates). The kinds
// (TorchScript YOLO through LibTorch, ONNX through OpenCV's DNN module, the Haar face cascade, OpenCV's
// HOG people detector, ...) live in src/ behind this interface, so no OpenCV or LibTorch header is
// named here.
#pragma once

#include "tyto/vision/image.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::vision {

// One key point of a detection, in the input image's pixels (x right, y down, inside the image).
struct DetectedKeypoint {
  float x = 0;
  float y = 0;
  float score = 0;  // 0..1: how sure the model is that the point is there (and visible)

  bool operator==(const DetectedKeypoint&) const = default;
};

// COCO's 17 body key points, in the order pose models (format "movenet") give them.
inline constexpr std::array<std::string_view, 17> kCocoKeypoints = {
    "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};
enum class CocoKeypoint {
  kNose,
  kLeftEye,
  kRightEye,
  kLeftEar,
  kRightEar,
  kLeftShoulder,
  kRightShoulder,
  kLeftElbow,
  kRightElbow,
  kLeftWrist,
  kRightWrist,
  kLeftHip,
  kRightHip,
  kLeftKnee,
  kRightKnee,
  kLeftAnkle,
  kRightAnkle
};

struct Detection {
  std::string label;  // the class name from the model's manifest ("person", "face")
  int class_id = -1;  // the index of that class in the model's output, -1 where the kind has none
  float score = 0;    // 0..1
  Box box;            // in the input image's pixels, clipped to it
  // Pose models: the key points in the model's order (COCO's 17, kCocoKeypoints, for "movenet"); empty otherwise.
  // Every point is given, however unsure: filter by its score (MoveNet's own demos draw those above 0.3).
  std::vector<DetectedKeypoint> keypoints;
  // Segmentation models: the probability that each pixel is of this detection, 0..255, one channel, the input
  // image's width and height. Absent for other models.
  std::optional<Image> mask;
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
