#include "tyto/drums/hpss.hpp"

#include "detail/stft.hpp"
#include "tyto/core/error.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::drums {
namespace {

[[noreturn]] void stopped() { throw Error(ErrorCode::kTimeout, "drum separation stopped", {{"reason", "stopped"}}); }

// out[i] = the median of in[i − half, i + half] (the window clipped at the ends; the upper median of an
// even count), kept as a sorted window that gains one value and loses one per step.
void sliding_median(const float* in, int n, int half, float* out, std::vector<float>& window) {
  window.clear();
  for (int i = 0; i <= std::min(half, n - 1); ++i)
    window.insert(std::upper_bound(window.begin(), window.end(), in[i]), in[i]);
  for (int i = 0; i < n; ++i) {
    out[i] = window[window.size() / 2];
    if (const int enter = i + half + 1; enter < n)
      window.insert(std::upper_bound(window.begin(), window.end(), in[enter]), in[enter]);
    if (const int leave = i - half; leave >= 0) window.erase(std::lower_bound(window.begin(), window.end(), in[leave]));
  }
}

}  // namespace

Separated separate(std::span<const float> x, int rate, const HpssOptions& options) {
  detail::check_rate(rate, "hpss");
  Separated out;
  if (x.empty()) return out;
  const int n_fft = detail::fft_size(options.window_s, rate);
  const int hop = std::max(1, n_fft / std::max(1, options.hop_divisor));
  auto spec = detail::stft(x, n_fft, hop);
  const int frames = spec.frames, bins = spec.bins;
  const int half_t = std::max(1, static_cast<int>(std::lround(options.harmonic_kernel_s * rate / hop / 2)));
  const int half_f = std::max(1, static_cast<int>(std::lround(options.percussive_kernel_hz * n_fft / rate / 2)));

  // Magnitudes bin by bin (time runs along a row) for the median across time.
  std::vector<float> mag_t(static_cast<std::size_t>(frames) * bins);
  for (int f = 0; f < frames; ++f)
    for (int b = 0; b < bins; ++b) mag_t[static_cast<std::size_t>(b) * frames + f] = std::abs(spec.frame(f)[b]);

  // The median across time, bin by bin, transposed back to frame by frame.
  std::vector<float> harmonic(static_cast<std::size_t>(frames) * bins), row(static_cast<std::size_t>(frames)), window;
  window.reserve(static_cast<std::size_t>(2 * std::max(half_t, half_f) + 2));
  for (int b = 0; b < bins; ++b) {
    if (b % 64 == 0 && options.should_stop && options.should_stop()) stopped();
    sliding_median(mag_t.data() + static_cast<std::size_t>(b) * frames, frames, half_t, row.data(), window);
    for (int f = 0; f < frames; ++f)
      harmonic[static_cast<std::size_t>(f) * bins + b] = row[static_cast<std::size_t>(f)];
  }

  const auto power = static_cast<float>(options.power);
  const bool square = options.power == 2;
  std::vector<float> mag(static_cast<std::size_t>(bins)), percussive(static_cast<std::size_t>(bins));
  for (int f = 0; f < frames; ++f) {
    if (f % 256 == 0 && options.should_stop && options.should_stop()) stopped();
    auto* frame = spec.frame(f);
    for (int b = 0; b < bins; ++b) mag[static_cast<std::size_t>(b)] = std::abs(frame[b]);
    sliding_median(mag.data(), bins, half_f, percussive.data(), window);
    for (int b = 0; b < bins; ++b) {
      const float p = percussive[static_cast<std::size_t>(b)];
      const float h = harmonic[static_cast<std::size_t>(f) * bins + b];
      const float pp = square ? p * p : std::pow(p, power);
      const float hp = square ? h * h : std::pow(h, power);
      frame[b] *= pp + hp > 1e-20f ? pp / (pp + hp) : 0.5f;
    }
  }
  out.percussive = detail::istft(spec, x.size());
  // The harmonic signal is what the percussive one leaves: the masks sum to one, so the inverse STFT is
  // linear and the difference equals the masked inverse (without a second transform).
  out.harmonic.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out.harmonic[i] = x[i] - out.percussive[i];
  return out;
}

}  // namespace tyto::drums
