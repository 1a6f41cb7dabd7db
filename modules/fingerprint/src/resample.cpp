// PIL's Lanczos resampling of 8-bit images (Pillow's libImaging/Resample.c, reimplemented from its
// documented behaviour): separable, horizontal pass first, each pass rounded back to 8 bits, weights
// normalised then turned into 22-bit fixed point. Matching it bit for bit is what makes aHash, dHash
// and pHash equal imagehash's.
#include "tyto/fingerprint/image_hash.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace tyto::fingerprint {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kLanczosSupport = 3.0;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

double lanczos(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

// For each output pixel: the first input pixel it reads and its fixed-point weights.
struct Kernel {
  int size = 0;                   // weights per output pixel
  std::vector<int> first, count;  // per output pixel
  std::vector<std::int32_t> weights;
};

Kernel make_kernel(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = kLanczosSupport * filter_scale;
  Kernel k;
  k.size = static_cast<int>(std::ceil(support)) * 2 + 1;
  k.first.resize(out_size);
  k.count.resize(out_size);
  k.weights.assign(static_cast<std::size_t>(out_size) * k.size, 0);
  std::vector<double> w(k.size);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    // Truncation toward zero, then clamping, as the C original does.
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = lanczos((x + xmin - center + 0.5) / filter_scale);
      total += w[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = (total != 0.0 ? w[x] / total : w[x]) * (1 << kPrecisionBits);
      k.weights[static_cast<std::size_t>(xx) * k.size + x] = static_cast<std::int32_t>(v < 0 ? v - 0.5 : v + 0.5);
    }
    k.first[xx] = xmin;
    k.count[xx] = xmax;
  }
  return k;
}

std::uint8_t clip8(std::int64_t v) {
  if (v >= (std::int64_t{1} << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<std::uint8_t>(v >> kPrecisionBits);
}

// One pass along `in`'s rows (horizontal) or columns (vertical).
GrayImage resample_pass(const GrayImage& in, int out_size, bool horizontal) {
  const int in_size = horizontal ? in.width : in.height;
  const Kernel k = make_kernel(in_size, out_size);
  GrayImage out;
  out.width = horizontal ? out_size : in.width;
  out.height = horizontal ? in.height : out_size;
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height);
  const std::size_t step = horizontal ? 1 : static_cast<std::size_t>(in.width);
  const int lines = horizontal ? in.height : in.width;
  for (int line = 0; line < lines; ++line) {
    const std::uint8_t* base = horizontal ? &in.pixels[static_cast<std::size_t>(line) * in.width] : &in.pixels[line];
    for (int xx = 0; xx < out_size; ++xx) {
      const std::int32_t* w = &k.weights[static_cast<std::size_t>(xx) * k.size];
      std::int64_t sum = std::int64_t{1} << (kPrecisionBits - 1);
      const std::uint8_t* p = base + static_cast<std::size_t>(k.first[xx]) * step;
      for (int x = 0; x < k.count[xx]; ++x) sum += static_cast<std::int64_t>(p[x * step]) * w[x];
      const std::size_t at = horizontal ? static_cast<std::size_t>(line) * out.width + xx
                                        : static_cast<std::size_t>(xx) * out.width + line;
      out.pixels[at] = clip8(sum);
    }
  }
  return out;
}

}  // namespace

GrayImage resize_lanczos(const GrayImage& image, int width, int height) {
  if (image.width <= 0 || image.height <= 0 || width <= 0 || height <= 0)
    throw std::invalid_argument("resize_lanczos: empty image or size");
  GrayImage out = image;
  if (width != out.width) out = resample_pass(out, width, true);
  if (height != out.height) out = resample_pass(out, height, false);
  return out;
}

GrayImage to_luma(const RgbImage& image) {
  GrayImage out{image.width, image.height, {}};
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  out.pixels.resize(n);
  const std::uint8_t* p = image.pixels.data();
  for (std::size_t i = 0; i < n; ++i, p += 3)
    out.pixels[i] = static_cast<std::uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
  return out;
}

}  // namespace tyto::fingerprint
