// A drum-loop synthesiser for the drums tests: kick (a sine swept from 150 to 50 Hz), snare (noise and a
// 190 Hz tone), closed hi-hat (high-passed noise), three toms, crash (long high-passed noise), over a quiet
// pad of chords that changes every bar, with the ground truth of every hit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tyto/drums/note.hpp"

namespace tyto::drums::test {

inline constexpr int kRate = 22050;

struct SongSpec {
  double bpm = 120;
  int bars = 16;
  int beats_per_bar = 4;
  bool swing = false;
  bool sixteenths = false;  // hi-hats on sixteenths (else eighths)
  bool fills = true;        // a tom fill at the end of every fourth bar, a crash after it
  double lead_in_s = 0.5;   // silence before the first downbeat
  double pad_gain = 0.12;   // the chords' amplitude (drums peak near 0.8)
  double tail_s = 1.0;
  std::uint32_t seed = 1;
};

struct Hit {
  double t = 0;
  Lane lane = Lane::kKick;
  float velocity = 1;
};

struct Song {
  SongSpec spec;
  std::vector<float> mix, drums, pad;  // mix = drums + pad
  std::vector<Hit> hits;               // sorted by time
  std::vector<double> beats, downbeats;
  double duration_s() const { return static_cast<double>(mix.size()) / kRate; }
};

Song make_song(const SongSpec& spec);

// The test set: loops from 70 to 180 BPM, straight and swung, eighths and sixteenths, 4/4 and 3/4.
std::vector<SongSpec> song_set();

// Little-endian 16-bit mono WAV bytes.
std::string wav_bytes(const std::vector<float>& samples, int rate = kRate);

// F-measure of detected times against reference times, each matched at most once within ±tolerance.
struct Score {
  int hits = 0, misses = 0, false_alarms = 0;
  double precision() const { return hits + false_alarms ? static_cast<double>(hits) / (hits + false_alarms) : 0; }
  double recall() const { return hits + misses ? static_cast<double>(hits) / (hits + misses) : 0; }
  double f() const { return hits ? 2 * precision() * recall() / (precision() + recall()) : 0; }
  Score& operator+=(const Score& o) {
    hits += o.hits, misses += o.misses, false_alarms += o.false_alarms;
    return *this;
  }
};
Score match_times(std::vector<double> reference, std::vector<double> detected, double tolerance = 0.05);

}  // namespace tyto::drums::test
