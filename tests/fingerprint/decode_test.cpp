// Media that lies, ends early or is absurdly large gives a clean tyto::Error, never a crash.
#include "fingerprint/fingerprint_support.hpp"
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/image.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto::fingerprint;
using namespace tyto::test;

namespace {

// The error decode_image throws, as "code/reason".
std::string failure(std::string_view bytes, DecodeOptions options = {}) {
  try {
    decode_image(bytes, options);
  } catch (const tyto::Error& e) {
    return std::string(tyto::error_code_name(e.code())) + "/" + e.details().value("reason", "");
  }
  return "decoded";
}

cv::Mat picture() {
  cv::Mat bgr(240, 320, CV_8UC3, cv::Scalar(30, 90, 200));
  cv::circle(bgr, {160, 120}, 80, cv::Scalar(250, 250, 250), -1);
  return bgr;
}

}  // namespace

TEST_CASE("JPEGs decode through TurboJPEG at a reduced scale that keeps what the hashes need", "[fingerprint]") {
  const std::string jpeg = fp::read_bytes("/usr/share/doc/opencv-doc/examples/data/aloeL.jpg");  // 1282x1110
  const auto full = decode_image(jpeg, {.min_side = 0});
  CHECK(full.width == 1282);
  CHECK(full.height == 1110);
  const auto scaled = decode_image(jpeg, {.min_side = 256});
  CHECK(std::min(scaled.width, scaled.height) >= 256);
  CHECK(scaled.width < 1282 / 2);  // 1/4 (321x278) is the smallest scale with a shorter side >= 256
  CHECK(scaled.pixels.size() == static_cast<std::size_t>(scaled.width) * scaled.height * 3);
  // Other formats through OpenCV, as RGB (not BGR).
  const auto png = decode_image(fp::encode(picture(), "png"));
  CHECK(png.width == 320);
  CHECK(png.pixels[0] == 200);  // red of the background
  CHECK(png.pixels[2] == 30);
}

TEST_CASE("Bad image input fails with a stable error code", "[fingerprint]") {
  const std::string jpeg = fp::encode(picture(), "jpg");
  const std::string png = fp::encode(picture(), "png");

  CHECK(failure("") == "unsupported_media_type/empty");
  CHECK(failure("this is plain text, not an image") == "unsupported_media_type/unknown_format");
  CHECK(failure(jpeg.substr(0, jpeg.size() / 2)) == "unsupported_media_type/corrupt");  // truncated
  CHECK(failure(jpeg.substr(0, 20)) == "unsupported_media_type/corrupt");               // header only
  CHECK(failure(png.substr(0, png.size() / 2)) == "unsupported_media_type/corrupt");
  std::string garbage = jpeg.substr(0, 4) + std::string(5000, '\x55');
  CHECK(failure(garbage) == "unsupported_media_type/corrupt");
  CHECK(failure(std::string("GIF89a\x0a\x00\x0a\x00\x80\x00\x00", 13) + std::string(30, '\0')) ==
        "unsupported_media_type/unknown_format");
  // A PNG in a file named .jpg: formats are told by content, not by name.
  CHECK(failure(png) == "decoded");

  // Absurd declared sizes are refused before decoding: a PNG's IHDR and a JPEG's SOF rewritten.
  std::string huge_png = png;
  const char big[4] = {0x00, 0x01, static_cast<char>(0x86), static_cast<char>(0xA0)};  // 100,000
  huge_png.replace(16, 4, big, 4);
  huge_png.replace(20, 4, big, 4);
  CHECK(failure(huge_png) == "payload_too_large/too_large");
  std::string huge_jpeg = jpeg;
  const auto sof = huge_jpeg.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  huge_jpeg[sof + 5] = huge_jpeg[sof + 7] = '\xEA';  // 60,000 x 60,000
  huge_jpeg[sof + 6] = huge_jpeg[sof + 8] = '\x60';
  CHECK(failure(huge_jpeg) == "payload_too_large/too_large");
  CHECK(failure(jpeg, {.max_pixels = 1000}) == "payload_too_large/too_large");
  CHECK(failure(png, {.max_pixels = 1000}) == "payload_too_large/too_large");
}
