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

// For each position of a line of `length`: the window [lo, hi) PDQ's box1D averages there (centred,
// shrunk at the ends) and 1 / its size.
struct Windows {
  std::vector<int> lo, hi;
  std::vector<double> inverse;
  Windows(int length, int size) : lo(length), hi(length), inverse(length) {
    const int before = (size + 2) / 2 - 1, after = size - before - 1;
    for (int i = 0; i < length; ++i) {
      lo[i] = std::max(0, i - before);
      hi[i] = std::min(length, i + after + 1);
      inverse[i] = 1.0 / (hi[i] - lo[i]);
    }
  }
};

// One box pass along every row, through each row's prefix sums.
void box_rows(const float* in, float* out, int width, int height, const Windows& win) {
  std::vector<double> prefix(width + 1, 0.0);
  for (int y = 0; y < height; ++y) {
    const float* row = in + static_cast<std::size_t>(y) * width;
    for (int x = 0; x < width; ++x) prefix[x + 1] = prefix[x] + row[x];
    float* o = out + static_cast<std::size_t>(y) * width;
    for (int x = 0; x < width; ++x) o[x] = static_cast<float>((prefix[win.hi[x]] - prefix[win.lo[x]]) * win.inverse[x]);
  }
}

// One box pass down every column at once, whole rows at a time (contiguous, so it vectorises).
void box_columns(const float* in, float* out, int width, int height, const Windows& win) {
  std::vector<double> sum(width, 0.0);
  int lo = 0, hi = 0;
  for (int i = 0; i < height; ++i) {
    for (; hi < win.hi[i]; ++hi)
      for (int x = 0; x < width; ++x) sum[x] += in[static_cast<std::size_t>(hi) * width + x];
    for (; lo < win.lo[i]; ++lo)
      for (int x = 0; x < width; ++x) sum[x] -= in[static_cast<std::size_t>(lo) * width + x];
    for (int x = 0; x < width; ++x)
      out[static_cast<std::size_t>(i) * width + x] = static_cast<float>(sum[x] * win.inverse[i]);
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
  const Windows along_rows(w, window_for(w)), along_columns(h, window_for(h));
  int rows[kGrid], columns[kGrid];  // where the 64x64 grid samples the filtered image
  for (int i = 0; i < kGrid; ++i) {
    rows[i] = std::min(h - 1, static_cast<int>((i + 0.5) * h / kGrid));
    columns[i] = std::min(w - 1, static_cast<int>((i + 0.5) * w / kGrid));
  }
  // Jarosz: rows, columns, rows, columns. The second pair is only computed where the grid samples it.
  box_rows(a.data(), b.data(), w, h, along_rows);
  box_columns(b.data(), a.data(), w, h, along_columns);
  std::vector<float> sampled(static_cast<std::size_t>(h) * kGrid);  // second row pass, grid columns only
  for (int y = 0; y < h; ++y) {
    const float* row = &a[static_cast<std::size_t>(y) * w];
    for (int j = 0; j < kGrid; ++j) {
      const int x = columns[j];
      double s = 0;
      for (int k = along_rows.lo[x]; k < along_rows.hi[x]; ++k) s += row[k];
      sampled[static_cast<std::size_t>(y) * kGrid + j] = static_cast<float>(s * along_rows.inverse[x]);
    }
  }
  std::array<float, kGrid * kGrid> grid{};
  for (int i = 0; i < kGrid; ++i) {
    const int y = rows[i];
    for (int j = 0; j < kGrid; ++j) {
      double s = 0;
      for (int k = along_columns.lo[y]; k < along_columns.hi[y]; ++k)
        s += sampled[static_cast<std::size_t>(k) * kGrid + j];
      grid[i * kGrid + j] = static_cast<float>(s * along_columns.inverse[y]);
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
