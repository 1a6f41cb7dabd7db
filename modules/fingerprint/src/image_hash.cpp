#include "tyto/fingerprint/image_hash.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace tyto::fingerprint {
namespace {

// Appends bits in reading order: the first bit ends up most significant, as imagehash prints it.
class BitWriter {
 public:
  void push(bool bit) { value_ = (value_ << 1) | (bit ? 1u : 0u); }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) s[i] = kDigits[hash & 15];
  return s;
}

std::string to_hex(const Hash256& hash) {
  // PDQ prints its sixteen 16-bit words from the last to the first.
  std::string s;
  s.reserve(64);
  for (int w = 15; w >= 0; --w) {
    const auto word = static_cast<std::uint16_t>(hash.words[w / 4] >> (16 * (w % 4)));
    s += to_hex(word).substr(12);
  }
  return s;
}

std::optional<std::uint64_t> parse_hash64(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : hex) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::optional<Hash256> parse_hash256(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Hash256 h;
  for (int w = 15; w >= 0; --w) {
    const auto word = parse_hash64("000000000000" + std::string(hex.substr((15 - w) * 4, 4)));
    if (!word) return std::nullopt;
    h.words[w / 4] |= *word << (16 * (w % 4));
  }
  return h;
}

std::uint64_t average_hash(const GrayImage& image) {
  const GrayImage small = resize_lanczos(image, 8, 8);
  unsigned sum = 0;
  for (auto p : small.pixels) sum += p;
  // pixel > mean, in integers: pixel * 64 > sum.
  BitWriter bits;
  for (auto p : small.pixels) bits.push(p * 64u > sum);
  return bits.value();
}

std::uint64_t difference_hash(const GrayImage& image) {
  const GrayImage small = resize_lanczos(image, 9, 8);
  BitWriter bits;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) bits.push(small.pixels[y * 9 + x + 1] > small.pixels[y * 9 + x]);
  return bits.value();
}

std::uint64_t perceptual_hash(const GrayImage& image) {
  constexpr int kN = 32, kK = 8;
  const GrayImage small = resize_lanczos(image, kN, kN);
  // Rows 0..7 of the DCT-II matrix; scipy's factor 2 per axis changes no comparison, so it is left out.
  static const auto kCos = [] {
    std::array<double, kK * kN> c{};
    for (int k = 0; k < kK; ++k)
      for (int n = 0; n < kN; ++n) c[k * kN + n] = std::cos(std::numbers::pi * k * (2 * n + 1) / (2.0 * kN));
    return c;
  }();
  std::array<double, kK * kN> columns{};  // DCT along axis 0 (down each column), first kK rows
  for (int k = 0; k < kK; ++k)
    for (int x = 0; x < kN; ++x) {
      double s = 0;
      for (int y = 0; y < kN; ++y) s += kCos[k * kN + y] * small.pixels[y * kN + x];
      columns[k * kN + x] = s;
    }
  std::array<double, kK * kK> dct{};
  for (int r = 0; r < kK; ++r)
    for (int k = 0; k < kK; ++k) {
      double s = 0;
      for (int x = 0; x < kN; ++x) s += kCos[k * kN + x] * columns[r * kN + x];
      dct[r * kK + k] = s;
    }
  auto sorted = dct;
  std::sort(sorted.begin(), sorted.end());
  const double median = (sorted[31] + sorted[32]) / 2;  // numpy.median of 64 values
  BitWriter bits;
  for (double v : dct) bits.push(v > median);
  return bits.value();
}

double colour_distance(const ColourSignature& a, const ColourSignature& b) noexcept {
  double d = 0;
  for (int i = 0; i < kColourBins; ++i) d += std::abs(static_cast<double>(a[i]) - b[i]);
  return d / 2;
}

ColourSignature colour_signature(const RgbImage& image) {
  ColourSignature bins{};
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  if (n == 0) return bins;
  // About 16k samples at most: a signature of proportions does not need every pixel.
  const std::size_t stride = std::max<std::size_t>(1, n / 16384);
  std::size_t counted = 0;
  for (std::size_t i = 0; i < n; i += stride, ++counted) {
    const std::uint8_t* p = &image.pixels[i * 3];
    const int mx = std::max({p[0], p[1], p[2]}), mn = std::min({p[0], p[1], p[2]});
    const double v = mx / 255.0, s = mx == 0 ? 0.0 : static_cast<double>(mx - mn) / mx;
    if (s < 0.2 || v < 0.2) {
      bins[16 + std::min(3, mx * 4 / 256)] += 1;
      continue;
    }
    double h;  // degrees
    const double c = mx - mn;
    if (mx == p[0])
      h = 60.0 * std::fmod((p[1] - p[2]) / c + 6.0, 6.0);
    else if (mx == p[1])
      h = 60.0 * ((p[2] - p[0]) / c + 2.0);
    else
      h = 60.0 * ((p[0] - p[1]) / c + 4.0);
    const int hue = std::min(7, static_cast<int>(h / 45.0));
    bins[hue * 2 + (v >= 0.6 ? 1 : 0)] += 1;
  }
  for (auto& b : bins) b /= static_cast<float>(counted);
  return bins;
}

ImageHashes hash_image(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0) throw std::invalid_argument("hash_image: empty image");
  const GrayImage luma = to_luma(image);
  ImageHashes h;
  h.ahash = average_hash(luma);
  h.dhash = difference_hash(luma);
  h.phash = perceptual_hash(luma);
  const PdqResult pdq = pdq_hash(image);
  h.pdq = pdq.hash;
  h.pdq_quality = pdq.quality;
  h.colour = colour_signature(image);
  h.width = image.width;
  h.height = image.height;
  return h;
}

}  // namespace tyto::fingerprint
