// Moving a map onto another recording, and finding how the two recordings relate from their fingerprints.
#include "tyto/drums/retime.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "synth.hpp"
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"

using namespace tyto;
using namespace tyto::drums;
using namespace tyto::drums::test;

TEST_CASE("Retiming a map and back gives the map", "[drums][retime]") {
  DrumMap m;
  m.duration_s = 30;
  m.bpm = 120;
  for (int i = 0; i < 40; ++i) m.beats.push_back(1.0 + 0.5 * i);
  m.offset_s = 1.0;
  for (int i = 0; i < 80; ++i) m.notes.push_back({1.0 + 0.25 * i, i % 2 ? Lane::kHihat : Lane::kKick, 0.5f, 0.7f});
  const DrumMap moved = retime(m, 2.5, 1.08);
  CHECK(moved.bpm == Approx(120 / 1.08));
  CHECK(moved.duration_s == Approx(30 * 1.08));
  CHECK(moved.notes[3].t == Approx(2.5 + 1.08 * m.notes[3].t));
  CHECK(moved.offset_s == Approx(2.5 + 1.08));
  const DrumMap back = retime(moved, -2.5 / 1.08, 1 / 1.08);
  CHECK(back.bpm == Approx(m.bpm));
  REQUIRE(back.notes.size() == m.notes.size());
  for (std::size_t i = 0; i < m.notes.size(); ++i) CHECK(back.notes[i].t == Approx(m.notes[i].t).margin(1e-9));
  REQUIRE(back.beats.size() == m.beats.size());
  // Notes shifted before the start are dropped; a ratio of zero is refused.
  CHECK(retime(m, -2.0, 1.0).notes.size() == m.notes.size() - 4);  // 1.0, 1.25, 1.5, 1.75
  CHECK_THROWS_AS(retime(m, 0, 0), Error);
}

TEST_CASE("estimate_alignment recovers the tempo ratio and offset of a re-recorded song", "[drums][retime][quality]") {
  SongSpec ref_spec;
  ref_spec.bars = 40;
  ref_spec.lead_in_s = 0.3;
  ref_spec.pad_gain = 0.3;
  const auto reference = make_song(ref_spec);
  const auto ref_fp = fingerprint::fingerprint_bytes(wav_bytes(reference.mix)).raw;
  // The song played at another tempo (re-synthesised, so its pitch is the same) after other silence.
  for (const auto& [ratio, lead] : {std::pair{1.0, 2.3}, {0.93, 0.3}, {1.06, 1.7}}) {
    auto spec = ref_spec;
    spec.bpm = ref_spec.bpm / ratio;
    spec.lead_in_s = lead;
    const auto fresh = make_song(spec);
    const auto est = estimate_alignment(ref_fp, fingerprint::fingerprint_bytes(wav_bytes(fresh.mix)).raw);
    INFO("ratio " << ratio << " lead " << lead);
    REQUIRE(est);
    CHECK(est->ratio == Approx(ratio).margin(0.003));
    // t_new = offset + ratio · t_ref, and the first downbeat is at lead_in in each.
    CHECK(est->offset_s == Approx(lead - ratio * ref_spec.lead_in_s).margin(0.15));  // about one item (0.124 s)
    CHECK(est->score > 0.6);
  }
  // Noise is not the song.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  std::vector<float> noise(reference.mix.size());
  for (auto& v : noise) v = u(rng);
  CHECK_FALSE(estimate_alignment(ref_fp, fingerprint::fingerprint_bytes(wav_bytes(noise)).raw));
}
