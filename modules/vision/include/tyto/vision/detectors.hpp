// The detector kinds and how one is made from a model's manifest entry (a ModelSpec, usually read from
// config/models.json by the ModelRegistry of tyto/vision/models.hpp):
//   torchscript  a TorchScript YOLO (LibTorch), output format yolov5 or yolov8
//   onnx         an ONNX model through OpenCV's DNN module: yolov5, yolov8, blazeface, nanodet, movenet or selfie
//   cascade      the vision module's Haar face cascade (label "face"; path: a cascade file, empty for Debian's)
//   hog          OpenCV's HOG people detector (label "person"; no file)
//
// YOLO kinds letterbox the image to the model's input size (grey 114 padding, aspect kept), filter by
// score_threshold (YOLOv5: objectness x best class score; YOLOv8: best class score), drop overlaps of the
// same class (class-aware NMS at nms_iou) and map the boxes back to the input image. BlazeFace decodes
// MediaPipe's SSD anchors and blends overlapping faces (weighted NMS, as MediaPipe does).
//
// movenet (single-pose MoveNet Lightning, converted at set-up; docs/models.md): the image is letterboxed
// into the input (192x192 by default, grey padding), given as NHWC RGB floats 0..255; the output is either
// MoveNet's own [1, 1, 17, 3] (y, x, score per COCO key point, y and x 0..1 of the input) or its four heads
// as the converted model gives them (outputs named heatmaps [1, H, W, 17], centers [1, H, W, 1] already
// weighted towards the image's centre, regression and offsets [1, H, W, 34]), decoded here as MoveNet's
// graph does. One detection "person" (or classes[0]) whose key points are the 17, mapped back to the image,
// whose box holds the points scoring at least 0.2 (all of them when fewer than two do) and whose score is the
// key points' mean; none when that is below score_threshold.
// selfie (MediaPipe's selfie segmentation, converted at set-up): the image is letterboxed into the input
// (256x256 by default), NHWC RGB floats 0..1; the output [1, H, W, 1] is the probability of "person" per
// pixel. One detection whose mask is that map over the image (the padding cut off, resized bilinearly to
// the image, 0..255), whose box bounds the pixels of probability >= 0.5, and whose score is their mean
// probability; none when no pixel reaches 0.5 or the score is below score_threshold.//
// Devices: torchscript runs on CUDA when spec.device is "cuda", LibTorch sees a GPU and the environment
// does not say FORCE_CPU=1; on the CPU otherwise. onnx, cascade and hog run on the CPU (Debian's OpenCV
// has no CUDA backend).
//
// Thread-safety: every detector made here takes concurrent detect() calls. A TorchScript module and an
// OpenCV Net are not safe for concurrent forward passes, so each holds a mutex around its forward pass
// only (letterboxing and decoding run outside it): calls on one model run their inference one at a time.
// The cascade checks a classifier out of a pool per call; HOG's descriptor is read-only while detecting.
#pragma once

#include "tyto/vision/detect.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::vision {

enum class ModelKind { kTorchScript, kOnnx, kCascade, kHog };
// kAuto: YOLOv5 or YOLOv8, told apart by the output's shape ([1, N, 5 + C] or [1, 4 + C, N]).
enum class OutputFormat { kAuto, kYoloV5, kYoloV8, kBlazeFace, kNanoDet, kMoveNet, kSelfie };

std::string_view kind_name(ModelKind kind) noexcept;  // "torchscript", "onnx", "cascade", "hog"
// "auto", "yolov5", "yolov8", "blazeface", "nanodet", "movenet", "selfie"
std::string_view format_name(OutputFormat format) noexcept;
std::optional<ModelKind> parse_kind(std::string_view name) noexcept;
std::optional<OutputFormat> parse_format(std::string_view name) noexcept;

// One model, as a manifest entry describes it. Paths are resolved (absolute or relative to the working
// directory) before they get here.
struct ModelSpec {
  std::string name;
  std::string version;
  ModelKind kind = ModelKind::kHog;
  OutputFormat format = OutputFormat::kAuto;
  std::string path;                  // the model file; cascade: the cascade (empty: Debian's); hog: unused
  std::string device = "cpu";        // "cpu" or "cuda"
  std::vector<std::string> classes;  // class names by index (YOLO); cascade, hog, movenet, selfie: their one label
  int input_width = 640;             // the network's input (YOLO, BlazeFace, ...); cascade and hog: the largest
  int input_height = 640;            // size an image is searched at (larger ones are scaled down)
  std::string profile;               // "fast", "accurate", "cpu-only" or empty (any)
  float score_threshold = 0.25f;     // detections below are dropped
  float nms_iou = 0.45f;             // overlaps above are suppressed (same class)

  bool operator==(const ModelSpec&) const = default;
};

// Loads the model. Throws tyto::Error: kUnavailable when the file is missing or cannot be loaded (the
// message names the file and the reason), kValidationFailed for a spec the kind cannot take (an onnx
// model without a format LibTorch or OpenCV can decode, a zero input size). It does not run the model:
// the registry's self-test does.
std::shared_ptr<Detector> load_detector(const ModelSpec& spec);

// "cuda" when the detector runs on a GPU, else "cpu".
std::string_view detector_device(const Detector& detector) noexcept;

// Non-maximum suppression: detections sorted best first; a detection is dropped when it overlaps a kept
// one by more than iou_threshold (IoU), and, when class_aware, only when both have the same class_id.
std::vector<Detection> non_max_suppression(std::vector<Detection> detections, float iou_threshold,
                                           bool class_aware = true);

}  // namespace tyto::vision
