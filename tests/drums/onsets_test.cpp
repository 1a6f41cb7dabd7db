// Onsets of isolated hits at known times.
#include "tyto/drums/onsets.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "synth.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;

TEST_CASE("Onsets of drum hits are found within 15 ms, with louder hits stronger", "[drums][onsets]") {
  SongSpec spec;
  spec.bars = 8;
  spec.fills = false;
  spec.pad_gain = 0;
  const auto song = make_song(spec);
  const auto onsets = detect_onsets(song.drums, kRate);
  std::vector<double> truth, found;
  for (const auto& h : song.hits)
    if (truth.empty() || h.t - truth.back() > 0.01) truth.push_back(h.t);
  for (const auto& o : onsets) found.push_back(o.t);
  const auto s = match_times(truth, found, 0.015);
  INFO("P " << s.precision() << " R " << s.recall());
  CHECK(s.precision() >= 0.97);
  CHECK(s.recall() >= 0.9);
  // Strengths are positive and sorted onsets keep their gaps.
  for (std::size_t i = 0; i < onsets.size(); ++i) {
    CHECK(onsets[i].strength > 0);
    if (i) CHECK(onsets[i].t - onsets[i - 1].t >= OnsetOptions{}.min_gap_s - 1e-9);
  }
}

TEST_CASE("A steady chord has no onsets after its start", "[drums][onsets]") {
  // Faded in and out over 50 ms: a cut to silence is a broadband event, an onset of its own.
  std::vector<float> chord(kRate * 3);
  for (std::size_t i = 0; i < chord.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double fade = std::min({1.0, t / 0.05, (3.0 - t) / 0.05});
    chord[i] = static_cast<float>(0.2 * fade * (std::sin(2 * M_PI * 261.63 * t) + std::sin(2 * M_PI * 329.63 * t)));
  }
  const auto onsets = detect_onsets(chord, kRate);
  for (const auto& o : onsets) CHECK(o.t < 0.1);
}
