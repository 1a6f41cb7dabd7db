// Decoding: the formats OpenCV reads, EXIF orientation, size caps read from headers, typed errors.
#include "tyto/core/error.hpp"
#include "tyto/vision/image.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto;
using namespace tyto::test::vis;

namespace {

// Red on the left half, blue on the right (BGR).
cv::Mat halves(int width, int height) {
  cv::Mat bgr(height, width, CV_8UC3, cv::Scalar(255, 0, 0));
  bgr(cv::Rect(0, 0, width / 2, height)).setTo(cv::Scalar(0, 0, 255));
  return bgr;
}

// A JPEG with an EXIF APP1 segment right after SOI whose one IFD entry is Orientation = `orientation`.
std::string with_exif_orientation(const std::string& jpeg, int orientation) {
  std::string payload("Exif\0\0MM\0\x2A\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0", 25);
  payload += static_cast<char>(orientation);
  payload += std::string("\0\0\0\0\0\0", 6);
  const std::size_t length = payload.size() + 2;
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xFF);
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

vision::Rgb pixel(const vision::Image& image, int x, int y) {
  const auto* p = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

void check_media_error(const std::string& bytes, ErrorCode code, const std::string& reason,
                       const vision::DecodeLimits& limits = {}) {
  try {
    vision::decode(bytes, limits);
    FAIL("decoded what should have been refused (" << reason << ")");
  } catch (const Error& e) {
    CHECK(e.code() == code);
    CHECK(e.details().at("reason") == reason);
  }
}

}  // namespace

TEST_CASE("Decoding reads PNG, BMP, TIFF, PNM, JPEG and WebP into upright RGB", "[vision][decode]") {
  const cv::Mat bgr = halves(64, 40);
  for (const std::string ext : {"png", "bmp", "tiff", "ppm", "jpg", "webp"}) {
    INFO(ext);
    const std::string bytes = encode_bgr(bgr, ext);
    const auto info = vision::probe(bytes);
    CHECK(info.width == 64);
    CHECK(info.height == 40);
    const auto image = vision::decode(bytes);
    REQUIRE(image.width == 64);
    REQUIRE(image.height == 40);
    CHECK(image.channels == 3);
    const auto left = pixel(image, 8, 20), right = pixel(image, 56, 20);
    CHECK(left.r > 230);
    CHECK(left.b < 25);
    CHECK(right.b > 230);
    CHECK(right.r < 25);
  }
}

TEST_CASE("Decoding turns a JPEG upright by its EXIF orientation", "[vision][decode]") {
  const std::string plain = encode_bgr(halves(60, 30), "jpg");
  const std::string rotated = with_exif_orientation(plain, 6);  // 6: turn 90° clockwise to display
  CHECK(vision::probe(rotated).width == 60);                    // the header's size is the stored one

  const auto upright = vision::decode(rotated);
  REQUIRE(upright.width == 30);
  REQUIRE(upright.height == 60);
  // The stored left half (red) is at the top once turned clockwise.
  CHECK(pixel(upright, 15, 10).r > 200);
  CHECK(pixel(upright, 15, 50).b > 200);

  const auto as_stored = vision::decode(with_exif_orientation(plain, 1));
  CHECK(as_stored.width == 60);
  CHECK(pixel(as_stored, 10, 15).r > 200);
}

TEST_CASE("Decoding refuses a decompression bomb from its header, before decoding", "[vision][decode]") {
  // A PNG header declaring 100000 x 100000 pixels and no data at all.
  std::string png("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR\0\x01\x86\xA0\0\x01\x86\xA0\x08\x02\0\0\0\0\0\0\0", 33);
  CHECK(vision::probe(png).width == 100000);
  check_media_error(png, ErrorCode::kPayloadTooLarge, "too_large");

  // A real JPEG whose frame header is patched to 60000 x 60000.
  std::string jpeg = encode_bgr(halves(64, 40), "jpg");
  const auto sof = jpeg.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  jpeg.replace(sof + 5, 4, std::string("\xEA\x60\xEA\x60", 4));
  CHECK(vision::probe(jpeg).height == 60000);
  check_media_error(jpeg, ErrorCode::kPayloadTooLarge, "too_large");

  // The caps are the caller's: pixels, the longer side, and the encoded bytes.
  const std::string small = encode_bgr(halves(64, 40), "png");
  check_media_error(small, ErrorCode::kPayloadTooLarge, "too_large", {.max_pixels = 64 * 40 - 1});
  check_media_error(small, ErrorCode::kPayloadTooLarge, "too_large", {.max_side = 63});
  check_media_error(small, ErrorCode::kPayloadTooLarge, "too_large", {.max_bytes = small.size() - 1});
  CHECK(vision::decode(small, {.max_pixels = 64 * 40, .max_side = 64}).width == 64);
}

TEST_CASE("Decoding gives a typed error for bytes that are not an image", "[vision][decode]") {
  check_media_error("", ErrorCode::kUnsupportedMediaType, "empty");
  check_media_error("hello, this is plain text and no picture", ErrorCode::kUnsupportedMediaType, "unknown_format");
  check_media_error("GIF89a\x10\0\x10\0", ErrorCode::kUnsupportedMediaType, "unknown_format");
  const std::string png = encode_bgr(halves(64, 40), "png");
  check_media_error(png.substr(0, 60), ErrorCode::kUnsupportedMediaType, "corrupt");
  check_media_error(png.substr(0, 20), ErrorCode::kUnsupportedMediaType, "corrupt");  // IHDR cut short
  const std::string jpeg = encode_bgr(halves(64, 40), "jpg");
  check_media_error(jpeg.substr(0, 4), ErrorCode::kUnsupportedMediaType, "corrupt");
  // Cut inside its scan: libjpeg alone would fill the missing rows with grey.
  check_media_error(jpeg.substr(0, jpeg.size() * 2 / 3), ErrorCode::kUnsupportedMediaType, "corrupt");
  CHECK(vision::decode(jpeg + std::string(16, '\0')).width == 64);  // padding after the end of image is fine
  CHECK(vision::probe("P6\n# a comment\n640 480\n255\n").width == 640);
  CHECK(vision::probe("nothing").format.empty());
}

TEST_CASE("Encoded PNG and JPEG decode back to the same picture", "[vision][decode]") {
  const auto image = from_bgr(halves(32, 16));
  CHECK(vision::decode(vision::encode_png(image)).pixels == image.pixels);
  const auto jpeg = vision::decode(vision::encode_jpeg(image, 95));
  CHECK(jpeg.width == 32);
  CHECK(pixel(jpeg, 4, 8).r > 230);
  CHECK(vision::to_hex({255, 8, 171}) == "#ff08ab");
  CHECK(vision::parse_hex_colour("#FF08ab") == vision::Rgb{255, 8, 171});
  CHECK_THROWS_AS(vision::parse_hex_colour("red"), Error);
}
