// The chain end to end: progress, stopping, the deadline, speed, and a map that validates.
#include "tyto/drums/generate.hpp"

#include <catch2/catch.hpp>

#include <chrono>

#include "synth.hpp"
#include "tyto/core/error.hpp"

using namespace tyto;
using namespace tyto::drums;
using namespace tyto::drums::test;

TEST_CASE("generate_map reports its stages in order and makes a valid map", "[drums][generate]") {
  SongSpec spec;
  spec.bars = 8;
  const auto song = make_song(spec);
  std::vector<std::pair<double, std::string>> seen;
  GenerateOptions options;
  options.progress = [&](double f, std::string_view stage) { seen.emplace_back(f, std::string(stage)); };
  const auto g = generate_map(song.mix, kRate, options);
  REQUIRE(seen.size() == 6);
  CHECK(seen.front().second == "hpss");
  CHECK(seen.back() == std::pair<double, std::string>{1.0, "done"});
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].first >= seen[i - 1].first);
  CHECK(g.percussive.size() == song.mix.size());
  CHECK(g.expert.sample_rate == kRate);
  CHECK(g.expert.duration_s == Approx(song.duration_s()));
  CHECK(g.expert.offset_s == g.expert.beats.front());
  CHECK(validate(to_json(g.expert)).empty());
  for (std::size_t i = 1; i < g.expert.notes.size(); ++i) CHECK(g.expert.notes[i].t >= g.expert.notes[i - 1].t);
}

TEST_CASE("generate_map stops when told to and at its deadline", "[drums][generate]") {
  SongSpec spec;
  spec.bars = 8;
  const auto song = make_song(spec);
  GenerateOptions stop;
  int polls = 0;
  stop.should_stop = [&] { return ++polls > 3; };  // stops inside HPSS
  try {
    generate_map(song.mix, kRate, stop);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kTimeout);
    CHECK(e.details()["reason"] == "stopped");
  }
  GenerateOptions late;
  late.deadline = std::chrono::milliseconds(0);
  try {
    generate_map(song.mix, kRate, late);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kTimeout);
    CHECK(e.details()["reason"] == "deadline");
  }
  GenerateOptions short_limit;
  short_limit.max_seconds = 5;
  CHECK_THROWS_AS(generate_map(song.mix, kRate, short_limit), Error);
}

TEST_CASE("generate_map runs many times faster than real time", "[drums][generate][quality]") {
  SongSpec spec;
  spec.bars = 90;  // three minutes at 120 BPM
  const auto song = make_song(spec);
  const auto start = std::chrono::steady_clock::now();
  const auto g = generate_map(song.mix, kRate);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double speed = song.duration_s() / seconds;
  INFO(song.duration_s() << " s of audio in " << seconds << " s: " << speed << "x real time");
  // Measured about 40x on one core of the development machine (docs/benchmarks.md); a shared CI core
  // may be slower, so the test asks for half the 20x goal.
  CHECK(speed >= 10);
  CHECK(g.expert.bpm == Approx(120).epsilon(0.01));
}
