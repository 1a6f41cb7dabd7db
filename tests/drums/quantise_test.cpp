// Quantisation to the beat grid (straight and swung) and the difficulty levels.
#include "tyto/drums/quantise.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "synth.hpp"
#include "tyto/drums/generate.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;

namespace {

std::vector<double> grid(double first, double period, int n) {
  std::vector<double> beats;
  for (int i = 0; i < n; ++i) beats.push_back(first + period * i);
  return beats;
}

bool contains(const std::vector<Note>& notes, const Note& n) {
  for (const auto& m : notes)
    if (m.t == n.t && m.lane == n.lane && m.velocity == n.velocity) return true;
  return false;
}

}  // namespace

TEST_CASE("Quantisation snaps jittered notes to sixteenths, and to triplets when the song swings",
          "[drums][quantise]") {
  const auto beats = grid(1.0, 0.5, 32);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  std::vector<Note> straight, swung;
  for (int b = 0; b < 30; ++b) {
    for (int s = 0; s < 4; ++s) straight.push_back({1.0 + 0.5 * b + 0.125 * s + jitter(rng), Lane::kHihat, 0.5f, 0.9f});
    swung.push_back({1.0 + 0.5 * b + jitter(rng), Lane::kHihat, 0.5f, 0.9f});
    swung.push_back({1.0 + 0.5 * b + 0.5 * 2 / 3 + jitter(rng), Lane::kHihat, 0.5f, 0.9f});
  }
  CHECK_FALSE(detect_swing(straight, beats));
  CHECK(detect_swing(swung, beats));
  const auto q = quantise(straight, beats);
  REQUIRE(q.size() == straight.size());
  for (std::size_t i = 0; i < q.size(); ++i) CHECK(q[i].t == Approx(1.0 + 0.125 * static_cast<double>(i)).margin(1e-9));
  const auto qs = quantise(swung, beats);
  REQUIRE(qs.size() == swung.size());
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const double expected = 1.0 + 0.5 * static_cast<double>(i / 2) + (i % 2 ? 0.5 * 2 / 3 : 0.0);
    CHECK(qs[i].t == Approx(expected).margin(1e-9));
  }
  // Two notes of a lane on one step become one, the louder.
  const std::vector<Note> twice = {
      {1.01, Lane::kKick, 0.4f, 0.5f}, {0.99, Lane::kKick, 0.8f, 0.6f}, {1.0, Lane::kSnare, 0.5f, 0.5f}};
  const auto merged = quantise(twice, beats);
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].lane == Lane::kKick);
  CHECK(merged[0].velocity == 0.8f);
  CHECK(beat_position(1.25, beats) == Approx(0.5));
  CHECK(beat_position(0.75, beats) == Approx(-0.5));
}

TEST_CASE("Each easier level keeps a subset of the level above it", "[drums][quantise]") {
  SongSpec spec;
  spec.bpm = 100;
  spec.bars = 12;
  spec.sixteenths = true;
  const auto song = make_song(spec);
  const DrumMap expert = generate_map(song.mix, kRate).expert;
  const DrumMap hard = thin(expert, Difficulty::kHard), medium = thin(expert, Difficulty::kMedium),
                easy = thin(expert, Difficulty::kEasy);
  CHECK(thin(expert, Difficulty::kExpert).notes.size() == expert.notes.size());
  CHECK(hard.difficulty == Difficulty::kHard);
  CHECK(easy.difficulty == Difficulty::kEasy);
  INFO(expert.notes.size() << " > " << hard.notes.size() << " > " << medium.notes.size() << " > " << easy.notes.size());
  CHECK(expert.notes.size() > hard.notes.size());
  CHECK(hard.notes.size() > medium.notes.size());
  CHECK(medium.notes.size() > easy.notes.size());
  for (const auto& n : hard.notes) CHECK(contains(expert.notes, n));
  for (const auto& n : medium.notes) CHECK(contains(hard.notes, n));
  for (const auto& n : easy.notes) CHECK(contains(medium.notes, n));
  // Easy: kicks and snares on beats, crashes on downbeats; the downbeat kicks all stay.
  int downbeat_kicks = 0, kept = 0;
  for (const auto& n : easy.notes) {
    CHECK((n.lane == Lane::kKick || n.lane == Lane::kSnare || n.lane == Lane::kCrash));
    const double pos = beat_position(n.t, easy.beats);
    CHECK(std::abs(pos - std::round(pos)) < 0.06);
  }
  for (const auto& n : expert.notes) {
    const double pos = beat_position(n.t, expert.beats);
    if (n.lane != Lane::kKick || std::abs(pos - std::round(pos)) > 0.06 || std::lround(pos) % 4 != 0) continue;
    ++downbeat_kicks;
    kept += contains(easy.notes, n);
  }
  CHECK(downbeat_kicks >= 10);
  CHECK(kept == downbeat_kicks);
}
