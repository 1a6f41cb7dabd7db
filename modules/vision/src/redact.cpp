#include "tyto/vision/redact.hpp"

#include "detail/mat.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace tyto::vision {

int redact(Image& image, std::span<const Box> boxes, RedactMode mode, Rgb fill) {
  cv::Mat mat = detail::view(image);
  int touched = 0;
  for (const Box& box : boxes) {
    const Box inside = clip(box, image.width, image.height);
    if (inside.width == 0) continue;
    ++touched;
    cv::Mat roi = mat(cv::Rect(inside.x, inside.y, inside.width, inside.height));
    if (mode == RedactMode::kFill) {
      roi.setTo(image.channels == 1 ? cv::Scalar(0.2126 * fill.r + 0.7152 * fill.g + 0.0722 * fill.b)
                                    : cv::Scalar(fill.r, fill.g, fill.b, 255));
      continue;
    }
    // Blocks first (what survives a blur alone can sometimes be sharpened back), then a blur to soften them.
    const int block = std::max(8, std::min(inside.width, inside.height) / 6);
    cv::Mat small;
    cv::resize(roi, small, cv::Size(std::max(1, inside.width / block), std::max(1, inside.height / block)), 0, 0,
               cv::INTER_AREA);
    cv::resize(small, roi, roi.size(), 0, 0, cv::INTER_NEAREST);
    const int kernel = std::max(3, (block | 1));
    cv::GaussianBlur(roi, roi, cv::Size(kernel, kernel), 0, 0, cv::BORDER_REPLICATE);
  }
  return touched;
}

}  // namespace tyto::vision
