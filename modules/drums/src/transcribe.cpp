#include "tyto/drums/transcribe.hpp"

#include "detail/stft.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace tyto::drums {
namespace {

// Kick body, toms and the kick's start, snare tone and high toms (from a 93 ms window); snare noise and
// cymbals (from a 46 ms window, which follows fast hits more closely).
enum Band { kSub, kLow, kTone, kMid, kHigh, kBands };
constexpr std::array<std::array<double, 2>, kBands> kBandHz = {
    {{30, 85}, {85, 150}, {150, 300}, {1000, 4000}, {7000, 11000}}};
constexpr int kFirstShortBand = kMid;

struct Features {
  std::array<double, kBands> rise{};  // energy increase per band
  double ring = 0;                    // the high band 80–300 ms on against its onset
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  auto at = v.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), at, v.end());
  return *at;
}

// Power per band of the windowed samples x[start, start + n) (zero outside), for the bands [first, last).
void band_power(std::span<const float> x, long start, const std::vector<float>& window, int rate, int first, int last,
                std::array<double, kBands>& p, cv::Mat& in, cv::Mat& out) {
  const int n = static_cast<int>(window.size());
  in.create(1, n, CV_32F);
  auto* row = in.ptr<float>(0);
  for (int k = 0; k < n; ++k) {
    const long at = start + k;
    row[k] = at >= 0 && at < static_cast<long>(x.size())
                 ? x[static_cast<std::size_t>(at)] * window[static_cast<std::size_t>(k)]
                 : 0.0f;
  }
  cv::dft(in, out, cv::DFT_COMPLEX_OUTPUT);
  const auto* bins = out.ptr<cv::Vec2f>(0);
  const double nyquist = rate / 2.0;
  for (int b = first; b < last; ++b) {
    p[static_cast<std::size_t>(b)] = 0;
    const double hi_hz = std::min(kBandHz[static_cast<std::size_t>(b)][1], nyquist * 0.98);
    const int lo = static_cast<int>(std::ceil(kBandHz[static_cast<std::size_t>(b)][0] * n / rate));
    const int hi = static_cast<int>(std::floor(hi_hz * n / rate));
    for (int k = lo; k <= hi && k <= n / 2; ++k)
      p[static_cast<std::size_t>(b)] += bins[k][0] * bins[k][0] + bins[k][1] * bins[k][1];
  }
}

// The rise of each band's power: after the onset against before it.
std::array<double, kBands> rise_at(std::span<const float> x, std::span<const float> low_source, double t, int rate,
                                   const std::vector<float>& short_window, const std::vector<float>& long_window,
                                   cv::Mat& in, cv::Mat& out) {
  const auto at = static_cast<long>(std::lround(t * rate));
  const long lead = static_cast<long>(0.005 * rate), gap = static_cast<long>(0.010 * rate);
  std::array<double, kBands> post{}, pre{}, rise{};
  const auto ns = static_cast<long>(short_window.size()), nl = static_cast<long>(long_window.size());
  band_power(low_source, at - lead, long_window, rate, 0, kFirstShortBand, post, in, out);
  band_power(low_source, at - gap - nl, long_window, rate, 0, kFirstShortBand, pre, in, out);
  band_power(x, at - lead, short_window, rate, kFirstShortBand, kBands, post, in, out);
  band_power(x, at - gap - ns, short_window, rate, kFirstShortBand, kBands, pre, in, out);
  for (std::size_t b = 0; b < kBands; ++b) rise[b] = std::max(0.0, post[b] - pre[b]);
  return rise;
}

// High-band (> 7 kHz) energy in short frames (256 samples at 22050 Hz, hop 128), for the ring of cymbals.
struct HighEnvelope {
  double frame_rate = 0;
  std::vector<float> energy;
};

HighEnvelope high_envelope(std::span<const float> x, int rate) {
  const int n_fft = detail::fft_size(0.0116, rate);
  const auto spec = detail::stft(x, n_fft, n_fft / 2);
  HighEnvelope env{static_cast<double>(rate) / (n_fft / 2),
                   std::vector<float>(static_cast<std::size_t>(spec.frames), 0)};
  const int lo = static_cast<int>(7000.0 * n_fft / rate);
  for (int f = 0; f < spec.frames; ++f) {
    float e = 0;
    for (int b = lo; b < spec.bins; ++b) e += std::norm(spec.frame(f)[b]);
    env.energy[static_cast<std::size_t>(f)] = e;
  }
  return env;
}

double ring_of(const HighEnvelope& env, double t) {
  auto frame = [&](double s) { return static_cast<long>(std::lround(s * env.frame_rate)); };
  const long n = static_cast<long>(env.energy.size());
  double attack = 0, tail = 1e300;
  for (long f = std::max(0L, frame(t)); f <= std::min(n - 1, frame(t + 0.05)); ++f)
    attack = std::max(attack, static_cast<double>(env.energy[static_cast<std::size_t>(f)]));
  for (long f = std::max(0L, frame(t + 0.08)); f <= std::min(n - 1, frame(t + 0.3)); ++f)
    tail = std::min(tail, static_cast<double>(env.energy[static_cast<std::size_t>(f)]));
  return attack > 0 && tail < 1e300 ? tail / attack : 0;
}

// 0.5 at the threshold, towards 1 as the feature passes it.
float confidence(double value, double threshold) {
  return static_cast<float>(1.0 / (1.0 + std::pow(threshold / std::max(value, 1e-12), 1.5)));
}

}  // namespace

std::vector<Note> transcribe(std::span<const float> x, int rate, const std::vector<Onset>& onsets,
                             const TranscribeOptions& o, std::span<const float> mix) {
  if (!mix.empty() && mix.size() != x.size()) mix = {};
  detail::check_rate(rate, "transcribe");
  std::vector<Note> notes;
  if (onsets.empty() || x.empty()) return notes;
  const auto short_window = detail::hann(detail::fft_size(0.046, rate));
  const auto long_window = detail::hann(detail::fft_size(0.093, rate));
  const auto high = high_envelope(x, rate);
  cv::Mat in, out;
  std::vector<Features> features(onsets.size());
  for (std::size_t i = 0; i < onsets.size(); ++i) {
    features[i].rise = rise_at(x, mix.empty() ? x : mix, onsets[i].t, rate, short_window, long_window, in, out);
    features[i].ring = ring_of(high, onsets[i].t);
  }
  // The song's own levels: each band's 90th percentile over the onsets.
  std::array<double, kBands> ref{};
  for (int b = 0; b < kBands; ++b) {
    std::vector<double> v;
    for (const auto& f : features) v.push_back(f.rise[static_cast<std::size_t>(b)]);
    ref[static_cast<std::size_t>(b)] = std::max(percentile(v, 0.9), 1e-12);
  }
  // How much high band a snare's noise brings per unit of mid band: the lower quartile of high/mid over
  // the snare-like onsets (hi-hats on the same beat only raise it).
  std::vector<double> snare_ratio;
  for (const auto& f : features)
    if (f.rise[kMid] / ref[kMid] > 0.3) snare_ratio.push_back(f.rise[kHigh] / std::max(f.rise[kMid], 1e-12));
  const double noise_high = snare_ratio.size() >= 4 ? percentile(snare_ratio, 0.25) : 0.0;

  std::array<std::vector<double>, kLanes.size()> level;  // per lane, for velocities
  struct Hit {
    std::size_t onset;
    Lane lane;
    double value;
    float confidence;
  };
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < onsets.size(); ++i) {
    const auto& r = features[i].rise;
    const double s = r[kSub] / ref[kSub], l = (r[kLow] + r[kTone]) / (ref[kLow] + ref[kTone]), m = r[kMid] / ref[kMid];
    const double excess_high = std::max(0.0, r[kHigh] - 1.5 * noise_high * r[kMid]) / ref[kHigh];
    auto add = [&](Lane lane, double value, double threshold) {
      hits.push_back({i, lane, value, confidence(value, threshold)});
      level[static_cast<std::size_t>(lane)].push_back(value);
    };
    const bool kick = s > o.kick_threshold;
    if (kick) add(Lane::kKick, s, o.kick_threshold);
    const double h = r[kHigh] / ref[kHigh];
    const bool crash = h > o.crash_threshold && features[i].ring > o.crash_ring;
    // A crash brings noise into the snare's band too: then the snare must stand out from it.
    if (m > o.snare_threshold && (!crash || m > 0.6 * h)) add(Lane::kSnare, m, o.snare_threshold);
    if (l > o.tom_threshold && s < 0.1 * l && m < 0.5 * l) add(Lane::kTom, l, o.tom_threshold);
    if (crash)
      add(Lane::kCrash, h, o.crash_threshold);
    else if (excess_high > o.hihat_threshold)
      add(Lane::kHihat, excess_high, o.hihat_threshold);
  }
  // Velocity: the hit's level against the lane's loud hits (95th percentile), on a square-root scale
  // (energy to amplitude).
  std::array<double, kLanes.size()> loud{};
  for (std::size_t k = 0; k < kLanes.size(); ++k) loud[k] = std::max(percentile(level[k], 0.95), 1e-12);
  for (const auto& h : hits) {
    const auto v = std::sqrt(h.value / loud[static_cast<std::size_t>(h.lane)]);
    notes.push_back({onsets[h.onset].t, h.lane, static_cast<float>(std::clamp(v, 0.05, 1.0)), h.confidence});
  }
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    return a.t != b.t ? a.t < b.t : static_cast<int>(a.lane) < static_cast<int>(b.lane);
  });
  return notes;
}

}  // namespace tyto::drums
