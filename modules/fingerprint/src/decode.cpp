#include "tyto/core/error.hpp"
#include "tyto/fingerprint/image.hpp"

#include <fmt/format.h>
#include <turbojpeg.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <limits>
#include <memory>

namespace tyto::fingerprint {
namespace {

Error bad_media(std::string_view reason, std::string message) {
  return Error(reason == "too_large" ? ErrorCode::kPayloadTooLarge : ErrorCode::kUnsupportedMediaType,
               std::move(message), {{"reason", std::string(reason)}});
}

void check_size(std::uint64_t width, std::uint64_t height, const DecodeOptions& options) {
  if (width == 0 || height == 0) throw bad_media("corrupt", "the image declares no pixels");
  if (width * height > options.max_pixels)
    throw bad_media("too_large", fmt::format("the image declares {}x{} pixels, more than the {} allowed", width, height,
                                             options.max_pixels));
}

std::uint32_t read_be32(std::string_view b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint8_t(b[at + 3]);
}
std::uint32_t read_le(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | std::uint8_t(b[at + i]);
  return v;
}

// The size a PNG, BMP or WebP (VP8X) header declares, checked before OpenCV allocates anything for it.
void check_declared_size(std::string_view bytes, std::string_view format, const DecodeOptions& options) {
  if (format == "png" && bytes.size() >= 24) {
    check_size(read_be32(bytes, 16), read_be32(bytes, 20), options);
  } else if (format == "bmp" && bytes.size() >= 26) {
    const auto height = static_cast<std::int32_t>(read_le(bytes, 22, 4));
    check_size(read_le(bytes, 18, 4),
               static_cast<std::uint32_t>(height < 0 ? -static_cast<std::int64_t>(height) : height), options);
  } else if (format == "webp" && bytes.size() >= 30 && bytes.substr(12, 4) == "VP8X") {
    check_size(read_le(bytes, 24, 3) + 1, read_le(bytes, 27, 3) + 1, options);
  }
}

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};

// nullopt: a JPEG TurboJPEG does not turn into RGB itself (CMYK), left to OpenCV.
std::optional<RgbImage> decode_jpeg(std::string_view bytes, const DecodeOptions& options) {
  std::unique_ptr<void, TjDeleter> tj(tjInitDecompress());
  if (!tj) throw Error(ErrorCode::kInternal, "TurboJPEG could not start");
  auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0, subsampling = 0, colourspace = 0;
  if (tjDecompressHeader3(tj.get(), data, bytes.size(), &width, &height, &subsampling, &colourspace) != 0)
    throw bad_media("corrupt", fmt::format("not a readable JPEG: {}", tjGetErrorStr2(tj.get())));
  check_size(static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(height), options);
  if (colourspace == TJCS_CMYK || colourspace == TJCS_YCCK) return std::nullopt;

  // The smallest scale (num/denom <= 1) that keeps the shorter side at least min_side.
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor chosen{1, 1};
  for (int i = 0; i < count && options.min_side > 0; ++i) {
    const tjscalingfactor f = factors[i];
    if (f.num > f.denom) continue;
    const int sw = TJSCALED(width, f), sh = TJSCALED(height, f);
    if (std::min(sw, sh) >= options.min_side &&
        sw * static_cast<long>(sh) < TJSCALED(width, chosen) * static_cast<long>(TJSCALED(height, chosen)))
      chosen = f;
  }
  RgbImage out;
  out.width = TJSCALED(width, chosen);
  out.height = TJSCALED(height, chosen);
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  if (tjDecompress2(tj.get(), data, bytes.size(), out.pixels.data(), out.width, 0, out.height, TJPF_RGB, 0) != 0) {
    const std::string why = tjGetErrorStr2(tj.get());
    // A warning leaves a usable image, except the one for data that ends early (the rest is grey).
    if (tjGetErrorCode(tj.get()) != TJERR_WARNING || why.find("Premature end") != std::string::npos)
      throw bad_media("corrupt", fmt::format("the JPEG cannot be decoded: {}", why));
  }
  return out;
}

RgbImage decode_with_opencv(std::string_view bytes, const DecodeOptions& options) {
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    decoded = cv::imdecode(buffer, cv::IMREAD_COLOR);  // 8-bit BGR, EXIF orientation applied
  } catch (const cv::Exception& e) {
    throw bad_media("corrupt", fmt::format("the image cannot be decoded: {}", e.what()));
  }
  if (decoded.empty()) throw bad_media("corrupt", "the image cannot be decoded");
  check_size(static_cast<std::uint64_t>(decoded.cols), static_cast<std::uint64_t>(decoded.rows), options);
  RgbImage out;
  out.width = decoded.cols;
  out.height = decoded.rows;
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  cv::Mat rgb(out.height, out.width, CV_8UC3, out.pixels.data());
  cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
  return out;
}

}  // namespace

std::string_view sniff_format(std::string_view b) noexcept {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts("\xFF\xD8\xFF")) return "jpeg";
  if (starts("\x89PNG\r\n\x1A\n")) return "png";
  if (starts("GIF87a") || starts("GIF89a")) return "gif";
  if (starts("BM")) return "bmp";
  if (starts("RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") return "webp";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) return "tiff";
  return "";
}

RgbImage decode_image(std::string_view bytes, const DecodeOptions& options) {
  if (bytes.empty()) throw bad_media("empty", "the file is empty");
  const std::string_view format = sniff_format(bytes);
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw bad_media("too_large", "the file is larger than 2 GiB");
  if (format.empty()) {
    // Formats without a magic number sniff_format knows (PNM, HDR…) still get OpenCV's chance.
    try {
      return decode_with_opencv(bytes, options);
    } catch (const Error&) {
      throw bad_media("unknown_format", "not an image format Tyto decodes");
    }
  }
  // OpenCV 4.6 (Debian 12) has no GIF reader.
  if (format == "gif") throw bad_media("unknown_format", "GIF images are not decoded");
  if (format == "jpeg") {
    if (auto image = decode_jpeg(bytes, options)) return std::move(*image);
  } else {
    check_declared_size(bytes, format, options);
  }
  return decode_with_opencv(bytes, options);
}

}  // namespace tyto::fingerprint
