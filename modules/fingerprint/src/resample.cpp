// PIL's Lanczos resampling of 8-bit images (Pillow's libImaging/Resample.c, reimplemented from its
// documented behaviour): separable, horizontal pass first, each pass rounded back to 8 bits, weights
// normalised then turned into 22-bit fixed point. Matching it bit for bit is what makes aHash, dHash
// and pHash equal imagehash's.
#include "tyto/fingerprint/image_hash.hpp"

#include <algorithm>
#include <cmath>
#include <map>
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

std::uint8_t clip8(std::int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<std::uint8_t>(v >> kPrecisionBits);
}

// Kernels depend only on the two sizes, and photos come in few sizes: each thread keeps the last ones
// (computing one costs two sines per weight).
const Kernel& cached_kernel(int in_size, int out_size) {
  thread_local std::map<std::pair<int, int>, Kernel> cache;
  const auto key = std::pair(in_size, out_size);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  if (cache.size() >= 64) cache.clear();
  return cache.emplace(key, make_kernel(in_size, out_size)).first->second;
}

// Sums fit in 32 bits as in Pillow: 255 * 2^22 * (sum of |weights| < 1.3).
GrayImage horizontal_pass(const GrayImage& in, int out_width) {
  const Kernel& k = cached_kernel(in.width, out_width);
  GrayImage out{out_width, in.height, std::vector<std::uint8_t>(static_cast<std::size_t>(out_width) * in.height)};
  for (int y = 0; y < in.height; ++y) {
    const std::uint8_t* row = &in.pixels[static_cast<std::size_t>(y) * in.width];
    for (int xx = 0; xx < out_width; ++xx) {
      const std::int32_t* w = &k.weights[static_cast<std::size_t>(xx) * k.size];
      const std::uint8_t* p = row + k.first[xx];
      std::int32_t sum = 1 << (kPrecisionBits - 1);
      for (int x = 0; x < k.count[xx]; ++x) sum += p[x] * w[x];
      out.pixels[static_cast<std::size_t>(y) * out_width + xx] = clip8(sum);
    }
  }
  return out;
}

// Row by row, so the inner loop runs along contiguous memory.
GrayImage vertical_pass(const GrayImage& in, int out_height) {
  const Kernel& k = cached_kernel(in.height, out_height);
  GrayImage out{in.width, out_height, std::vector<std::uint8_t>(static_cast<std::size_t>(in.width) * out_height)};
  std::vector<std::int32_t> sum(in.width);
  for (int yy = 0; yy < out_height; ++yy) {
    std::fill(sum.begin(), sum.end(), 1 << (kPrecisionBits - 1));
    const std::int32_t* w = &k.weights[static_cast<std::size_t>(yy) * k.size];
    for (int y = 0; y < k.count[yy]; ++y) {
      const std::uint8_t* row = &in.pixels[static_cast<std::size_t>(k.first[yy] + y) * in.width];
      const std::int32_t weight = w[y];
      for (int x = 0; x < in.width; ++x) sum[x] += row[x] * weight;
    }
    for (int x = 0; x < in.width; ++x) out.pixels[static_cast<std::size_t>(yy) * in.width + x] = clip8(sum[x]);
  }
  return out;
}

}  // namespace

GrayImage resize_lanczos(const GrayImage& image, int width, int height) {
  if (image.width <= 0 || image.height <= 0 || width <= 0 || height <= 0)
    throw std::invalid_argument("resize_lanczos: empty image or size");
  GrayImage out = image;
  if (width != out.width) out = horizontal_pass(out, width);
  if (height != out.height) out = vertical_pass(out, height);
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
