// Tempo, beats and metre on short loops whose tempo and bars are known.
#include "tyto/drums/tempo.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "synth.hpp"
#include "tyto/drums/hpss.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;

TEST_CASE("Beats of a 4/4 loop fall on its beats, a bar apart from its downbeats", "[drums][tempo]") {
  for (double bpm : {72.0, 128.0, 176.0}) {
    SongSpec spec;
    spec.bpm = bpm;
    spec.bars = 12;
    spec.sixteenths = bpm < 100;
    spec.seed = static_cast<std::uint32_t>(bpm);
    const auto song = make_song(spec);
    const auto parts = separate(song.mix, kRate);
    const auto env = onset_envelope(parts.percussive, kRate);
    INFO(bpm << " BPM");
    CHECK(estimate_tempo(env) == Approx(bpm).epsilon(0.02));
    const auto beats = track_beats(env, {}, harmonic_change(parts.harmonic, kRate, env.frame_rate));
    CHECK(beats.bpm == Approx(bpm).epsilon(0.01));
    CHECK(beats.beats_per_bar == 4);
    CHECK(beats.confidence > 0.2);
    // Each true beat has a tracked beat within 30 ms.
    const auto s = match_times(song.beats, beats.beats, 0.03);
    CHECK(s.recall() >= 0.95);
    CHECK(s.precision() >= 0.95);
    REQUIRE(!beats.downbeats.empty());
    CHECK(match_times(song.downbeats, beats.downbeats, 0.03).f() >= 0.95);
  }
}

TEST_CASE("A waltz is 3/4, with its downbeats on the kicks", "[drums][tempo]") {
  SongSpec spec;
  spec.bpm = 150;
  spec.beats_per_bar = 3;
  spec.bars = 16;
  const auto song = make_song(spec);
  const auto parts = separate(song.mix, kRate);
  const auto env = onset_envelope(parts.percussive, kRate);
  const auto beats = track_beats(env, {}, harmonic_change(parts.harmonic, kRate, env.frame_rate));
  CHECK(beats.beats_per_bar == 3);
  CHECK(beats.bpm == Approx(150).epsilon(0.01));
  CHECK(match_times(song.downbeats, beats.downbeats, 0.03).f() >= 0.95);
}

TEST_CASE("Silence has no tempo and no beats", "[drums][tempo]") {
  const auto env = onset_envelope(std::vector<float>(kRate * 5, 0.0f), kRate);
  CHECK(estimate_tempo(env) == 0);
  CHECK(track_beats(env).beats.empty());
}
