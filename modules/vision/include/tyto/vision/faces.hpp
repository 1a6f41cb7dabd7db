// Face detection with OpenCV's Haar cascades, as Debian's opencv-data ships them
// (/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml by default).
//
// A FaceDetector loads the cascade once; detect() is thread-safe (each call checks a classifier out of a
// small pool, loading another copy when all are busy). Errors: a cascade that cannot be loaded throws
// tyto::Error(kUnavailable) from the constructor.
#pragma once

#include "tyto/vision/image.hpp"

#include <memory>
#include <string>
#include <vector>

namespace tyto::vision {

// The path of a cascade file of Debian's opencv-data ("haarcascade_frontalface_default.xml").
std::string default_cascade_path(const std::string& file = "haarcascade_frontalface_default.xml");

struct FaceOptions {
  double scale_factor = 1.1;  // step between the scales searched
  int min_neighbors = 5;      // overlapping detections a face needs (higher: fewer false faces)
  int min_size = 24;          // smallest face side, in the image's pixels
  int max_side = 1280;        // images with a longer side are searched at this size (boxes scaled back)
};

class FaceDetector {
 public:
  explicit FaceDetector(std::string cascade_path = default_cascade_path());
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  std::vector<Box> detect(const Image& image, const FaceOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
