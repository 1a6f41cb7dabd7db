#include "tyto/vision/faces.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>

namespace tyto::vision {

std::string default_cascade_path(const std::string& file) {
  for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"}) {
    const auto path = std::filesystem::path(dir) / file;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return (std::filesystem::path("/usr/share/opencv4/haarcascades") / file).string();
}

// CascadeClassifier keeps scratch buffers per object, so concurrent detections use separate copies.
struct FaceDetector::Impl {
  std::string path;
  mutable std::mutex mutex;
  mutable std::vector<std::unique_ptr<cv::CascadeClassifier>> idle;  // guarded by mutex

  std::unique_ptr<cv::CascadeClassifier> load() const {
    auto classifier = std::make_unique<cv::CascadeClassifier>();
    bool ok = false;
    try {
      ok = classifier->load(path);
    } catch (const cv::Exception&) {
    }
    if (!ok || classifier->empty())
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("the face cascade {} cannot be loaded (install opencv-data)", path));
    return classifier;
  }
};

FaceDetector::FaceDetector(std::string cascade_path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(cascade_path);
  impl_->idle.push_back(impl_->load());
}

FaceDetector::~FaceDetector() = default;

std::vector<Box> FaceDetector::detect(const Image& image, const FaceOptions& options) const {
  const cv::Mat src = detail::view(image);
  if (options.scale_factor <= 1.0 || options.scale_factor > 2.0 || options.min_neighbors < 0 || options.min_size < 8 ||
      options.max_side < 64)
    throw validation_error("invalid face detection options",
                           {{"options", "scale_factor in (1, 2], min_neighbors >= 0, min_size >= 8, max_side >= 64"}});
  cv::Mat grey;
  if (image.channels == 1)
    grey = src.clone();
  else
    cv::cvtColor(src, grey, image.channels == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
  const double scale = std::min(1.0, static_cast<double>(options.max_side) / std::max(image.width, image.height));
  if (scale < 1.0) cv::resize(grey, grey, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::equalizeHist(grey, grey);

  std::unique_ptr<cv::CascadeClassifier> classifier;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->idle.empty()) {
      classifier = std::move(impl_->idle.back());
      impl_->idle.pop_back();
    }
  }
  if (!classifier) classifier = impl_->load();
  std::vector<cv::Rect> found;
  const int min_size = std::max(8, static_cast<int>(std::lround(options.min_size * scale)));
  try {
    classifier->detectMultiScale(grey, found, options.scale_factor, options.min_neighbors, 0,
                                 cv::Size(min_size, min_size));
  } catch (...) {
    std::lock_guard lock(impl_->mutex);
    impl_->idle.push_back(std::move(classifier));
    throw;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->idle.push_back(std::move(classifier));
  }
  std::vector<Box> boxes;
  for (const auto& r : found) {
    auto back = [&](int v) { return static_cast<int>(std::lround(v / scale)); };
    boxes.push_back(clip({back(r.x), back(r.y), back(r.width), back(r.height)}, image.width, image.height));
  }
  std::sort(boxes.begin(), boxes.end(),
            [](const Box& a, const Box& b) { return a.width * a.height > b.width * b.height; });
  return boxes;
}

}  // namespace tyto::vision
