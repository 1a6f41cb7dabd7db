// Decoding images for fingerprinting: any format OpenCV 4.6 reads (PNG, WebP, BMP, TIFF, PNM…; not GIF), JPEG through
// libjpeg-turbo with its DCT-domain scaling (a JPEG decodes at 1/2, 1/4 or 1/8 size when that still leaves at least
// `min_side` pixels on its shorter side, which is all the hashes need).
//
// Errors: bytes that are empty, of no known format, corrupt or truncated throw tyto::Error with
// code unsupported_media_type; an image whose declared size passes `max_pixels` throws
// payload_too_large before any pixel is decoded. details.reason is one of "empty", "unknown_format",
// "corrupt", "too_large". Nothing else escapes (the decoders' own exceptions are translated).
// Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tyto::fingerprint {

// 8-bit RGB, interleaved, rows top to bottom without padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width * height * 3
};

struct DecodeOptions {
  // A JPEG is decoded at the smallest libjpeg-turbo scale whose shorter side is still >= min_side.
  // 0 decodes at full size (what PIL does, hence what imagehash sees).
  int min_side = 256;
  // The largest width * height accepted, checked against the size the file declares.
  std::uint64_t max_pixels = 100'000'000;
};

RgbImage decode_image(std::string_view bytes, const DecodeOptions& options = {});

// "jpeg", "png", "gif", "bmp", "webp", "tiff" or "" from the first bytes (magic numbers only).
std::string_view sniff_format(std::string_view bytes) noexcept;

}  // namespace tyto::fingerprint
