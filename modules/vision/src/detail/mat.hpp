// Between the module's plain Image and OpenCV's Mat (private to modules/vision/src). Mats here hold RGB
// (or RGBA) order, like Image; only encoding and decoding meet OpenCV's BGR.
#pragma once

#include "tyto/vision/image.hpp"

#include <opencv2/core.hpp>

#include <string_view>

namespace tyto::vision::detail {

// A Mat viewing the image's pixels (no copy): valid while the image lives and is not resized.
cv::Mat view(const Image& image);
// A copy of a continuous or non-continuous 8-bit Mat of 1, 3 or 4 channels.
Image to_image(const cv::Mat& mat);
// Throws Error(validation_failed) unless the image is non-empty, 1/3/4 channels and sized consistently.
void check_image(const Image& image, std::string_view what = "image");

}  // namespace tyto::vision::detail
