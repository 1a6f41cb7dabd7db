#include "detail/stft.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tyto::drums::detail {
namespace {
constexpr int kBlock = 256;  // frames per cv::dft call: large enough to amortise, small enough for cache
}

std::vector<float> hann(int n) {
  std::vector<float> w(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = 0.5f - 0.5f * std::cos(2 * std::numbers::pi * i / n);
  return w;
}

int fft_size(double seconds, int rate) {
  const double want = std::max(64.0, seconds * rate);
  return 1 << static_cast<int>(std::lround(std::log2(want)));
}

void check_rate(int rate, const char* who) {
  if (rate < 8000 || rate > 96000)
    throw Error(ErrorCode::kBadRequest, fmt::format("{}: a rate of {} Hz is outside [8000, 96000]", who, rate),
                {{"reason", "bad_rate"}, {"rate", rate}});
}

Stft stft(std::span<const float> x, int n_fft, int hop) {
  Stft s;
  s.n_fft = n_fft;
  s.hop = hop;
  s.bins = n_fft / 2 + 1;
  s.frames = static_cast<int>(x.size() / static_cast<std::size_t>(hop)) + 1;
  s.data.resize(static_cast<std::size_t>(s.frames) * s.bins);
  const auto w = hann(n_fft);
  const auto n = static_cast<long>(x.size());
  cv::Mat in, out;
  for (int first = 0; first < s.frames; first += kBlock) {
    const int rows = std::min(kBlock, s.frames - first);
    in.create(rows, n_fft, CV_32F);
    for (int r = 0; r < rows; ++r) {
      auto* row = in.ptr<float>(r);
      const long start = static_cast<long>(first + r) * hop - n_fft / 2;
      for (int k = 0; k < n_fft; ++k) {
        const long at = start + k;
        row[k] = at >= 0 && at < n ? x[static_cast<std::size_t>(at)] * w[static_cast<std::size_t>(k)] : 0.0f;
      }
    }
    cv::dft(in, out, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT, rows);
    for (int r = 0; r < rows; ++r) {
      const auto* row = out.ptr<cv::Vec2f>(r);
      auto* dst = s.frame(first + r);
      for (int b = 0; b < s.bins; ++b) dst[b] = {row[b][0], row[b][1]};
    }
  }
  return s;
}

std::vector<float> istft(const Stft& s, std::size_t length) {
  const int n_fft = s.n_fft;
  const auto w = hann(n_fft);
  const std::size_t padded = length + static_cast<std::size_t>(n_fft) * 2;
  std::vector<float> y(padded, 0.0f), norm(padded, 0.0f);
  cv::Mat in, out;
  for (int first = 0; first < s.frames; first += kBlock) {
    const int rows = std::min(kBlock, s.frames - first);
    in.create(rows, n_fft, CV_32FC2);
    for (int r = 0; r < rows; ++r) {
      auto* row = in.ptr<cv::Vec2f>(r);
      const auto* src = s.frame(first + r);
      for (int b = 0; b < s.bins; ++b) row[b] = {src[b].real(), src[b].imag()};
      for (int b = s.bins; b < n_fft; ++b) row[b] = {src[n_fft - b].real(), -src[n_fft - b].imag()};
    }
    cv::dft(in, out, cv::DFT_ROWS | cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT, rows);
    for (int r = 0; r < rows; ++r) {
      const auto* row = out.ptr<float>(r);
      // Sample 0 of frame i sits at i · hop − n_fft / 2, stored n_fft further on.
      const std::size_t at = static_cast<std::size_t>(first + r) * s.hop + static_cast<std::size_t>(n_fft / 2);
      if (at >= padded) break;
      const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(n_fft), padded - at);
      for (std::size_t k = 0; k < count; ++k) {
        y[at + k] += row[k] * w[k];
        norm[at + k] += w[k] * w[k];
      }
    }
  }
  std::vector<float> result(length);
  for (std::size_t i = 0; i < length; ++i) {
    const std::size_t at = i + static_cast<std::size_t>(n_fft);
    result[i] = norm[at] > 1e-6f ? y[at] / norm[at] : 0.0f;
  }
  return result;
}

}  // namespace tyto::drums::detail
