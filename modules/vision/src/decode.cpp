#include "detail/exif.hpp"
#include "detail/mat.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/image.hpp"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace tyto::vision {
namespace {

Error bad_media(std::string_view reason, std::string message) {
  return Error(reason == "too_large" ? ErrorCode::kPayloadTooLarge : ErrorCode::kUnsupportedMediaType,
               std::move(message), {{"reason", std::string(reason)}});
}

void check_declared(const ImageInfo& info, const DecodeLimits& limits) {
  if (info.width <= 0 || info.height <= 0)
    throw bad_media("corrupt", fmt::format("the {} header declares no readable size", info.format));
  const auto pixels = static_cast<std::uint64_t>(info.width) * static_cast<std::uint64_t>(info.height);
  if (pixels > limits.max_pixels || std::max(info.width, info.height) > limits.max_side)
    throw bad_media("too_large", fmt::format("the image declares {}x{} pixels, more than the {} pixels (or {} on a "
                                             "side) allowed",
                                             info.width, info.height, limits.max_pixels, limits.max_side));
}

// Turns pixels stored with an EXIF orientation upright (the orientations of the TIFF 6.0 / EXIF 2.3 tables).
cv::Mat upright(const cv::Mat& stored, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(stored, out, 1);
      break;
    case 3:
      cv::rotate(stored, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(stored, out, 0);
      break;
    case 5:
      cv::transpose(stored, out);
      break;
    case 6:
      cv::rotate(stored, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(stored, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(stored, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      out = stored;
  }
  return out;
}

}  // namespace

Image decode(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.empty()) throw bad_media("empty", "the file is empty");
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<std::size_t>(INT32_MAX))
    throw bad_media("too_large",
                    fmt::format("the file has {} bytes, more than the {} allowed", bytes.size(), limits.max_bytes));
  const ImageInfo info = probe(bytes);
  if (info.format.empty()) throw bad_media("unknown_format", "not an image format Tyto decodes");
  check_declared(info, limits);
  // libjpeg decodes a cut JPEG with the missing rows grey and only a warning: a JPEG must end its last scan
  // with an end-of-image marker (entropy-coded data never holds 0xFF 0xD9 or 0xFF 0xDA: 0xFF is stuffed).
  if (info.format == "jpeg") {
    const auto scan = bytes.rfind("\xFF\xDA");
    if (scan == std::string_view::npos || bytes.find("\xFF\xD9", scan) == std::string_view::npos)
      throw bad_media("corrupt", "the jpeg is truncated: no end of image after its last scan");
  }
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    // EXIF orientation is applied below from Tyto's own reading of the tag, so exactly once whatever the
    // OpenCV version's imdecode does with it.
    decoded = cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception& e) {
    throw bad_media("corrupt", fmt::format("the {} cannot be decoded: {}", info.format, e.what()));
  }
  if (decoded.empty()) throw bad_media("corrupt", fmt::format("the {} cannot be decoded", info.format));
  if (decoded.cols != info.width || decoded.rows != info.height)
    throw bad_media("corrupt", "the decoded size differs from the declared one");
  cv::Mat rgb;
  cv::cvtColor(upright(decoded, info.format == "jpeg" ? detail::exif_orientation(bytes) : 1), rgb, cv::COLOR_BGR2RGB);
  return detail::to_image(rgb);
}

}  // namespace tyto::vision
