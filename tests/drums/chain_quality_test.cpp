// The whole chain on the synthesised song set (synth.cpp: 18 loops, 70–180 BPM, straight and swung,
// 4/4 and 3/4, fills, a pad under them), scored against the ground truth. tyto_drums_figures prints the
// same figures; docs/quality.md ("Drum transcription") records them and why each threshold is where it is.
#include <catch2/catch.hpp>

#include "evaluate.hpp"
#include "synth.hpp"
#include "tyto/drums/generate.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;

TEST_CASE("The chain finds the onsets, lanes, tempo and bars of the synthesised song set", "[drums][quality]") {
  Evaluation total;
  int songs = 0, acc1 = 0, acc2 = 0, metre = 0, downbeat = 0;
  for (const auto& spec : song_set()) {
    const auto song = make_song(spec);
    const auto e = evaluate(song, generate_map(song.mix, kRate));
    INFO(spec.bpm << " BPM " << spec.beats_per_bar << "/4" << (spec.swing ? " swing" : "") << ": " << e.bpm);
    CHECK(e.acc2);  // no song's tempo may be off by more than an octave error
    total += e;
    ++songs;
    acc1 += e.acc1, acc2 += e.acc2, metre += e.metre, downbeat += e.downbeat;
  }
  INFO(describe(total));
  // Onsets within ±50 ms (MIREX's tolerance). Measured 0.958: the misses are soft off-beat hi-hats right
  // after a kick or under a crash's ring; 0.93 leaves room for the noise of other seeds, not for a regression.
  CHECK(total.onsets.f() >= 0.93);
  const auto lane = [&](Lane l) { return total.lanes[static_cast<std::size_t>(l)]; };
  // Per lane (measured: kick 0.973, snare 0.997, hihat 0.805, tom 0.930, crash 0.752). Hi-hats under a
  // snare are the known weakness (the snare's own noise hides them); crashes are few (54) and a snare or
  // kick inside a crash's ring is sometimes taken for another crash.
  CHECK(lane(Lane::kKick).f() >= 0.93);
  CHECK(lane(Lane::kSnare).f() >= 0.95);
  CHECK(lane(Lane::kHihat).f() >= 0.75);
  CHECK(lane(Lane::kHihat).precision() >= 0.95);
  CHECK(lane(Lane::kTom).f() >= 0.85);
  CHECK(lane(Lane::kCrash).f() >= 0.65);
  CHECK(lane(Lane::kCrash).recall() >= 0.9);
  // The exact set of lanes at an onset (measured 0.799).
  CHECK(total.lane_accuracy() >= 0.75);
  // Tempo, metre and bars (measured: all 18 right).
  CHECK(acc1 >= songs - 1);
  CHECK(acc2 == songs);
  CHECK(metre >= songs - 1);
  CHECK(downbeat >= songs - 2);
}
