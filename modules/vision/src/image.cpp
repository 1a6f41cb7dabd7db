#include "tyto/vision/image.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace tyto::vision {

namespace detail {

void check_image(const Image& image, std::string_view what) {
  if (image.empty()) throw validation_error(fmt::format("the {} is empty", what), {{std::string(what), "empty"}});
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw validation_error(fmt::format("the {} has {} channels", what, image.channels),
                           {{std::string(what), "channels must be 1, 3 or 4"}});
  const auto expected = static_cast<std::size_t>(image.width) * image.height * image.channels;
  if (image.pixels.size() != expected)
    throw validation_error(fmt::format("the {} holds {} bytes, not {}", what, image.pixels.size(), expected),
                           {{std::string(what), "pixels do not match width * height * channels"}});
}

cv::Mat view(const Image& image) {
  check_image(image);
  return cv::Mat(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.pixels.data()));
}

Image to_image(const cv::Mat& mat) {
  CV_Assert(mat.depth() == CV_8U && (mat.channels() == 1 || mat.channels() == 3 || mat.channels() == 4));
  Image out{mat.cols, mat.rows, mat.channels(), {}};
  out.pixels.resize(static_cast<std::size_t>(mat.cols) * mat.rows * mat.channels());
  mat.copyTo(cv::Mat(mat.rows, mat.cols, mat.type(), out.pixels.data()));
  return out;
}

}  // namespace detail

Box clip(const Box& box, int width, int height) noexcept {
  const int x0 = std::clamp(box.x, 0, width), y0 = std::clamp(box.y, 0, height);
  const long x1 = std::clamp(static_cast<long>(box.x) + std::max(box.width, 0), 0L, static_cast<long>(width));
  const long y1 = std::clamp(static_cast<long>(box.y) + std::max(box.height, 0), 0L, static_cast<long>(height));
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, static_cast<int>(x1 - x0), static_cast<int>(y1 - y0)};
}

double iou(const Box& a, const Box& b) noexcept {
  const long x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const long x1 = std::min(static_cast<long>(a.x) + a.width, static_cast<long>(b.x) + b.width);
  const long y1 = std::min(static_cast<long>(a.y) + a.height, static_cast<long>(b.y) + b.height);
  if (x1 <= x0 || y1 <= y0) return 0;
  const double inter = static_cast<double>(x1 - x0) * static_cast<double>(y1 - y0);
  const double uni = static_cast<double>(a.width) * a.height + static_cast<double>(b.width) * b.height - inter;
  return uni > 0 ? inter / uni : 0;
}

std::string to_hex(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

Rgb parse_hex_colour(std::string_view text) {
  auto bad = [&] {
    return validation_error(fmt::format("'{}' is not a colour", text), {{"colour", "must be #rrggbb"}});
  };
  if (text.size() != 7 || text[0] != '#') throw bad();
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw bad();
  };
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])); };
  return {byte(1), byte(3), byte(5)};
}

namespace {

std::string encode(const Image& image, const std::string& ext, const std::vector<int>& params) {
  cv::Mat src = detail::view(image), bgr;
  if (image.channels == 3)
    cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
  else if (image.channels == 4)
    cv::cvtColor(src, bgr, ext == ".png" ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGBA2BGR);
  else
    bgr = src;
  std::vector<std::uint8_t> out;
  if (!cv::imencode(ext, bgr, out, params)) throw Error(ErrorCode::kInternal, "the image could not be encoded");
  return {out.begin(), out.end()};
}

}  // namespace

std::string encode_png(const Image& image) { return encode(image, ".png", {cv::IMWRITE_PNG_COMPRESSION, 3}); }

std::string encode_jpeg(const Image& image, int quality) {
  return encode(image, ".jpg", {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)});
}

}  // namespace tyto::vision
