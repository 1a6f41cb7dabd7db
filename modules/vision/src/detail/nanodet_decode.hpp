// Decoding NanoDet's outputs (the COCO detector set-up converts from TF.js to ONNX; docs/models.md) into
// detections: per feature level, a grid of class scores and of distance distributions (Generalized Focal
// Loss: for each side of the box, reg_max + 1 logits whose softmax weighs the distances 0..reg_max in
// strides), then class-aware non-maximum suppression. Pure C++: no OpenCV here, so it is tested with
// hand-built tensors. Thread-safe: no shared state.
#pragma once

#include "tyto/vision/detect.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tyto::vision::detail {

// One output tensor, row-major, as the inference engine hands it back. `data` is not owned.
struct TensorRef {
  std::span<const float> data;
  std::vector<std::int64_t> shape;
};

// How the image was fitted into the model's input: input pixel = image pixel * scale + pad, per axis
// (a plain resize has pads 0; a letterbox has one scale and the pads of the borders).
struct NanodetFit {
  float scale_x = 1;
  float scale_y = 1;
  float pad_x = 0;
  float pad_y = 0;
  int image_width = 0;
  int image_height = 0;
};

struct NanodetOptions {
  int input_width = 416;
  int input_height = 416;
  float score_threshold = 0.35f;
  float iou_threshold = 0.6f;
  std::size_t max_detections = 100;
  // Where a grid cell's centre lies, in strides: 0.5 for NanoDet's GFL head (the shipped nanodet-m-416),
  // 0 for NanoDet-Plus.
  float center_offset = 0.5f;
  // True when the graph ends in a sigmoid (the shipped model); false applies it here.
  bool scores_are_probabilities = true;
};

// Decodes `outputs`: for each level, a [1, rows, classes] score tensor and a [1, rows, 4 * (reg_max + 1)]
// distribution tensor (sides in the order left, top, right, bottom), in any order; classes is
// class_names.size(). A level's stride is the one of 8, 16, 32, 64, 128 whose grid over the input
// (ceil(input / stride) per axis, row-major) has `rows` cells. Returns the detections above the score
// threshold in the image's pixels (clipped to it; empty boxes dropped), after class-aware NMS, best first,
// at most max_detections.
// Throws tyto::Error validation_failed when the tensors do not make such levels (a different model).
std::vector<Detection> decode_nanodet(std::span<const TensorRef> outputs, std::span<const std::string> class_names,
                                      const NanodetOptions& options, const NanodetFit& letterbox);

// A box with float corners, before rounding to pixels.
struct ScoredBox {
  float x1 = 0;
  float y1 = 0;
  float x2 = 0;
  float y2 = 0;
  float score = 0;
  int class_id = -1;
};

// Greedy non-maximum suppression: best first, a box is dropped when its IoU with a kept box of the same
// class (of any class when class_aware is false) exceeds iou_threshold. Returns at most max_keep boxes.
std::vector<ScoredBox> non_maximum_suppression(std::vector<ScoredBox> boxes, float iou_threshold, std::size_t max_keep,
                                               bool class_aware = true);

}  // namespace tyto::vision::detail
