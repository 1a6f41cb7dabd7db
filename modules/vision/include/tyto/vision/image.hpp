// Images for the vision module: a plain pixel buffer, boxes, and decoding from encoded bytes.
//
// Decoding reads any format OpenCV 4.6 (Debian 12) decodes whose header Tyto can read first: JPEG, PNG,
// WebP, BMP, TIFF, PNM/PAM/PFM, Sun raster and Radiance HDR. The header's width and height are checked
// against the caps before a single pixel is decoded, so a small file declaring a huge image (a
// decompression bomb) costs nothing. A JPEG's EXIF orientation is applied, so the pixels are upright.
//
// Errors (tyto::Error): bytes that are empty, of an unknown format (GIF, JPEG 2000, OpenEXR included),
// corrupt or truncated throw unsupported_media_type; an image over the caps throws payload_too_large.
// details.reason is "empty", "unknown_format", "corrupt" or "too_large". Nothing else escapes.
// Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::vision {

// 8-bit pixels, interleaved, rows top to bottom without padding. channels: 1 (grey), 3 (RGB) or 4 (RGBA).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<std::uint8_t> pixels;  // width * height * channels

  bool empty() const noexcept { return width <= 0 || height <= 0; }
};

// A rectangle in pixels; x, y is the top-left corner.
struct Box {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  bool operator==(const Box&) const = default;
};

// The part of `box` inside a width x height image (an empty box when they do not overlap).
Box clip(const Box& box, int width, int height) noexcept;
// Intersection over union of two boxes, 0..1.
double iou(const Box& a, const Box& b) noexcept;

struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;

  bool operator==(const Rgb&) const = default;
};

// "#rrggbb", and back (nullopt-free: throws tyto::Error validation_failed for anything else).
std::string to_hex(Rgb colour);
Rgb parse_hex_colour(std::string_view text);

struct DecodeLimits {
  std::uint64_t max_bytes = 64u << 20;    // the encoded size
  std::uint64_t max_pixels = 50'000'000;  // width * height, as the header declares
  int max_side = 30'000;                  // the longer side, as the header declares
};

// What a header declares, read without decoding. format: "jpeg", "png", "webp", "bmp", "tiff", "pnm",
// "sunras", "hdr", or "" when the format is not one Tyto reads (then width = height = 0).
struct ImageInfo {
  std::string format;
  int width = 0;
  int height = 0;
};
ImageInfo probe(std::string_view bytes);

// Decodes to RGB (3 channels), EXIF orientation applied. Throws as the file comment says.
Image decode(std::string_view bytes, const DecodeLimits& limits = {});

// Encodes an image (1, 3 or 4 channels) as PNG or as JPEG of the given quality (1..100).
std::string encode_png(const Image& image);
std::string encode_jpeg(const Image& image, int quality = 90);

}  // namespace tyto::vision
