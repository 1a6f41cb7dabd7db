// The detector factory and what the kinds share: letterboxing, YOLO decoding and NMS.
#include "detail/detection.hpp"
#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace tyto::vision {
namespace {

constexpr std::size_t kMaxCandidates = 3000;  // best-scoring boxes kept for NMS (YOLOv5 at 640 has 25200 rows)
constexpr std::size_t kMaxDetections = 300;

}  // namespace

std::string_view kind_name(ModelKind kind) noexcept {
  switch (kind) {
    case ModelKind::kTorchScript:
      return "torchscript";
    case ModelKind::kOnnx:
      return "onnx";
    case ModelKind::kCascade:
      return "cascade";
    case ModelKind::kHog:
      return "hog";
  }
  return "unknown";
}

std::string_view format_name(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::kAuto:
      return "auto";
    case OutputFormat::kYoloV5:
      return "yolov5";
    case OutputFormat::kYoloV8:
      return "yolov8";
    case OutputFormat::kBlazeFace:
      return "blazeface";
    case OutputFormat::kNanoDet:
      return "nanodet";
    case OutputFormat::kMoveNet:
      return "movenet";
    case OutputFormat::kSelfie:
      return "selfie";
  }
  return "unknown";
}

std::optional<ModelKind> parse_kind(std::string_view name) noexcept {
  for (auto k : {ModelKind::kTorchScript, ModelKind::kOnnx, ModelKind::kCascade, ModelKind::kHog})
    if (kind_name(k) == name) return k;
  return std::nullopt;
}

std::optional<OutputFormat> parse_format(std::string_view name) noexcept {
  for (auto f : {OutputFormat::kAuto, OutputFormat::kYoloV5, OutputFormat::kYoloV8, OutputFormat::kBlazeFace,
                 OutputFormat::kNanoDet, OutputFormat::kMoveNet, OutputFormat::kSelfie})
    if (format_name(f) == name) return f;
  return std::nullopt;
}

std::shared_ptr<Detector> load_detector(const ModelSpec& spec) {
  if (spec.input_width <= 0 || spec.input_height <= 0)
    throw validation_error(fmt::format("model {}: the input size must be positive", spec.name),
                           {{"input_size", "positive width and height"}});
  const bool needs_file = spec.kind == ModelKind::kTorchScript || spec.kind == ModelKind::kOnnx ||
                          (spec.kind == ModelKind::kCascade && !spec.path.empty());
  if (needs_file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(spec.path, ec))
      throw Error(ErrorCode::kUnavailable, fmt::format("model {}: the file {} does not exist", spec.name, spec.path),
                  {{"model", spec.name}, {"path", spec.path}, {"reason", "missing_file"}});
  }
  switch (spec.kind) {
    case ModelKind::kTorchScript:
      return detail::make_torch_detector(spec);
    case ModelKind::kOnnx:
      return detail::make_onnx_detector(spec);
    case ModelKind::kCascade:
      return detail::make_cascade_detector(spec);
    case ModelKind::kHog:
      return detail::make_hog_detector(spec);
  }
  throw validation_error("unknown model kind", {{"kind", "unknown"}});
}

std::string_view detector_device(const Detector& detector) noexcept {
  const auto* d = dynamic_cast<const detail::DeviceDetector*>(&detector);
  return d ? d->device() : std::string_view("cpu");
}

std::vector<Detection> non_max_suppression(std::vector<Detection> detections, float iou_threshold, bool class_aware) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (auto& d : detections) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
      return (!class_aware || k.class_id == d.class_id) && iou(k.box, d.box) > iou_threshold;
    });
    if (!overlaps) kept.push_back(std::move(d));
    if (kept.size() == kMaxDetections) break;
  }
  return kept;
}

namespace detail {

cv::Mat rgb_of(const Image& image) {
  const cv::Mat src = view(image);
  if (image.channels == 3) return src;
  cv::Mat rgb;
  cv::cvtColor(src, rgb, image.channels == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_RGBA2RGB);
  return rgb;
}

cv::Mat letterbox(const cv::Mat& rgb, int width, int height, Letterbox& fit) {
  fit.source_width = rgb.cols;
  fit.source_height = rgb.rows;
  fit.scale = std::min(static_cast<double>(width) / rgb.cols, static_cast<double>(height) / rgb.rows);
  const int w = std::clamp(static_cast<int>(std::lround(rgb.cols * fit.scale)), 1, width);
  const int h = std::clamp(static_cast<int>(std::lround(rgb.rows * fit.scale)), 1, height);
  fit.pad_x = (width - w) / 2;
  fit.pad_y = (height - h) / 2;
  cv::Mat resized;
  if (w == rgb.cols && h == rgb.rows)
    resized = rgb;
  else
    cv::resize(rgb, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  cv::Mat out;
  cv::copyMakeBorder(resized, out, fit.pad_y, height - h - fit.pad_y, fit.pad_x, width - w - fit.pad_x,
                     cv::BORDER_CONSTANT, cv::Scalar(114, 114, 114));
  return out;
}

Box to_source(float cx, float cy, float w, float h, const Letterbox& fit) {
  const double x0 = (cx - w / 2.0 - fit.pad_x) / fit.scale, y0 = (cy - h / 2.0 - fit.pad_y) / fit.scale;
  const double x1 = (cx + w / 2.0 - fit.pad_x) / fit.scale, y1 = (cy + h / 2.0 - fit.pad_y) / fit.scale;
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return {};
  const auto round = [](double v) { return static_cast<int>(std::lround(std::clamp(v, -1e6, 1e6))); };
  return clip({round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0)}, fit.source_width,
              fit.source_height);
}

std::vector<float> planar(const cv::Mat& rgb, float scale, float offset) {
  CV_Assert(rgb.type() == CV_8UC3);
  const std::size_t plane = static_cast<std::size_t>(rgb.rows) * rgb.cols;
  std::vector<float> out(plane * 3);
  for (int y = 0; y < rgb.rows; ++y) {
    const std::uint8_t* row = rgb.ptr<std::uint8_t>(y);
    float* r = out.data() + static_cast<std::size_t>(y) * rgb.cols;
    for (int x = 0; x < rgb.cols; ++x) {
      r[x] = row[3 * x] * scale + offset;
      r[x + plane] = row[3 * x + 1] * scale + offset;
      r[x + 2 * plane] = row[3 * x + 2] * scale + offset;
    }
  }
  return out;
}

namespace {

[[noreturn]] void bad_output(const ModelSpec& spec, std::span<const std::int64_t> shape, std::string_view why) {
  std::string dims;
  for (auto d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  throw validation_error(fmt::format("model {}: output [{}] {}", spec.name, dims, why),
                         {{"model_output", fmt::format("[{}]: {}", dims, why)}});
}

// YOLOv5 when the rows are detections ([N, 5 + C]), YOLOv8 when the columns are ([4 + C, N]).
OutputFormat yolo_layout(const ModelSpec& spec, std::int64_t rows, std::int64_t cols) {
  if (spec.format == OutputFormat::kYoloV5 || spec.format == OutputFormat::kYoloV8) return spec.format;
  const auto classes = static_cast<std::int64_t>(spec.classes.size());
  if (!spec.classes.empty() && cols == classes + 5 && rows != classes + 4) return OutputFormat::kYoloV5;
  if (!spec.classes.empty() && rows == classes + 4 && cols != classes + 5) return OutputFormat::kYoloV8;
  return rows > cols ? OutputFormat::kYoloV5 : OutputFormat::kYoloV8;
}

}  // namespace

std::vector<Detection> decode_yolo(const float* data, std::span<const std::int64_t> shape, const ModelSpec& spec,
                                   const Letterbox& fit) {
  if (shape.size() == 3 && shape[0] != 1) bad_output(spec, shape, "has a batch of more than one image");
  if (shape.size() != 2 && shape.size() != 3) bad_output(spec, shape, "is not [1, N, 5 + C] or [1, 4 + C, N]");
  const std::int64_t rows = shape[shape.size() - 2], cols = shape[shape.size() - 1];
  const OutputFormat layout = yolo_layout(spec, rows, cols);
  const bool v5 = layout == OutputFormat::kYoloV5;
  const std::int64_t n = v5 ? rows : cols, attrs = v5 ? cols : rows;
  const std::int64_t classes = attrs - (v5 ? 5 : 4);
  if (classes < 1)
    bad_output(spec, shape,
               v5 ? "has no class scores (YOLOv5: [1, N, 5 + C])" : "has no class scores (YOLOv8: [1, 4 + C, N])");
  if (!spec.classes.empty() && classes != static_cast<std::int64_t>(spec.classes.size()))
    bad_output(spec, shape,
               fmt::format("has {} class scores but the manifest names {} classes", classes, spec.classes.size()));
  // Element (detection i, attribute a) of either layout.
  const auto at = [&](std::int64_t i, std::int64_t a) { return v5 ? data[i * cols + a] : data[a * cols + i]; };
  std::vector<Detection> candidates;
  for (std::int64_t i = 0; i < n; ++i) {
    const float objectness = v5 ? at(i, 4) : 1.0f;
    if (!(objectness >= spec.score_threshold)) continue;  // also drops NaN
    const std::int64_t first = v5 ? 5 : 4;
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c)
      if (at(i, first + c) > at(i, first + best)) best = c;
    const float score = objectness * at(i, first + best);
    if (!(score >= spec.score_threshold)) continue;
    Detection d;
    d.class_id = static_cast<int>(best);
    d.label =
        best < static_cast<std::int64_t>(spec.classes.size()) ? spec.classes[best] : fmt::format("class_{}", best);
    d.score = std::min(score, 1.0f);
    d.box = to_source(at(i, 0), at(i, 1), at(i, 2), at(i, 3), fit);
    if (d.box.width > 0 && d.box.height > 0) candidates.push_back(std::move(d));
  }
  if (candidates.size() > kMaxCandidates) {
    std::partial_sort(candidates.begin(), candidates.begin() + kMaxCandidates, candidates.end(),
                      [](const Detection& a, const Detection& b) { return a.score > b.score; });
    candidates.resize(kMaxCandidates);
  }
  return non_max_suppression(std::move(candidates), spec.nms_iou, true);
}

}  // namespace detail
}  // namespace tyto::vision
