// What the detector kinds share (private to modules/vision/src): letterboxing, YOLO and BlazeFace output
// decoding, and the factories of each kind (one .cpp each, so LibTorch's headers stay in one file).
#pragma once

#include "tyto/vision/detectors.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace tyto::vision::detail {

// A detector that knows the device it runs on (detector_device asks it).
class DeviceDetector : public Detector {
 public:
  virtual std::string_view device() const noexcept { return "cpu"; }
};

std::shared_ptr<Detector> make_torch_detector(const ModelSpec& spec);
std::shared_ptr<Detector> make_onnx_detector(const ModelSpec& spec);
std::shared_ptr<Detector> make_cascade_detector(const ModelSpec& spec);
std::shared_ptr<Detector> make_hog_detector(const ModelSpec& spec);

// An RGB Mat of an image of 1, 3 or 4 channels (a view for 3, a converted copy otherwise). Throws
// Error(validation_failed) for an empty or inconsistent image.
cv::Mat rgb_of(const Image& image);

// How an image was fitted into a network's input: scaled by `scale`, then offset by the padding.
struct Letterbox {
  double scale = 1;
  int pad_x = 0;
  int pad_y = 0;
  int source_width = 0;
  int source_height = 0;
};

// The image scaled to fit width x height with its aspect kept, centred, padded with grey 114.
cv::Mat letterbox(const cv::Mat& rgb, int width, int height, Letterbox& fit);
// A box given by its centre and size in the network's pixels, in the source image's pixels, clipped.
Box to_source(float cx, float cy, float w, float h, const Letterbox& fit);
// The 8-bit RGB image as planar float (NCHW, batch 1): value * scale + offset.
std::vector<float> planar(const cv::Mat& rgb, float scale, float offset = 0);

// Decodes a YOLO output tensor (float, row-major, `shape` [1, N, 5 + C] or [1, 4 + C, N]; the batch
// dimension may be missing) into detections of the source image, filtered and suppressed as the spec says.
// Throws Error(kValidationFailed, "model_output") when the shape fits neither layout or the number of classes
// differs from the manifest's.
std::vector<Detection> decode_yolo(const float* data, std::span<const std::int64_t> shape, const ModelSpec& spec,
                                   const Letterbox& fit);

// MediaPipe's SSD anchors (centres, normalised 0..1) for a square input of `input_size` and the strides of
// its layers; layers of equal stride share a grid and stack two anchors each (fixed anchor size).
struct Anchor {
  float cx = 0;
  float cy = 0;
};
std::vector<Anchor> ssd_anchors(int input_size, std::span<const int> strides);

// Decodes BlazeFace's raw outputs: `scores` logits [A] and `boxes` [A, 16] (dx, dy, w, h in input pixels, then
// six key points), for the anchors of ssd_anchors; faces above spec.score_threshold, blended by weighted NMS
// at spec.nms_iou, in the source image's pixels.
std::vector<Detection> decode_blazeface(std::span<const float> scores, std::span<const float> boxes,
                                        std::span<const Anchor> anchors, int input_size, const ModelSpec& spec,
                                        const Letterbox& fit);

}  // namespace tyto::vision::detail
