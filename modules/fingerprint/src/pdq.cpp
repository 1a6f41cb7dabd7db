// PDQ (Facebook, 2019; "hashing.pdf" in facebook/ThreatExchange describes it), written from that
// design: float luma, Jarosz tent filter from two X/Y passes of box filters, nearest sampling to
// 64x64, the 16x16 low-frequency DCT without its DC row and column, threshold at the median.
#include "tyto/fingerprint/image_hash.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace tyto::fingerprint {
namespace {

constexpr int kGrid = 64;
constexpr int kDct = 16;
constexpr int kJaroszPasses = 2;

// A centred moving average along one line of `length` values `stride` apart; near the ends the
// window shrinks to what exists (PDQ's box1D).
void box_filter(const float* in, float* out, int length, std::size_t stride, int window) {
  const int before = (window + 2) / 2 - 1;  // values before the centre
  const int after = window - before - 1;    // values after it
  double sum = 0;
  int lo = 0, hi = 0;  // the window is [lo, hi)
  for (int i = 0; i < length; ++i) {
    const int want_lo = std::max(0, i - before), want_hi = std::min(length, i + after + 1);
    while (hi < want_hi) sum += in[static_cast<std::size_t>(hi++) * stride];
    while (lo < want_lo) sum -= in[static_cast<std::size_t>(lo++) * stride];
    out[static_cast<std::size_t>(i) * stride] = static_cast<float>(sum / (hi - lo));
  }
}

int window_for(int side) { return (side + 2 * kGrid - 1) / (2 * kGrid); }

}  // namespace

PdqResult pdq_hash(const RgbImage& image) {
  const int w = image.width, h = image.height;
  if (w <= 0 || h <= 0) throw std::invalid_argument("pdq_hash: empty image");
  std::vector<float> a(static_cast<std::size_t>(w) * h), b(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::uint8_t* p = &image.pixels[i * 3];
    a[i] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
  }
  const int along_rows = window_for(w), along_columns = window_for(h);
  for (int pass = 0; pass < kJaroszPasses; ++pass) {
    for (int y = 0; y < h; ++y)
      box_filter(&a[static_cast<std::size_t>(y) * w], &b[static_cast<std::size_t>(y) * w], w, 1, along_rows);
    for (int x = 0; x < w; ++x) box_filter(&b[x], &a[x], h, static_cast<std::size_t>(w), along_columns);
  }
  std::array<float, kGrid * kGrid> grid{};
  for (int i = 0; i < kGrid; ++i) {
    const int y = std::min(h - 1, static_cast<int>((i + 0.5) * h / kGrid));
    for (int j = 0; j < kGrid; ++j) {
      const int x = std::min(w - 1, static_cast<int>((j + 0.5) * w / kGrid));
      grid[i * kGrid + j] = a[static_cast<std::size_t>(y) * w + x];
    }
  }

  PdqResult result;
  long gradient = 0;
  for (int i = 0; i < kGrid; ++i)
    for (int j = 0; j < kGrid; ++j) {
      const float u = grid[i * kGrid + j];
      if (i + 1 < kGrid) gradient += std::abs(static_cast<int>((u - grid[(i + 1) * kGrid + j]) * 100.0f / 255.0f));
      if (j + 1 < kGrid) gradient += std::abs(static_cast<int>((u - grid[i * kGrid + j + 1]) * 100.0f / 255.0f));
    }
  result.quality = static_cast<int>(std::min<long>(100, gradient / 90));

  static const auto kMatrix = [] {
    std::array<float, kDct * kGrid> d{};
    const double scale = std::sqrt(2.0 / kGrid);
    for (int i = 0; i < kDct; ++i)
      for (int j = 0; j < kGrid; ++j)
        d[i * kGrid + j] = static_cast<float>(scale * std::cos(std::numbers::pi / 2 / kGrid * (i + 1) * (2 * j + 1)));
    return d;
  }();
  std::array<float, kDct * kGrid> t{};  // D * A
  for (int i = 0; i < kDct; ++i)
    for (int j = 0; j < kGrid; ++j) {
      float s = 0;
      for (int k = 0; k < kGrid; ++k) s += kMatrix[i * kGrid + k] * grid[k * kGrid + j];
      t[i * kGrid + j] = s;
    }
  std::array<float, kDct * kDct> dct{};  // D * A * D^T
  for (int i = 0; i < kDct; ++i)
    for (int j = 0; j < kDct; ++j) {
      float s = 0;
      for (int k = 0; k < kGrid; ++k) s += t[i * kGrid + k] * kMatrix[j * kGrid + k];
      dct[i * kDct + j] = s;
    }
  auto sorted = dct;
  std::nth_element(sorted.begin(), sorted.begin() + 127, sorted.end());
  const float median = sorted[127];  // the lower median, as PDQ's Torben selection returns
  for (int k = 0; k < kDct * kDct; ++k)
    if (dct[k] > median) result.hash.words[k / 64] |= std::uint64_t{1} << (k % 64);
  return result;
}

}  // namespace tyto::fingerprint
