// HPSS on the synthesiser's parts: a sustained chord goes to the harmonic part, drums to the percussive.
#include "tyto/drums/hpss.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "synth.hpp"
#include "tyto/core/error.hpp"

using namespace tyto;
using namespace tyto::drums;
using namespace tyto::drums::test;

namespace {

double energy(const std::vector<float>& x) {
  double e = 0;
  for (float v : x) e += static_cast<double>(v) * v;
  return e;
}

}  // namespace

TEST_CASE("HPSS sends a sustained chord to the harmonic part and keeps the drums percussive", "[drums][hpss]") {
  SongSpec spec;
  spec.bars = 4;
  spec.pad_gain = 0.3;
  const auto song = make_song(spec);

  const auto chord = separate(song.pad, kRate);
  REQUIRE(chord.percussive.size() == song.pad.size());
  const double chord_left = energy(chord.percussive) / energy(song.pad);
  INFO("chord energy left in the percussive part: " << chord_left);
  CHECK(chord_left < 0.005);  // measured 0.0001: what is left are the chord changes' attacks

  const auto drums = separate(song.drums, kRate);
  const double drums_kept = energy(drums.percussive) / energy(song.drums);
  INFO("drum energy kept: " << drums_kept);
  // Measured 0.33: most of the drums' energy is the kick's 50 Hz tail and the toms' ring, steady tones that
  // go to the harmonic part (which is why transcribe() reads the low bands from the mix).
  CHECK(drums_kept > 0.25);
  // Above 1 kHz (snares, hi-hats, crashes) the drums stay percussive.
  auto high = [](const std::vector<float>& x) {
    std::vector<float> y(x.size(), 0.0f);
    for (std::size_t i = 2; i < x.size(); ++i) y[i] = x[i] - 2 * x[i - 1] + x[i - 2];  // a second difference
    return y;
  };
  const double high_kept = energy(high(drums.percussive)) / energy(high(song.drums));
  INFO("high-passed drum energy kept: " << high_kept);
  CHECK(high_kept > 0.8);

  // The two parts add up to the input (the masks sum to one).
  const auto mix = separate(song.mix, kRate);
  double worst = 0;
  for (std::size_t i = 0; i < song.mix.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(mix.percussive[i]) + mix.harmonic[i] - song.mix[i]));
  CHECK(worst < 1e-4);
}

TEST_CASE("HPSS of silence and of nothing is silence, and a bad rate or a stop is an error", "[drums][hpss]") {
  CHECK(separate(std::vector<float>{}, kRate).percussive.empty());
  const auto quiet = separate(std::vector<float>(kRate, 0.0f), kRate);
  CHECK(energy(quiet.percussive) == 0);
  CHECK(energy(quiet.harmonic) == 0);
  try {
    separate(std::vector<float>(100, 0.0f), 1000);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBadRequest);
  }
  HpssOptions stop;
  stop.should_stop = [] { return true; };
  try {
    separate(std::vector<float>(kRate, 0.1f), kRate, stop);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kTimeout);
    CHECK(e.details()["reason"] == "stopped");
  }
}
