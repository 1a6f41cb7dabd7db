#include "tyto/vision/motion.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include <algorithm>
#include <cmath>

namespace tyto::vision {
namespace {

// Least peak of the phase correlation for a shift to be trusted as the camera's (a scene that changed in
// other ways peaks lower).
constexpr double kMinResponse = 0.05;

void check_options(const MotionOptions& o) {
  nlohmann::json fields = nlohmann::json::object();
  if (o.processing_width < 16) fields["processing_width"] = "must be at least 16";
  if (!(o.learning_rate == -1 || (o.learning_rate >= 0 && o.learning_rate <= 1)))
    fields["learning_rate"] = "must be -1 (automatic) or within 0..1";
  if (o.history < 1) fields["history"] = "must be at least 1";
  if (!(o.var_threshold > 0) || !std::isfinite(o.var_threshold)) fields["var_threshold"] = "must be > 0";
  if (o.blur < 0 || (o.blur > 1 && o.blur % 2 == 0) || o.blur > 31) fields["blur"] = "must be 0, 1 or odd up to 31";
  if (o.morphology < 0 || o.morphology > 31) fields["morphology"] = "must be 0..31";
  if (!(o.min_region_area >= 0 && o.min_region_area < 1)) fields["min_region_area"] = "must be within 0..1";
  if (!(o.motion_threshold >= 0 && o.motion_threshold <= 1)) fields["motion_threshold"] = "must be within 0..1";
  if (!(o.max_shake >= 0 && o.max_shake <= 0.25)) fields["max_shake"] = "must be within 0..0.25";
  if (o.warmup_frames < 0) fields["warmup_frames"] = "must be >= 0";
  if (!fields.empty()) throw validation_error("invalid motion options", fields);
}

}  // namespace

struct MotionDetector::Impl {
  MotionOptions options;
  cv::Ptr<cv::BackgroundSubtractorMOG2> model;
  int frames = 0;  // since the last reset
  int width = 0;   // of the input, to notice a change of size
  int height = 0;
  int channels = 0;
  cv::Mat reference;  // the grey view the background is learnt in (stabilise)
  cv::Mat window;     // Hanning window for the phase correlation

  void reset() {
    model = cv::createBackgroundSubtractorMOG2(options.history, options.var_threshold, false);
    frames = 0;
    reference.release();
  }

  // Undoes a small global translation of `small` relative to the reference view. Returns the shift undone,
  // in processed pixels.
  cv::Point2d stabilise(cv::Mat& small) {
    cv::Mat grey;
    if (small.channels() == 1) {
      grey = small.clone();
    } else {
      cv::cvtColor(small, grey, cv::COLOR_RGB2GRAY);
    }
    grey.convertTo(grey, CV_32F);
    if (reference.empty() || reference.size() != grey.size()) {
      reference = grey;
      cv::createHanningWindow(window, grey.size(), CV_32F);
      return {0, 0};
    }
    double response = 0;
    const cv::Point2d shift = cv::phaseCorrelate(reference, grey, window, &response);
    const double limit = options.max_shake * small.cols;
    if (std::hypot(shift.x, shift.y) > limit) {
      reference = grey;  // a jolt, not a shake: the background relearns the new view, in its coordinates
      return {0, 0};
    }
    if (response < kMinResponse || (shift.x == 0 && shift.y == 0)) return {0, 0};
    const cv::Matx23d undo(1, 0, -shift.x, 0, 1, -shift.y);
    cv::warpAffine(small, small, undo, small.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return shift;
  }

  cv::Mat prepare(const Image& image) const {
    cv::Mat in = detail::view(image);
    cv::Mat small;
    if (image.width > options.processing_width) {
      const int h =
          std::max(1, static_cast<int>(std::lround(double(image.height) * options.processing_width / image.width)));
      cv::resize(in, small, cv::Size(options.processing_width, h), 0, 0, cv::INTER_AREA);
    } else {
      small = in.clone();
    }
    if (small.channels() == 4) cv::cvtColor(small, small, cv::COLOR_RGBA2RGB);
    if (options.blur > 1) cv::GaussianBlur(small, small, cv::Size(options.blur, options.blur), 0);
    return small;
  }

  cv::Mat clean(const cv::Mat& mask) const {
    if (options.morphology <= 1) return mask;
    const auto kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(options.morphology, options.morphology));
    cv::Mat out;
    cv::morphologyEx(mask, out, cv::MORPH_OPEN, kernel);
    cv::morphologyEx(out, out, cv::MORPH_CLOSE, kernel);
    return out;
  }

  MotionResult update(const Image& image) {
    detail::check_image(image);
    if (image.width != width || image.height != height || image.channels != channels) {
      width = image.width;
      height = image.height;
      channels = image.channels;
      reset();
    }
    cv::Mat small = prepare(image);
    const cv::Point2d shift = options.stabilise ? stabilise(small) : cv::Point2d{};
    cv::Mat mask;
    const bool warming = frames < options.warmup_frames;
    model->apply(small, mask, warming ? -1 : options.learning_rate);
    ++frames;
    MotionResult out;
    out.warming_up = warming;
    out.shift_x = shift.x * image.width / small.cols;
    out.shift_y = shift.y * image.height / small.rows;
    if (warming) return out;
    mask = clean(mask);
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    const double frame_area = double(small.cols) * small.rows;
    const double sx = double(image.width) / small.cols, sy = double(image.height) / small.rows;
    std::vector<std::pair<int, Box>> kept;
    long moving = 0;
    for (int i = 1; i < n; ++i) {  // 0 is the background
      const int area = stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < options.min_region_area * frame_area) continue;
      moving += area;
      const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
      const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
      const Box box{int(std::floor(x * sx)), int(std::floor(y * sy)),
                    int(std::ceil((x + w) * sx)) - int(std::floor(x * sx)),
                    int(std::ceil((y + h) * sy)) - int(std::floor(y * sy))};
      kept.emplace_back(area, clip(box, image.width, image.height));
    }
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [area, box] : kept) out.regions.push_back(box);
    out.moving_fraction = moving / frame_area;
    out.motion = !out.regions.empty() && out.moving_fraction >= options.motion_threshold;
    return out;
  }
};

MotionDetector::MotionDetector(MotionOptions options) : impl_(std::make_unique<Impl>()) {
  check_options(options);
  impl_->options = options;
  impl_->reset();
}
MotionDetector::~MotionDetector() = default;
MotionDetector::MotionDetector(MotionDetector&&) noexcept = default;
MotionDetector& MotionDetector::operator=(MotionDetector&&) noexcept = default;

MotionResult MotionDetector::update(const Image& image) { return impl_->update(image); }
void MotionDetector::reset() { impl_->reset(); }
const MotionOptions& MotionDetector::options() const noexcept { return impl_->options; }

}  // namespace tyto::vision
