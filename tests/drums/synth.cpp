#include "synth.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace tyto::drums::test {
namespace {

constexpr double kPi = std::numbers::pi;

class Renderer {
 public:
  Renderer(std::size_t length, std::uint32_t seed) : out_(length, 0.0f), rng_(seed) {}

  void hit(const Hit& h) {
    switch (h.lane) {
      case Lane::kKick:
        kick(h.t, h.velocity);
        break;
      case Lane::kSnare:
        snare(h.t, h.velocity);
        break;
      case Lane::kHihat:
        hihat(h.t, h.velocity);
        break;
      case Lane::kTom:
        break;  // toms are rendered with their pitch by tom()
      case Lane::kCrash:
        crash(h.t, h.velocity);
        break;
      case Lane::kRide:
        break;
    }
  }
  void tom(double t, float v, double hz) {
    double phase = 0;
    each(t, 0.5, [&](double s) {
      const double f = hz * (1 + 0.3 * std::exp(-s / 0.02));
      phase += 2 * kPi * f / kRate;
      return 0.7 * v * std::sin(phase) * std::exp(-s / 0.18) + 0.1 * v * noise() * std::exp(-s / 0.005);
    });
  }
  std::vector<float>& out() { return out_; }

 private:
  void kick(double t, float v) {
    double phase = 0;
    each(t, 0.5, [&](double s) {
      const double f = 50 + 100 * std::exp(-s / 0.03);
      phase += 2 * kPi * f / kRate;
      return 0.9 * v * std::sin(phase) * std::exp(-s / 0.15) + 0.15 * v * noise() * std::exp(-s / 0.002);
    });
  }
  void snare(double t, float v) {
    double phase = 0, lp = 0;
    each(t, 0.4, [&](double s) {
      phase += 2 * kPi * 190 / kRate;
      lp += 0.55 * (noise() - lp);  // a one-pole low-pass near 3 kHz: the wires' noise
      return 0.5 * v * lp * std::exp(-s / 0.07) + 0.35 * v * std::sin(phase) * std::exp(-s / 0.05);
    });
  }
  void hihat(double t, float v) {
    double prev = 0, hp1 = 0, prev1 = 0, hp2 = 0;
    each(t, 0.15, [&](double s) {
      const double n = noise();
      hp1 = 0.3 * (hp1 + n - prev);  // two one-pole high-passes, corner near 7 kHz
      prev = n;
      hp2 = 0.3 * (hp2 + hp1 - prev1);
      prev1 = hp1;
      return 0.9 * v * hp2 * std::exp(-s / 0.025);
    });
  }
  void crash(double t, float v) {
    double prev = 0, hp = 0;
    each(t, 2.5, [&](double s) {
      const double n = noise();
      hp = 0.6 * (hp + n - prev);  // one high-pass near 4 kHz
      prev = n;
      return 0.45 * v * hp * std::exp(-s / 0.8);
    });
  }
  template <class F>
  void each(double t, double length_s, F sample) {
    const auto start = static_cast<std::size_t>(std::lround(t * kRate));
    const auto n = static_cast<std::size_t>(length_s * kRate);
    for (std::size_t i = 0; i < n && start + i < out_.size(); ++i)
      out_[start + i] += static_cast<float>(sample(static_cast<double>(i) / kRate));
  }
  double noise() { return uniform_(rng_); }

  std::vector<float> out_;
  std::mt19937 rng_;
  std::uniform_real_distribution<double> uniform_{-1.0, 1.0};
};

// Chords of three voices (three harmonics each) with soft attacks, one per bar: I vi IV V in C.
std::vector<float> pad(const SongSpec& spec, const std::vector<double>& downbeats, std::size_t length) {
  static const double kChords[4][3] = {
      {261.63, 329.63, 392.00}, {220.00, 261.63, 329.63}, {174.61, 220.00, 261.63}, {196.00, 246.94, 293.66}};
  std::vector<float> out(length, 0.0f);
  for (std::size_t bar = 0; bar < downbeats.size(); ++bar) {
    const double start = downbeats[bar];
    const double end = bar + 1 < downbeats.size() ? downbeats[bar + 1] : start + 60.0 / spec.bpm * spec.beats_per_bar;
    const auto a = static_cast<std::size_t>(start * kRate), b = std::min(length, static_cast<std::size_t>(end * kRate));
    for (std::size_t i = a; i < b; ++i) {
      const double s = static_cast<double>(i - a) / kRate, left = static_cast<double>(b - i) / kRate;
      const double env = std::min({1.0, s / 0.05, left / 0.05});
      double v = 0;
      for (double f : kChords[bar % 4])
        for (int h = 1; h <= 3; ++h) v += std::sin(2 * kPi * f * h * static_cast<double>(i) / kRate) / (h * 3.0);
      out[i] = static_cast<float>(spec.pad_gain * env * v / 1.8);
    }
  }
  return out;
}

}  // namespace

Song make_song(const SongSpec& spec) {
  Song song;
  song.spec = spec;
  std::mt19937 rng(spec.seed * 7919u + 13u);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const double beat = 60.0 / spec.bpm;
  const int beats = spec.bars * spec.beats_per_bar;
  for (int i = 0; i <= beats; ++i) song.beats.push_back(spec.lead_in_s + i * beat);
  song.beats.pop_back();
  for (int bar = 0; bar < spec.bars; ++bar)
    song.downbeats.push_back(song.beats[static_cast<std::size_t>(bar * spec.beats_per_bar)]);
  const double length_s = spec.lead_in_s + beats * beat + spec.tail_s;
  const auto length = static_cast<std::size_t>(length_s * kRate);
  Renderer r(length, spec.seed);
  std::vector<std::pair<Hit, double>> toms;  // hit and pitch
  auto add = [&](double t, Lane lane, float v) { song.hits.push_back({t, lane, v}); };
  for (int bar = 0; bar < spec.bars; ++bar) {
    const bool fill = spec.fills && bar % 4 == 3;
    const bool after_fill = spec.fills && bar % 4 == 0 && bar > 0;
    for (int b = 0; b < spec.beats_per_bar; ++b) {
      const double t0 = song.beats[static_cast<std::size_t>(bar * spec.beats_per_bar + b)];
      const bool last_beat = b == spec.beats_per_bar - 1;
      if (fill && last_beat) {  // four sixteenth-note toms, high to low
        const double pitches[4] = {220, 165, 125, 95};
        for (int k = 0; k < 4; ++k) {
          const Hit h{t0 + k * beat / 4, Lane::kTom, 0.7f + 0.3f * u(rng)};
          song.hits.push_back(h);
          toms.push_back({h, pitches[k]});
        }
        continue;
      }
      // Kick on 1 (and 3 in 4/4, sometimes the "and" of 3), snare on the backbeat.
      if (b == 0 || (spec.beats_per_bar == 4 && b == 2)) add(t0, Lane::kKick, 0.75f + 0.25f * u(rng));
      if (spec.beats_per_bar == 4 && b == 2 && u(rng) < 0.4f)
        add(t0 + (spec.swing ? 2 * beat / 3 : beat / 2), Lane::kKick, 0.6f + 0.3f * u(rng));
      if ((spec.beats_per_bar == 4 && (b == 1 || b == 3)) || (spec.beats_per_bar == 3 && b > 0))
        add(t0, Lane::kSnare, (spec.beats_per_bar == 3 ? 0.5f : 0.75f) + 0.25f * u(rng));
      if (b == 0 && after_fill) {
        add(t0, Lane::kCrash, 0.8f + 0.2f * u(rng));
        continue;  // the crash takes the hi-hat's place
      }
      // Hi-hats: eighths (swung: the off-beat at 2/3) or sixteenths; accents on the beat.
      std::vector<double> at = {0.0};
      if (spec.swing)
        at.push_back(2.0 / 3);
      else if (spec.sixteenths)
        at = {0.0, 0.25, 0.5, 0.75};
      else
        at.push_back(0.5);
      for (double f : at) add(t0 + f * beat, Lane::kHihat, (f == 0 ? 0.7f : 0.35f) + 0.3f * u(rng));
    }
  }
  std::sort(song.hits.begin(), song.hits.end(), [](const Hit& a, const Hit& b) { return a.t < b.t; });
  for (const auto& h : song.hits)
    if (h.lane != Lane::kTom) r.hit(h);
  for (const auto& [h, hz] : toms) r.tom(h.t, h.velocity, hz);
  song.drums = std::move(r.out());
  song.pad = pad(spec, song.downbeats, length);
  song.mix.resize(length);
  for (std::size_t i = 0; i < length; ++i) song.mix[i] = song.drums[i] + song.pad[i];
  return song;
}

std::vector<SongSpec> song_set() {
  std::vector<SongSpec> set;
  std::uint32_t seed = 1;
  for (double bpm = 70; bpm <= 180; bpm += 10) {
    SongSpec s;
    s.bpm = bpm;
    s.sixteenths = bpm < 100;
    s.seed = seed++;
    set.push_back(s);
  }
  for (double bpm : {90.0, 120.0, 150.0}) {  // swung
    SongSpec s;
    s.bpm = bpm;
    s.swing = true;
    s.seed = seed++;
    set.push_back(s);
  }
  for (double bpm : {84.0, 132.0, 168.0}) {  // waltzes
    SongSpec s;
    s.bpm = bpm;
    s.beats_per_bar = 3;
    s.seed = seed++;
    set.push_back(s);
  }
  return set;
}

std::string wav_bytes(const std::vector<float>& samples, int rate) {
  std::string out;
  auto put = [&](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto data = static_cast<std::uint32_t>(samples.size() * 2);
  out += "RIFF";
  put(36 + data, 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(static_cast<std::uint32_t>(rate), 4);
  put(static_cast<std::uint32_t>(rate * 2), 4);
  put(2, 2);
  put(16, 2);
  out += "data";
  put(data, 4);
  for (float s : samples) {
    const auto v = static_cast<std::int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f));
    put(static_cast<std::uint16_t>(v), 2);
  }
  return out;
}

Score match_times(std::vector<double> reference, std::vector<double> detected, double tolerance) {
  std::sort(reference.begin(), reference.end());
  std::sort(detected.begin(), detected.end());
  Score s;
  std::vector<bool> used(detected.size(), false);
  for (double r : reference) {
    // The nearest unused detection within the tolerance.
    long best = -1;
    for (auto it = std::lower_bound(detected.begin(), detected.end(), r - tolerance);
         it != detected.end() && *it <= r + tolerance; ++it) {
      const auto k = it - detected.begin();
      if (!used[static_cast<std::size_t>(k)] &&
          (best < 0 || std::abs(*it - r) < std::abs(detected[static_cast<std::size_t>(best)] - r)))
        best = k;
    }
    if (best >= 0) {
      used[static_cast<std::size_t>(best)] = true;
      ++s.hits;
    } else {
      ++s.misses;
    }
  }
  s.false_alarms = static_cast<int>(std::count(used.begin(), used.end(), false));
  return s;
}

}  // namespace tyto::drums::test
