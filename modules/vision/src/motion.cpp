#include "tyto/vision/motion.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include <algorithm>
#include <cmath>

namespace tyto::vision {
namespace {

// Frames smaller than this (processed) are too small to measure a shift in; they are not stabilised.
constexpr int kMinStabiliseSide = 16;

// A shift is undone only when undoing it leaves at most this share of the difference from the background.
constexpr double kMinGain = 0.8;

cv::Mat to_grey(const cv::Mat& image) {
  cv::Mat grey;
  if (image.channels() == 1) {
    grey = image;
  } else {
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
  }
  cv::Mat out;
  grey.convertTo(out, CV_32F);
  return out;
}

// The translation r with moved(x) ~ reference(x - r), by least squares on the linearised difference; ix and
// iy are the reference's gradients.
cv::Point2d refine(const cv::Mat& ix, const cv::Mat& iy, const cv::Mat& reference, const cv::Mat& moved) {
  cv::Mat it;
  cv::subtract(moved, reference, it);
  const double a = ix.dot(ix), b = ix.dot(iy), c = iy.dot(iy);
  const double bx = ix.dot(it), by = iy.dot(it);
  const double det = a * c - b * b;
  if (!(det > 1e-6 * (a + c) * (a + c))) return {0, 0};  // no texture to measure by
  return {-(c * bx - b * by) / det, -(a * by - b * bx) / det};
}

double mean_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::mean(diff)[0];
}

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
  cv::Mat window;  // Hanning window for the phase correlation (stabilise)

  void reset() {
    model = cv::createBackgroundSubtractorMOG2(options.history, options.var_threshold, false);
    frames = 0;
  }

  struct Stabilised {
    cv::Point2d shift;  // undone, in processed pixels
    bool jolt = false;  // the camera moved by more than max_shake
  };

  // Undoes a small global translation of `small` against the learnt background (which holds no moving
  // object to lock onto).
  Stabilised stabilise(cv::Mat& small) {
    if (frames == 0 || small.cols < kMinStabiliseSide || small.rows < kMinStabiliseSide) return {};
    cv::Mat background;
    model->getBackgroundImage(background);
    const cv::Mat reference = to_grey(background), grey = to_grey(small);
    if (window.size() != grey.size()) cv::createHanningWindow(window, grey.size(), CV_32F);
    cv::Point2d shift = cv::phaseCorrelate(reference, grey, window);
    const double length = std::hypot(shift.x, shift.y);
    if (length < 0.1) return {};
    cv::Mat moved;
    const auto move = [&](const cv::Mat& from, cv::Mat& to) {
      const cv::Matx23d undo(1, 0, -shift.x, 0, 1, -shift.y);
      cv::warpAffine(from, to, undo, from.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    };
    move(grey, moved);
    // A real move of the camera is undone across the frame, so the difference from the background falls
    // markedly; a shift read from noise, or from one moving object, does not lower it.
    const double before = mean_difference(grey, reference);
    const auto explained = [&] { return mean_difference(moved, reference) < kMinGain * before; };
    if (length > options.max_shake * small.cols) return {{0, 0}, explained()};
    // Phase correlation's sub-pixel estimate is biased towards whole pixels (a third short for 0.6 px);
    // Lucas-Kanade steps on the whole frame refine it.
    cv::Mat ix, iy;
    cv::Sobel(reference, ix, CV_32F, 1, 0, 3, 1.0 / 8);
    cv::Sobel(reference, iy, CV_32F, 0, 1, 3, 1.0 / 8);
    for (int step = 0; step < 2; ++step) {
      const cv::Point2d rest = refine(ix, iy, reference, moved);
      if (std::hypot(rest.x, rest.y) > 1.5) break;
      shift += rest;
      move(grey, moved);
    }
    if (!explained()) return {};
    move(small, small);
    return {shift, false};
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
    const Stabilised stabilised = options.stabilise ? stabilise(small) : Stabilised{};
    if (stabilised.jolt) reset();  // the view changed: learn it afresh
    const cv::Point2d shift = stabilised.shift;
    cv::Mat mask;
    const bool warming = frames < options.warmup_frames;
    model->apply(small, mask, warming ? -1 : options.learning_rate);
    ++frames;
    MotionResult out;
    out.warming_up = warming;
    out.camera_moved = stabilised.jolt;
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

nlohmann::json to_json(const MotionResult& r) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& b : r.regions) regions.push_back({{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}});
  return {{"motion", r.motion},
          {"moving_fraction", r.moving_fraction},
          {"regions", regions},
          {"warming_up", r.warming_up},
          {"camera_moved", r.camera_moved},
          {"shift", {{"x", r.shift_x}, {"y", r.shift_y}}}};
}

MotionDetector::MotionDetector(MotionOptions options) : impl_(std::make_unique<Impl>()) {
  check_options(options);
  impl_->options = options;
  impl_->reset();
}
MotionDetector::~MotionDetector() = default;
MotionDetector::MotionDetector(MotionDetector&&) noexcept = default;
MotionDetector& MotionDetector::operator=(MotionDetector&&) noexcept = default;

MotionResult MotionDetector::update(const Image& image) {
  try {
    return impl_->update(image);
  } catch (const cv::Exception& e) {
    // Not expected for a valid image; the detector starts afresh rather than carry a half-updated model.
    impl_->reset();
    throw Error(ErrorCode::kInternal, std::string("motion detection failed: ") + e.what());
  }
}
void MotionDetector::reset() { impl_->reset(); }
const MotionOptions& MotionDetector::options() const noexcept { return impl_->options; }

}  // namespace tyto::vision
