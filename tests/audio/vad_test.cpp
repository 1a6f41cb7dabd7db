// Voice activity detection on silence, steady noise and synthesised speech, whole and chunk by chunk.
#include "tyto/audio/vad.hpp"
#include "audio/speech_support.hpp"
#include "tyto/audio/decode.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test::speech;

namespace {

// Two sentences with a gap of silence, the gap's place in seconds.
struct TwoSentences {
  std::vector<std::int16_t> samples;
  double gap_start_s = 0;
  double gap_end_s = 0;
};

TwoSentences two_sentences(double gap_s, double noise_dbfs = 0) {
  TwoSentences t;
  t.samples = silence(0.5);
  append(t.samples, speech_samples(corpus()[0]));
  t.gap_start_s = static_cast<double>(t.samples.size()) / audio::kSampleRate;
  append(t.samples, silence(gap_s));
  t.gap_end_s = static_cast<double>(t.samples.size()) / audio::kSampleRate;
  append(t.samples, speech_samples(corpus()[1]));
  append(t.samples, silence(1.0));
  if (noise_dbfs < 0) t.samples = with_noise(std::move(t.samples), noise_dbfs, 7);
  return t;
}

}  // namespace

TEST_CASE("The VAD finds no speech in silence or in steady noise", "[audio][vad]") {
  CHECK(audio::detect_speech(silence(5)).empty());
  CHECK(audio::detect_speech(noise(5, -30, 1)).empty());
  CHECK(audio::detect_speech(noise(5, -60, 2)).empty());
  // Noise that starts loud after quiet: the onset is taken for speech at most once, then becomes the floor.
  auto rising = silence(1);
  append(rising, noise(6, -35, 3));
  CHECK(audio::detect_speech(rising).size() <= 1);
}

TEST_CASE("The VAD cuts two spoken sentences at the silence between them", "[audio][vad]") {
  for (const double noise_dbfs : {0.0, -45.0}) {
    INFO("noise " << noise_dbfs << " dBFS (0: none)");
    const TwoSentences t = two_sentences(1.0, noise_dbfs);
    const auto segments = audio::detect_speech(t.samples);
    REQUIRE(segments.size() == 2);
    // espeak-ng leaves some silence of its own around each sentence, so the segments sit inside.
    CHECK(segments[0].start_s >= 0.45);
    CHECK(segments[0].end_s <= t.gap_start_s + 0.05);
    CHECK(segments[0].end_s >= t.gap_start_s - 0.5);
    CHECK(segments[1].start_s >= t.gap_end_s - 0.05);
    CHECK(segments[1].start_s <= t.gap_end_s + 0.5);
    CHECK(segments[1].end_s > segments[1].start_s + 1.0);
  }
}

TEST_CASE("The VAD decides the same boundaries fed in 100 ms chunks as fed at once", "[audio][vad]") {
  const TwoSentences t = two_sentences(1.0);
  audio::Vad whole;
  auto expected = whole.feed(t.samples);
  for (const auto& e : whole.finish()) expected.push_back(e);

  audio::Vad chunked;
  std::vector<audio::VadEvent> got;
  const std::size_t chunk = audio::kSampleRate / 10;
  for (std::size_t at = 0; at < t.samples.size(); at += chunk) {
    const std::span<const std::int16_t> all(t.samples);
    for (const auto& e : chunked.feed(all.subspan(at, std::min(chunk, t.samples.size() - at)))) {
      CHECK(e.decided_at <= at + chunk);  // decided within the chunk that completed its frame
      CHECK(e.decided_at >= e.sample);
      got.push_back(e);
    }
  }
  for (const auto& e : chunked.finish()) got.push_back(e);
  REQUIRE(got.size() == expected.size());
  REQUIRE(got.size() == 4);
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].kind == expected[i].kind);
    CHECK(got[i].sample == expected[i].sample);
    CHECK(got[i].decided_at == expected[i].decided_at);
  }
  CHECK(got[0].kind == audio::VadEvent::Kind::kStart);
  CHECK(got[1].kind == audio::VadEvent::Kind::kEnd);
  CHECK(chunked.samples_seen() == t.samples.size());
  CHECK_FALSE(chunked.in_speech());
}

TEST_CASE("The VAD's noise floor follows the background level", "[audio][vad]") {
  audio::Vad vad;
  vad.feed(noise(2, -40, 5));
  CHECK(vad.noise_floor_db() == Approx(-40).margin(3));
  vad.feed(silence(2));
  CHECK(vad.noise_floor_db() == Approx(-100));
  CHECK_THROWS_AS(audio::Vad(audio::VadOptions{.frame_ms = 5}), std::invalid_argument);
}
