#include "tyto/drums/onsets.hpp"

#include "detail/stft.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::drums {
namespace {

float percentile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  auto at = v.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), at, v.end());
  return *at;
}

}  // namespace

OnsetEnvelope onset_envelope(std::span<const float> x, int rate, const OnsetOptions& options) {
  detail::check_rate(rate, "onsets");
  const int n_fft = detail::fft_size(options.window_s, rate);
  const int hop = std::max(1, static_cast<int>(std::lround(options.hop_s * rate)));
  OnsetEnvelope env;
  env.frame_rate = static_cast<double>(rate) / hop;
  // A frame's flux peaks as soon as an attack enters the first half of its window, before the frame's
  // centre reaches it: the peak frame is about n_fft / 6 early (measured on the synthetic hits of
  // tests/drums), so the latency is negative.
  env.latency_s = -static_cast<double>(n_fft) / 6 / rate;
  if (x.empty()) return env;
  const auto spec = detail::stft(x, n_fft, hop);
  const int low_end = static_cast<int>(150.0 * n_fft / rate), mid_end = static_cast<int>(5000.0 * n_fft / rate);
  const auto frames = static_cast<std::size_t>(spec.frames);
  env.flux.assign(frames, 0);
  env.low.assign(frames, 0);
  env.mid.assign(frames, 0);
  env.high.assign(frames, 0);
  std::vector<float> prev(static_cast<std::size_t>(spec.bins), 0), cur(prev.size());
  const auto c = static_cast<float>(options.compression);
  for (int f = 0; f < spec.frames; ++f) {
    const auto* frame = spec.frame(f);
    float log_low = 0, low = 0, mid = 0, high = 0;
    for (int b = 0; b < spec.bins; ++b) {
      const auto k = static_cast<std::size_t>(b);
      const float magnitude = std::abs(frame[b]);
      cur[k] = std::log1p(c * magnitude);
      const float rise = f > 0 ? std::max(0.0f, cur[k] - prev[k]) : 0;
      if (b < low_end) {
        log_low += rise;
        // Linear magnitude for the low band: the log would let a snare's leakage rise as much as a kick.
        if (f > 0) low += std::max(0.0f, magnitude - std::abs(spec.frame(f - 1)[b]));
      } else {
        (b < mid_end ? mid : high) += rise;
      }
    }
    const auto i = static_cast<std::size_t>(f);
    env.low[i] = low;
    // Per bin, so that the absolute floor of pick_onsets does not depend on the window size.
    const auto bins = static_cast<float>(spec.bins);
    env.mid[i] = mid / bins;
    env.high[i] = high / bins;
    env.flux[i] = (log_low + mid + high) / bins;
    std::swap(prev, cur);
  }
  return env;
}

std::vector<Onset> pick_onsets(const OnsetEnvelope& env, const OnsetOptions& options) {
  std::vector<Onset> onsets;
  const auto& e = env.flux;
  const auto n = static_cast<long>(e.size());
  if (n < 3) return onsets;
  const float top = std::max(percentile(e, 0.99), 1e-6f);
  const float margin = static_cast<float>(options.threshold_margin) * top;
  const long mean_w = std::max(1L, std::lround(options.threshold_window_s * env.frame_rate));
  const long peak_w = std::max(1L, std::lround(options.peak_window_s * env.frame_rate));
  const double min_gap = options.min_gap_s;
  // Running sums for the moving mean.
  std::vector<double> sum(static_cast<std::size_t>(n) + 1, 0.0);
  for (long i = 0; i < n; ++i)
    sum[static_cast<std::size_t>(i) + 1] = sum[static_cast<std::size_t>(i)] + e[static_cast<std::size_t>(i)];
  double last = -1e9;
  for (long i = 1; i < n - 1; ++i) {
    const float v = e[static_cast<std::size_t>(i)];
    const long lo = std::max(0L, i - mean_w), hi = std::min(n, i + mean_w + 1);
    const double mean =
        (sum[static_cast<std::size_t>(hi)] - sum[static_cast<std::size_t>(lo)]) / static_cast<double>(hi - lo);
    if (v <= mean + margin || v < options.min_flux) continue;
    bool peak = true;
    for (long j = std::max(0L, i - peak_w); j <= std::min(n - 1, i + peak_w) && peak; ++j)
      if (e[static_cast<std::size_t>(j)] > v || (j < i && e[static_cast<std::size_t>(j)] == v)) peak = false;
    if (!peak) continue;
    const double t = std::max(0.0, i / env.frame_rate - env.latency_s);
    if (t - last < min_gap) continue;
    onsets.push_back({t, std::min(1.5f, v / top)});
    last = t;
  }
  return onsets;
}

std::vector<Onset> detect_onsets(std::span<const float> x, int rate, const OnsetOptions& options) {
  return pick_onsets(onset_envelope(x, rate, options), options);
}

}  // namespace tyto::drums
