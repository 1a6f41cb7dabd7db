// Perceptual hashes of an image and a colour signature.
//
//   aHash, dHash, pHash  64 bits each, defined as the Python library imagehash (4.x) defines
//                        average_hash, dhash and phash with hash_size 8: the image in PIL's "L"
//                        mode (ITU-R 601-2 luma, PIL's integer rounding), resized with PIL's Lanczos
//                        filter (reimplemented here, fixed-point included), then
//                          aHash: 8x8, bit = pixel > mean
//                          dHash: 9 wide x 8 high, bit = pixel > its left neighbour
//                          pHash: 32x32, 2D DCT-II, top-left 8x8, bit = coefficient > median
//                        Bits are in row-major order, the first one the most significant, so
//                        to_hex() prints what str(imagehash.…(img)) prints.
//   PDQ                  256 bits and a quality 0..100, Facebook's PDQ design: luma as floats,
//                        two passes of Jarosz box filters (window ceil(side / 128)), sampled to
//                        64x64, DCT-II rows/columns 1..16, bit = coefficient > median; quality from
//                        the 64x64 image's gradients. Printed like the reference (64 hex digits).
//   colour signature     20 bins of HSV: 8 hues x 2 brightnesses for coloured pixels, 4 brightness
//                        levels for grey ones (saturation or value < 0.2); sums to 1.
//
// Pure functions, thread-safe.
#pragma once

#include "tyto/fingerprint/image.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tyto::fingerprint {

// 256 bits; bit k (k = row * 16 + column of PDQ's 16x16 DCT) is bit k % 64 of words[k / 64].
struct Hash256 {
  std::array<std::uint64_t, 4> words{};
  bool operator==(const Hash256&) const = default;
};

inline int hamming(std::uint64_t a, std::uint64_t b) noexcept { return std::popcount(a ^ b); }
inline int hamming(const Hash256& a, const Hash256& b) noexcept {
  int d = 0;
  for (std::size_t i = 0; i < 4; ++i) d += std::popcount(a.words[i] ^ b.words[i]);
  return d;
}

std::string to_hex(std::uint64_t hash);   // 16 lower-case digits
std::string to_hex(const Hash256& hash);  // 64 lower-case digits, PDQ's reference order
// nullopt unless exactly 16 (or 64) hex digits.
std::optional<std::uint64_t> parse_hash64(std::string_view hex);
std::optional<Hash256> parse_hash256(std::string_view hex);

constexpr int kColourBins = 20;
using ColourSignature = std::array<float, kColourBins>;
// Half the L1 distance between two signatures: 0 for the same colours, 1 for disjoint ones.
double colour_distance(const ColourSignature& a, const ColourSignature& b) noexcept;

struct ImageHashes {
  std::uint64_t ahash = 0;
  std::uint64_t dhash = 0;
  std::uint64_t phash = 0;
  Hash256 pdq;
  int pdq_quality = 0;
  ColourSignature colour{};
  int width = 0;  // of the image hashed (after any decode scaling)
  int height = 0;
};

// Throws std::invalid_argument for an empty image.
ImageHashes hash_image(const RgbImage& image);

// The pieces, for tests and callers that need one.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};
GrayImage to_luma(const RgbImage& image);  // PIL's convert("L")
// PIL's Image.resize(size, Image.LANCZOS) on an "L" image, bit for bit.
GrayImage resize_lanczos(const GrayImage& image, int width, int height);
std::uint64_t average_hash(const GrayImage& image);
std::uint64_t difference_hash(const GrayImage& image);
std::uint64_t perceptual_hash(const GrayImage& image);
struct PdqResult {
  Hash256 hash;
  int quality = 0;
};
PdqResult pdq_hash(const RgbImage& image);
ColourSignature colour_signature(const RgbImage& image);

}  // namespace tyto::fingerprint
