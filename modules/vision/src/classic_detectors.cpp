// The detectors that need no network: the vision module's Haar face cascade and OpenCV's HOG people detector.
#include "detail/detection.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/faces.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cmath>

namespace tyto::vision::detail {
namespace {

std::string label_of(const ModelSpec& spec, const char* fallback) {
  return spec.classes.empty() ? fallback : spec.classes.front();
}

// FaceDetector is thread-safe (a pool of classifiers). A cascade gives no score: each face scores 1.
class CascadeDetector final : public DeviceDetector {
 public:
  explicit CascadeDetector(const ModelSpec& spec)
      : faces_(spec.path.empty() ? default_cascade_path() : spec.path), label_(label_of(spec, "face")) {
    options_.max_side = std::max({spec.input_width, spec.input_height, 64});
  }

  std::vector<Detection> detect(const Image& rgb) override {
    std::vector<Detection> out;
    for (const Box& b : faces_.detect(rgb, options_)) out.push_back({label_, -1, 1.0f, b});
    return out;
  }

  std::string_view kind() const override { return "cascade"; }

 private:
  FaceDetector faces_;
  FaceOptions options_;
  std::string label_;
};

// HOGDescriptor::detectMultiScale is const and keeps no state between calls, so calls run concurrently. The
// SVM's margin becomes a score through a logistic (a margin of 0 scores 0.5).
class HogDetector final : public DeviceDetector {
 public:
  explicit HogDetector(const ModelSpec& spec)
      : label_(label_of(spec, "person")),
        max_width_(std::max(spec.input_width, 64)),
        max_height_(std::max(spec.input_height, 128)),
        score_threshold_(spec.score_threshold),
        nms_iou_(spec.nms_iou) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }

  std::vector<Detection> detect(const Image& image) override {
    const cv::Mat rgb = rgb_of(image);
    const double scale =
        std::min({1.0, static_cast<double>(max_width_) / rgb.cols, static_cast<double>(max_height_) / rgb.rows});
    cv::Mat grey;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
    if (scale < 1.0) cv::resize(grey, grey, cv::Size(), scale, scale, cv::INTER_AREA);
    std::vector<cv::Rect> found;
    std::vector<double> weights;
    if (grey.cols >= hog_.winSize.width && grey.rows >= hog_.winSize.height)
      hog_.detectMultiScale(grey, found, weights, 0, cv::Size(8, 8), cv::Size(), 1.05, 2.0, false);
    std::vector<Detection> out;
    for (std::size_t i = 0; i < found.size(); ++i) {
      const float score = static_cast<float>(1.0 / (1.0 + std::exp(-(i < weights.size() ? weights[i] : 0.0))));
      if (score < score_threshold_) continue;
      const cv::Rect& r = found[i];
      const Box box =
          clip({static_cast<int>(std::lround(r.x / scale)), static_cast<int>(std::lround(r.y / scale)),
                static_cast<int>(std::lround(r.width / scale)), static_cast<int>(std::lround(r.height / scale))},
               rgb.cols, rgb.rows);
      if (box.width > 0 && box.height > 0) out.push_back({label_, 0, score, box});
    }
    return non_max_suppression(std::move(out), nms_iou_, true);
  }

  std::string_view kind() const override { return "hog"; }

 private:
  cv::HOGDescriptor hog_;
  std::string label_;
  int max_width_;
  int max_height_;
  float score_threshold_;
  float nms_iou_;
};

}  // namespace

std::shared_ptr<Detector> make_cascade_detector(const ModelSpec& spec) {
  return std::make_shared<CascadeDetector>(spec);
}

std::shared_ptr<Detector> make_hog_detector(const ModelSpec& spec) { return std::make_shared<HogDetector>(spec); }

}  // namespace tyto::vision::detail
