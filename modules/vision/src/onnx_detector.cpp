// ONNX models through OpenCV's DNN module (Debian's OpenCV 4.6, CPU): YOLOv5/YOLOv8 exports, BlazeFace, and
// NanoDet, MoveNet and MediaPipe's selfie segmentation (converted at set-up from TF.js; docs/models.md).
#include "detail/detection.hpp"
#include "detail/mat.hpp"
#include "detail/nanodet_decode.hpp"
#include "detail/pose_decode.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>

namespace tyto::vision::detail {
namespace {

// The face detection back model's layers (MediaPipe face_detection_back_desktop_live).
constexpr std::array<int, 4> kBlazeFaceStrides = {16, 32, 32, 32};
// The key points a pose's box holds: those MoveNet is at least this sure of.
constexpr float kBoxKeypointScore = 0.2f;

std::string first_line(const std::string& s) {
  // OpenCV's messages: "OpenCV(4.6.0) file:line: error: (-2:...) what in function ..."
  return s.substr(0, s.find('\n'));
}

class OnnxDetector final : public DeviceDetector {
 public:
  explicit OnnxDetector(ModelSpec spec) : spec_(std::move(spec)) {
    try {
      net_ = cv::dnn::readNetFromONNX(spec_.path);
      net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      outputs_ = net_.getUnconnectedOutLayersNames();
    } catch (const cv::Exception& e) {
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("model {}: OpenCV cannot read the ONNX file {}: {}", spec_.name, spec_.path,
                              first_line(e.what())),
                  {{"model", spec_.name}, {"path", spec_.path}, {"reason", "load_failed"}});
    }
    if (net_.empty() || outputs_.empty())
      throw Error(ErrorCode::kUnavailable, fmt::format("model {}: {} holds no network", spec_.name, spec_.path),
                  {{"model", spec_.name}, {"path", spec_.path}, {"reason", "load_failed"}});
    if (spec_.format == OutputFormat::kBlazeFace) {
      if (spec_.input_width != spec_.input_height)
        throw validation_error(fmt::format("model {}: BlazeFace takes a square input", spec_.name),
                               {{"input_size", "square for blazeface"}});
      anchors_ = ssd_anchors(spec_.input_width, kBlazeFaceStrides);
    }
  }

  std::vector<Detection> detect(const Image& rgb) override {
    Letterbox fit;
    const cv::Mat input = letterbox(rgb_of(rgb), spec_.input_width, spec_.input_height, fit);
    std::vector<cv::Mat> outs = forward(input);
    if (spec_.format == OutputFormat::kBlazeFace) return blazeface(outs, fit);
    if (spec_.format == OutputFormat::kNanoDet) return nanodet(outs, fit);
    if (spec_.format == OutputFormat::kMoveNet) return movenet(outs, fit);
    if (spec_.format == OutputFormat::kSelfie) return selfie(outs, fit);
    const cv::Mat& out = outs.front();
    if (out.type() != CV_32F || !out.isContinuous()) throw bad_output("is not a continuous float tensor");
    std::vector<std::int64_t> shape(out.size.p, out.size.p + out.dims);
    return decode_yolo(out.ptr<float>(), shape, spec_, fit);
  }

  std::string_view kind() const override { return "onnx"; }

 private:
  std::vector<cv::Mat> forward(const cv::Mat& input) {
    cv::Mat blob;
    if (spec_.format == OutputFormat::kBlazeFace || spec_.format == OutputFormat::kMoveNet ||
        spec_.format == OutputFormat::kSelfie) {
      // NHWC. BlazeFace: RGB in -1..1, as MediaPipe feeds it; MoveNet: 0..255 (its graph normalises); selfie: 0..1.
      const double scale = spec_.format == OutputFormat::kBlazeFace ? 2.0 / 255.0
                           : spec_.format == OutputFormat::kSelfie  ? 1.0 / 255.0
                                                                    : 1.0;
      const double offset = spec_.format == OutputFormat::kBlazeFace ? -1.0 : 0.0;
      cv::Mat scaled;
      input.convertTo(scaled, CV_32FC3, scale, offset);
      const int sizes[] = {1, input.rows, input.cols, 3};
      blob = cv::Mat(4, sizes, CV_32F, scaled.data).clone();
    } else if (spec_.format == OutputFormat::kNanoDet) {
      // NCHW, RGB 0..255: the converted graph normalises itself.
      blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
    } else {
      blob = cv::dnn::blobFromImage(input, 1.0 / 255.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
    }
    std::vector<cv::Mat> outs;
    try {
      std::lock_guard lock(mutex_);  // cv::dnn::Net keeps per-forward state
      net_.setInput(blob);
      net_.forward(outs, outputs_);
    } catch (const cv::Exception& e) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("model {}: inference failed: {}", spec_.name, first_line(e.what())));
    }
    if (outs.empty()) throw bad_output("is empty");
    return outs;
  }

  // BlazeFace has two score tensors [1, A, 1] and two box tensors [1, A, 16]; they pair by A.
  std::vector<Detection> blazeface(const std::vector<cv::Mat>& outs, const Letterbox& fit) const {
    std::vector<const cv::Mat*> scores, boxes;
    for (const auto& m : outs) {
      if (m.type() != CV_32F || m.dims != 3 || m.size[0] != 1) throw bad_output("is not BlazeFace's [1, A, 1|16]");
      (m.size[2] == 1 ? scores : boxes).push_back(&m);
    }
    const auto by_rows = [](const cv::Mat* a, const cv::Mat* b) { return a->size[1] > b->size[1]; };
    std::sort(scores.begin(), scores.end(), by_rows);
    std::sort(boxes.begin(), boxes.end(), by_rows);
    std::vector<float> all_scores, all_boxes;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (i >= boxes.size() || boxes[i]->size[1] != scores[i]->size[1] || boxes[i]->size[2] != 16)
        throw bad_output("has score and box tensors that do not pair");
      all_scores.insert(all_scores.end(), scores[i]->ptr<float>(), scores[i]->ptr<float>() + scores[i]->total());
      all_boxes.insert(all_boxes.end(), boxes[i]->ptr<float>(), boxes[i]->ptr<float>() + boxes[i]->total());
    }
    if (all_scores.size() != anchors_.size())
      throw bad_output(fmt::format("has {} scores for {} anchors", all_scores.size(), anchors_.size()));
    return decode_blazeface(all_scores, all_boxes, anchors_, spec_.input_width, spec_, fit);
  }

  // NanoDet: per level a [1, rows, classes] score tensor and a [1, rows, 4 * (reg_max + 1)] distribution tensor.
  std::vector<Detection> nanodet(const std::vector<cv::Mat>& outs, const Letterbox& fit) const {
    std::vector<TensorRef> refs;
    for (const auto& m : outs) {
      if (m.type() != CV_32F || !m.isContinuous()) throw bad_output("is not a continuous float tensor");
      refs.push_back(
          {std::span<const float>(m.ptr<float>(), m.total()), std::vector<std::int64_t>(m.size.p, m.size.p + m.dims)});
    }
    NanodetOptions o;
    o.input_width = spec_.input_width;
    o.input_height = spec_.input_height;
    o.score_threshold = spec_.score_threshold;
    o.iou_threshold = spec_.nms_iou;
    const auto scale = static_cast<float>(fit.scale);
    return decode_nanodet(refs, spec_.classes, o,
                          NanodetFit{scale, scale, static_cast<float>(fit.pad_x), static_cast<float>(fit.pad_y),
                                     fit.source_width, fit.source_height});
  }

  static TensorRef tensor(const cv::Mat& m) {
    return {std::span<const float>(m.ptr<float>(), m.total()), std::vector<std::int64_t>(m.size.p, m.size.p + m.dims)};
  }

  // MoveNet: its own [1, 1, 17, 3], or the four heads of the converted model (told apart by their names).
  std::vector<Detection> movenet(const std::vector<cv::Mat>& outs, const Letterbox& fit) const {
    for (const auto& m : outs)
      if (m.type() != CV_32F || !m.isContinuous()) throw bad_output("is not a continuous float tensor");
    std::vector<NormalisedKeypoint> points;
    if (outs.size() == 1) {
      points = read_movenet_keypoints(tensor(outs.front()));
    } else {
      const auto head = [&](std::string_view name) -> TensorRef {
        for (std::size_t i = 0; i < outputs_.size(); ++i)
          if (outputs_[i] == name) return tensor(outs[i]);
        throw bad_output(fmt::format("has no head named {} (MoveNet's: heatmaps, centers, regression, offsets)", name));
      };
      points = decode_movenet_heads(head("heatmaps"), head("centers"), head("regression"), head("offsets"));
    }
    Detection person;
    person.label = spec_.classes.empty() ? "person" : spec_.classes.front();
    person.class_id = 0;
    float sum = 0, x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    const int sure = static_cast<int>(std::count_if(
        points.begin(), points.end(), [](const NormalisedKeypoint& p) { return p.score >= kBoxKeypointScore; }));
    const auto w = static_cast<float>(fit.source_width), h = static_cast<float>(fit.source_height);
    for (const auto& p : points) {
      const auto x = static_cast<float>((p.x * spec_.input_width - fit.pad_x) / fit.scale);
      const auto y = static_cast<float>((p.y * spec_.input_height - fit.pad_y) / fit.scale);
      if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(p.score))
        throw bad_output("holds a non-finite value");
      const float score = std::clamp(p.score, 0.0f, 1.0f);
      // Inside the image: the last pixel's far edge is not a pixel.
      DetectedKeypoint k{std::clamp(x, 0.0f, std::nextafter(w, 0.0f)), std::clamp(y, 0.0f, std::nextafter(h, 0.0f)),
                         score};
      sum += score;
      if (score >= kBoxKeypointScore || sure < 2) {
        x0 = std::min(x0, k.x), y0 = std::min(y0, k.y), x1 = std::max(x1, k.x), y1 = std::max(y1, k.y);
      }
      person.keypoints.push_back(k);
    }
    if (person.keypoints.empty()) return {};
    person.score = sum / static_cast<float>(person.keypoints.size());
    if (!(person.score >= spec_.score_threshold)) return {};
    const auto floor = [](float v) { return static_cast<int>(std::floor(v)); };
    person.box = clip({floor(x0), floor(y0), floor(x1) - floor(x0) + 1, floor(y1) - floor(y0) + 1}, fit.source_width,
                      fit.source_height);
    return {std::move(person)};
  }

  // MediaPipe's selfie segmentation: [1, H, W, 1] probabilities over the letterboxed input.
  std::vector<Detection> selfie(const std::vector<cv::Mat>& outs, const Letterbox& fit) const {
    const cv::Mat& out = outs.front();
    if (outs.size() != 1 || out.type() != CV_32F || !out.isContinuous() || out.dims != 4 || out.size[0] != 1 ||
        out.size[1] != spec_.input_height || out.size[2] != spec_.input_width || out.size[3] != 1)
      throw bad_output(fmt::format("is not one [1, {}, {}, 1] probability map", spec_.input_height, spec_.input_width));
    const cv::Mat map(spec_.input_height, spec_.input_width, CV_32F, const_cast<float*>(out.ptr<float>()));
    const int w = std::clamp(static_cast<int>(std::lround(fit.source_width * fit.scale)), 1, spec_.input_width);
    const int h = std::clamp(static_cast<int>(std::lround(fit.source_height * fit.scale)), 1, spec_.input_height);
    cv::Mat probability;
    cv::resize(map(cv::Rect(fit.pad_x, fit.pad_y, w, h)), probability, cv::Size(fit.source_width, fit.source_height), 0,
               0, cv::INTER_LINEAR);
    cv::Mat mask8;
    probability.convertTo(mask8, CV_8U, 255.0);  // saturates: 0..1 becomes 0..255
    const cv::Mat person_pixels = mask8 >= 128;
    const int count = cv::countNonZero(person_pixels);
    if (count == 0) return {};
    Detection person;
    person.label = spec_.classes.empty() ? "person" : spec_.classes.front();
    person.class_id = 0;
    person.score = static_cast<float>(std::clamp(cv::mean(probability, person_pixels)[0], 0.0, 1.0));
    if (!(person.score >= spec_.score_threshold)) return {};
    const cv::Rect r = cv::boundingRect(person_pixels);
    person.box = {r.x, r.y, r.width, r.height};
    person.mask = to_image(mask8);
    return {std::move(person)};
  }

  Error bad_output(std::string_view why) const {
    return validation_error(fmt::format("model {}: the output {}", spec_.name, why), {{"model_output", why}});
  }

  ModelSpec spec_;
  std::vector<Anchor> anchors_;
  std::mutex mutex_;
  cv::dnn::Net net_;  // forward guarded by mutex_
  std::vector<std::string> outputs_;
};

}  // namespace

std::shared_ptr<Detector> make_onnx_detector(const ModelSpec& spec) { return std::make_shared<OnnxDetector>(spec); }

}  // namespace tyto::vision::detail
