// Motion regions by background subtraction (OpenCV's MOG2, a per-pixel mixture of Gaussians), used by
// sessions to skip detection on still scenes.
//
// Each frame is downscaled to processing_width (never upscaled) and blurred a little (sensor noise).
// With stabilise, a camera shake is undone first: the global shift of the frame against the learnt
// background image is measured by phase correlation (refined by two Lucas-Kanade steps, as its sub-pixel
// estimate falls short) and, when it is at most max_shake of the width and undoing it lowers the frame's
// difference from the background markedly (so a shift read from one moving object, or from noise, is
// not undone), the frame is moved back by it. A larger shift that explains the frame in the same way is
// a jolt: the camera moved for good. The result says camera_moved and the background starts again from
// that frame (warm-up). Without stabilise a one-pixel tremor moves every sharp edge and is motion
// (tests/vision/motion_test.cpp, on fruits.jpg). The frame is then compared with the learnt background;
// the foreground mask is cleaned by a morphological opening (specks) and a closing (holes, so one object
// is one region), and its connected parts smaller than min_region_area of the frame are dropped. What
// remains gives the regions (boxes in the input's pixels, largest first) and the moving fraction (their
// pixels over the frame's); motion is true when that fraction reaches motion_threshold.
//
// Warm-up: the first warmup_frames frames after construction, reset(), or a change of frame size (or
// channels) only teach the background (at MOG2's automatic rate, 1/n for the n-th frame, whatever
// learning_rate says); their results have warming_up true, motion false and no regions (the caller then
// knows nothing of motion and should not skip work on the strength of it). Afterwards the
// background keeps learning at learning_rate (-1: MOG2's automatic 1/min(n, history)), so something that
// stops moving fades into the background after a while.
//
// Errors: an empty or malformed image throws tyto::Error(validation_failed) (frames of any size from 1x1 up
// are taken; below 16 processed pixels a side they are not stabilised); an OpenCV failure throws
// Error(internal) and resets the background; bad options throw validation_failed from the
// constructor naming the option. Not thread-safe: one MotionDetector per stream.
#pragma once

#include "tyto/vision/image.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

namespace tyto::vision {

struct MotionOptions {
  int processing_width = 320;       // frames wider than this are downscaled to it first
  double learning_rate = -1;        // MOG2's, 0..1 (0: frozen background), or -1 for its automatic rate
  int history = 300;                // frames MOG2's automatic rate averages over
  double var_threshold = 25;        // squared Mahalanobis distance for a pixel to be foreground
  int blur = 5;                     // Gaussian kernel side before subtraction, odd (0 or 1: none)
  int morphology = 3;               // side of the opening and closing kernels on the mask (0 or 1: none)
  double min_region_area = 0.0005;  // least area of a region, as a fraction of the frame's
  double motion_threshold = 0.001;  // least moving fraction for motion = true
  int warmup_frames = 10;
  bool stabilise = true;     // undo a camera shake (a global shift) before subtracting
  double max_shake = 0.015;  // the largest shift undone, as a fraction of the frame's width
};

struct MotionResult {
  double moving_fraction = 0;  // 0..1 of the frame's pixels, in regions
  std::vector<Box> regions;    // in the input image's pixels, largest first
  bool motion = false;
  bool warming_up = false;
  double shift_x = 0;  // the camera shake undone (stabilise), in the input's pixels
  double shift_y = 0;
  bool camera_moved = false;  // a jolt (stabilise): the background starts again, warming up from this frame
};

// {"motion", "moving_fraction", "regions": [{"x", "y", "width", "height"}], "warming_up", "camera_moved",
//  "shift": {"x", "y"}}
nlohmann::json to_json(const MotionResult& result);

class MotionDetector {
 public:
  explicit MotionDetector(MotionOptions options = {});
  ~MotionDetector();
  MotionDetector(MotionDetector&&) noexcept;
  MotionDetector& operator=(MotionDetector&&) noexcept;

  // One frame: RGB (3 channels), or grey (1) or RGBA (4).
  MotionResult update(const Image& image);
  // Forgets the background; the next frames warm up again.
  void reset();
  const MotionOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
