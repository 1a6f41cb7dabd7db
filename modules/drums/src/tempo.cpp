#include "tyto/drums/tempo.hpp"

#include "detail/stft.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tyto::drums {
namespace {

double mean_of(std::span<const float> v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

constexpr double kHighWeight = 0.1;

// Kicks and snares (low and mid bands) weigh more than hi-hats, each band scaled to a mean of one, the
// local mean (±0.5 s) taken off and what is left under it set to zero.
std::vector<float> accent(const OnsetEnvelope& env) {
  const std::size_t n = env.flux.size();
  std::vector<float> a(n, 0);
  const double ml = std::max(mean_of(env.low), 1e-9), mm = std::max(mean_of(env.mid), 1e-9),
               mh = std::max(mean_of(env.high), 1e-9);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = static_cast<float>(env.low[i] / ml + env.mid[i] / mm + kHighWeight * env.high[i] / mh);
  const auto w = static_cast<long>(std::lround(0.5 * env.frame_rate));
  std::vector<double> sum(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) sum[i + 1] = sum[i] + a[i];
  std::vector<float> out(n);
  for (long i = 0; i < static_cast<long>(n); ++i) {
    const long lo = std::max(0L, i - w), hi = std::min(static_cast<long>(n), i + w + 1);
    const double m =
        (sum[static_cast<std::size_t>(hi)] - sum[static_cast<std::size_t>(lo)]) / static_cast<double>(hi - lo);
    out[static_cast<std::size_t>(i)] = static_cast<float>(std::max(0.0, a[static_cast<std::size_t>(i)] - m));
  }
  return out;
}

// The largest value of v within ±r frames of i.
double around(std::span<const float> v, long i, long r = 2) {
  double best = 0;
  for (long j = std::max(0L, i - r); j <= std::min(static_cast<long>(v.size()) - 1, i + r); ++j)
    best = std::max(best, static_cast<double>(v[static_cast<std::size_t>(j)]));
  return best;
}

// The level of a full beat: a loud hit among the accent's strong local maxima (0.8 of their 90th
// percentile: hi-hats, four times as many as the beats in sixteenths, stay under it).
double beat_level(const std::vector<float>& a) {
  const float top = a.empty() ? 0.0f : *std::max_element(a.begin(), a.end());
  std::vector<float> peaks;
  for (std::size_t i = 1; i + 1 < a.size(); ++i)
    if (a[i] > 0.1f * top && a[i] >= a[i - 1] && a[i] > a[i + 1]) peaks.push_back(a[i]);
  if (peaks.empty()) return 0;
  auto at = peaks.begin() + static_cast<std::ptrdiff_t>(0.9 * static_cast<double>(peaks.size() - 1));
  std::nth_element(peaks.begin(), at, peaks.end());
  return 0.8 * *at;
}

// The beat period in frames (0 without pulse). Each candidate period lays a grid over windows of about
// 8 s (at the window's best phase, so a drifting tempo still fits) and scores every grid position: the
// accent there in units of a full beat (at most 1.5) less `kEmpty`. A grid as fine as the kicks and
// snares scores highest: a coarser one (half the tempo) leaves hits out, a finer one (double) puts
// positions where nothing sounds.
double best_period(const std::vector<float>& a, double frame_rate, const TempoOptions& o) {
  constexpr double kEmpty = 0.4;
  const double level = beat_level(a);
  if (level <= 0) return 0;
  std::vector<float> credit(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    credit[i] = static_cast<float>(std::min(1.5, around(a, static_cast<long>(i)) / level));
  const double min_p = 60.0 / o.max_bpm * frame_rate, max_p = 60.0 / o.min_bpm * frame_rate;
  const auto window = static_cast<long>(8 * frame_rate), n = static_cast<long>(a.size());
  double best = 0, best_score = -1e300;
  for (double p = min_p; p <= max_p; p *= 1.003) {
    double score = 0;
    for (long w0 = 0; w0 < std::max(1L, n - window / 2); w0 += window / 2) {
      const long w1 = std::min(n, w0 + window);
      double window_best = -1e300;
      for (double phase = 0; phase < p; phase += 1) {
        double sum = 0;
        int count = 0;
        for (double x = w0 + phase; x < w1; x += p, ++count) sum += credit[static_cast<std::size_t>(x)] - kEmpty;
        if (count) window_best = std::max(window_best, sum);
      }
      score += window_best;
    }
    const double bpm = 60.0 * frame_rate / p;
    const double z = std::log2(bpm / o.prior_bpm) / o.prior_octaves;
    score *= 1.0 + 0.1 * std::exp(-0.5 * z * z);  // the prior only breaks near-ties
    if (score > best_score) {
      best_score = score;
      best = p;
    }
  }
  return best;
}

// Ellis's dynamic programme: the frames of the beats.
std::vector<int> dp_beats(const std::vector<float>& a, double period, double tightness) {
  const auto n = static_cast<int>(a.size());
  double sd = 0, m = mean_of(a);
  for (float v : a) sd += (v - m) * (v - m);
  sd = std::sqrt(sd / std::max(1, n));
  if (sd <= 0) return {};
  std::vector<double> local(a.size()), score(a.size());
  std::vector<int> back(a.size(), -1);
  for (int i = 0; i < n; ++i) local[static_cast<std::size_t>(i)] = a[static_cast<std::size_t>(i)] / sd;
  const int lo = static_cast<int>(std::lround(period / 2)), hi = static_cast<int>(std::lround(2 * period));
  for (int t = 0; t < n; ++t) {
    double best = -1e300;
    int from = -1;
    for (int d = lo; d <= hi && t - d >= 0; ++d) {
      const double lg = std::log(d / period);
      const double s = score[static_cast<std::size_t>(t - d)] - tightness * lg * lg;
      if (s > best) {
        best = s;
        from = t - d;
      }
    }
    const bool chain = from >= 0 && best > 0;
    score[static_cast<std::size_t>(t)] = local[static_cast<std::size_t>(t)] + (chain ? best : 0);
    back[static_cast<std::size_t>(t)] = chain ? from : -1;
  }
  // The last beat: the best score within the final period.
  int end = n - 1;
  for (int t = std::max(0, n - static_cast<int>(std::ceil(period))); t < n; ++t)
    if (score[static_cast<std::size_t>(t)] > score[static_cast<std::size_t>(end)]) end = t;
  std::vector<int> beats;
  for (int t = end; t >= 0; t = back[static_cast<std::size_t>(t)]) beats.push_back(t);
  std::reverse(beats.begin(), beats.end());
  // The chain may start on the first frames by default: keep beats from the first with any onset near.
  while (!beats.empty() && local[static_cast<std::size_t>(beats.front())] <= 0.1) beats.erase(beats.begin());
  while (!beats.empty() && local[static_cast<std::size_t>(beats.back())] <= 0.1) beats.pop_back();
  return beats;
}

// How much one phase of `per_beat` mod m stands out: (its mean − the others' mean) / the overall mean.
std::pair<double, int> phase_contrast(const std::vector<double>& per_beat, int m) {
  std::vector<double> sum(static_cast<std::size_t>(m), 0);
  std::vector<int> count(static_cast<std::size_t>(m), 0);
  for (std::size_t i = 0; i < per_beat.size(); ++i) {
    sum[i % static_cast<std::size_t>(m)] += per_beat[i];
    ++count[i % static_cast<std::size_t>(m)];
  }
  double total = 0;
  int best = 0;
  std::vector<double> mean(static_cast<std::size_t>(m), 0);
  for (int p = 0; p < m; ++p) {
    mean[static_cast<std::size_t>(p)] =
        count[static_cast<std::size_t>(p)] ? sum[static_cast<std::size_t>(p)] / count[static_cast<std::size_t>(p)] : 0;
    total += mean[static_cast<std::size_t>(p)];
    if (mean[static_cast<std::size_t>(p)] > mean[static_cast<std::size_t>(best)]) best = p;
  }
  const double others = (total - mean[static_cast<std::size_t>(best)]) / (m - 1);
  const double overall = total / m;
  return {overall > 0 ? (mean[static_cast<std::size_t>(best)] - others) / overall : 0.0, best};
}

}  // namespace

std::vector<float> harmonic_change(std::span<const float> harmonic, int rate, double frame_rate) {
  detail::check_rate(rate, "harmonic_change");
  const int n_fft = detail::fft_size(0.093, rate), hop = n_fft / 4;
  const auto spec = detail::stft(harmonic, n_fft, hop);
  const int lo = static_cast<int>(100.0 * n_fft / rate),
            hi = std::min(spec.bins, static_cast<int>(2000.0 * n_fft / rate));
  const int width = hi - lo, frames = spec.frames;
  // Prefix sums over frames of each bin's log magnitude.
  std::vector<double> prefix(static_cast<std::size_t>(frames + 1) * width, 0.0);
  for (int f = 0; f < frames; ++f)
    for (int b = 0; b < width; ++b)
      prefix[static_cast<std::size_t>(f + 1) * width + b] =
          prefix[static_cast<std::size_t>(f) * width + b] + std::log1p(100 * std::abs(spec.frame(f)[lo + b]));
  const int w = std::max(1, static_cast<int>(std::lround(0.25 * rate / hop)));
  std::vector<float> coarse(static_cast<std::size_t>(frames), 0);
  for (int f = w; f + w <= frames; ++f) {
    double d = 0;
    for (int b = 0; b < width; ++b) {
      const double before =
          prefix[static_cast<std::size_t>(f) * width + b] - prefix[static_cast<std::size_t>(f - w) * width + b];
      const double after =
          prefix[static_cast<std::size_t>(f + w) * width + b] - prefix[static_cast<std::size_t>(f) * width + b];
      d += std::abs(after - before) / w;
    }
    coarse[static_cast<std::size_t>(f)] = static_cast<float>(d);
  }
  // Onto the caller's frame rate (nearest frame).
  const auto n = static_cast<std::size_t>(std::floor(static_cast<double>(harmonic.size()) / rate * frame_rate)) + 1;
  std::vector<float> out(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(std::lround(static_cast<double>(i) / frame_rate * rate / hop));
    if (c < coarse.size()) out[i] = coarse[c];
  }
  return out;
}

double estimate_tempo(const OnsetEnvelope& env, const TempoOptions& options) {
  if (env.flux.size() < 8 || env.frame_rate <= 0) return 0;
  const double p = best_period(accent(env), env.frame_rate, options);
  return p > 0 ? 60.0 * env.frame_rate / p : 0;
}

Beats track_beats(const OnsetEnvelope& env, const TempoOptions& options, std::span<const float> harmonic_change) {
  Beats out;
  if (env.flux.size() < 8 || env.frame_rate <= 0) return out;
  const auto a = accent(env);
  const double period = best_period(a, env.frame_rate, options);
  if (period <= 0) return out;
  const auto frames = dp_beats(a, period, options.tightness);
  out.bpm = 60.0 * env.frame_rate / period;
  for (int f : frames) out.beats.push_back(std::max(0.0, f / env.frame_rate - env.latency_s));
  if (frames.size() >= 4) {
    // The tempo from a straight line through the beats (finer than the autocorrelation's frame grid).
    const double n = static_cast<double>(frames.size());
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const double x = static_cast<double>(i), y = out.beats[i];
      sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    if (slope > 0) {
      const double bpm = 60.0 / slope;
      if (std::abs(bpm / out.bpm - 1) < 0.1) out.bpm = bpm;
    }
  }
  // Confidence: the accent on the beats against its mean over the song.
  const double m = mean_of(a);
  double on = 0;
  for (int f : frames) on += around(a, f);
  const double ratio = frames.empty() || m <= 0 ? 0 : on / static_cast<double>(frames.size()) / m;
  out.confidence = std::clamp((ratio - 1) / 6, 0.0, 1.0);

  // Metre and downbeat from the kick band at each beat and the harmonic change there.
  std::vector<double> kick, change;
  const double mh = harmonic_change.empty() ? 0 : mean_of(harmonic_change);
  for (int f : frames) {
    kick.push_back(around(env.low, f));
    change.push_back(mh > 0 ? around(harmonic_change, f) / mh : 0);
  }
  // Each beat's bar-start evidence: its kick energy and harmonic change, each against its mean.
  const double mk =
      std::max(1e-9, std::accumulate(kick.begin(), kick.end(), 0.0) / std::max<std::size_t>(1, kick.size()));
  std::vector<double> evidence(kick.size());
  for (std::size_t i = 0; i < kick.size(); ++i) evidence[i] = kick[i] / mk + change[i];
  out.beats_per_bar = 4;
  int phase = 0;
  if (evidence.size() >= 12) {
    const auto [c3, p3] = phase_contrast(evidence, 3);
    const auto [c4, p4] = phase_contrast(evidence, 4);
    out.beats_per_bar = c3 > options.triple_margin * c4 && c3 > 0.3 ? 3 : 4;
    phase = out.beats_per_bar == 3 ? p3 : p4;
  }
  for (auto i = static_cast<std::size_t>(phase); i < out.beats.size(); i += static_cast<std::size_t>(out.beats_per_bar))
    out.downbeats.push_back(out.beats[i]);
  return out;
}

}  // namespace tyto::drums
