// Speech recognition with pocketsphinx's en-us model on sentences synthesised by espeak-ng: the word
// error rate of the corpus (docs/quality.md), word timings, streaming with partials and finals, the pool.
#include "audio/speech_support.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/audio/pocketsphinx.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace tyto;
using namespace tyto::test::speech;

namespace {

// Measured on this corpus in a quiet room: 0.055 (docs/quality.md); the bound leaves room for a different
// CPU's floats and a different espeak-ng.
constexpr double kMaxCorpusWer = 0.15;

audio::Recognizer& shared_recognizer() {
  static const auto recognizer = audio::make_pocketsphinx_recognizer({.decoders = 2});
  return *recognizer;
}

// A quiet room's noise over a clip put together from sentences and silence.
std::vector<std::int16_t> in_room(std::vector<std::int16_t> clip) {
  return with_noise(std::move(clip), kRoomNoiseDbfs, 5);
}

}  // namespace

TEST_CASE("Filler words and pronunciation variants are recognised as such", "[audio][asr]") {
  for (const char* w : {"<s>", "</s>", "<sil>", "[NOISE]", "++GARBAGE++", "[SPEECH]"}) CHECK(audio::is_filler(w));
  for (const char* w : {"hello", "a", "i", "o'clock"}) CHECK_FALSE(audio::is_filler(w));
  CHECK(audio::base_word("read(2)") == "read");
  CHECK(audio::base_word("read") == "read");
  CHECK(audio::base_word("(2)") == "(2)");
}

TEST_CASE("Batch recognition of the synthesised corpus stays under the measured word error rate", "[audio][asr]") {
  std::size_t edits = 0, words = 0;
  for (const std::string& sentence : corpus()) {
    const auto samples = quiet_room(sentence);
    const audio::Transcript t = shared_recognizer().recognize(samples);
    const std::size_t e = word_edits(sentence, t.text);
    edits += e;
    words += word_count(sentence);
    UNSCOPED_INFO("\"" << sentence << "\" -> \"" << t.text << "\": " << e << " errors");
    // Every transcript is well formed: words in order, inside the clip, with confidences.
    double last_end = 0;
    for (const audio::Word& w : t.words) {
      CHECK_FALSE(audio::is_filler(w.word));
      CHECK(w.start_s >= last_end - 1e-9);
      CHECK(w.end_s > w.start_s);
      CHECK(w.end_s <= static_cast<double>(samples.size()) / audio::kSampleRate + 1e-9);
      CHECK(w.confidence >= 0);
      CHECK(w.confidence <= 1);
      last_end = w.end_s;
    }
    CHECK(t.confidence >= 0);
    CHECK(t.confidence <= 1);
  }
  const double wer = static_cast<double>(edits) / static_cast<double>(words);
  WARN("corpus word error rate: " << wer << " (" << edits << " / " << words << ")");
  CHECK(wer < kMaxCorpusWer);
}

TEST_CASE("Word timings fall in the speech on either side of an inserted silence", "[audio][asr]") {
  // "please call me tomorrow morning at nine", 1.5 s of silence, "the weather is nice today".
  auto samples = silence(0.3);
  append(samples, speech_samples(corpus()[0]));
  const double gap_start = static_cast<double>(samples.size()) / audio::kSampleRate;
  append(samples, silence(1.5));
  const double gap_end = static_cast<double>(samples.size()) / audio::kSampleRate;
  append(samples, speech_samples(corpus()[4]));
  append(samples, silence(0.5));
  samples = in_room(std::move(samples));

  const audio::Transcript t = shared_recognizer().recognize(samples);
  INFO(t.text);
  CHECK(word_error_rate(corpus()[0] + " " + corpus()[4], t.text) < 0.35);
  REQUIRE(t.words.size() >= 6);
  std::size_t before = 0, after = 0;
  for (const audio::Word& w : t.words) {
    INFO(w.word << " " << w.start_s << "-" << w.end_s);
    // No word inside the silence (a word's edges may reach into it by some frames).
    CHECK((w.end_s <= gap_start + 0.25 || w.start_s >= gap_end - 0.25));
    (w.end_s <= gap_start + 0.25 ? before : after)++;
  }
  CHECK(before >= 5);
  CHECK(after >= 3);
  CHECK(t.words.front().start_s >= 0.1);
  CHECK(t.words.back().end_s <= static_cast<double>(samples.size()) / audio::kSampleRate);
  // Silence alone is an empty transcript.
  const audio::Transcript quiet = shared_recognizer().recognize(silence(2));
  CHECK(quiet.text.empty());
  CHECK(quiet.words.empty());
}

TEST_CASE("A stream fed 100 ms chunks gives partials, then one final per sentence, in order", "[audio][asr][stream]") {
  auto samples = silence(0.5);
  append(samples, speech_samples(corpus()[1]));
  const double gap_start = static_cast<double>(samples.size()) / audio::kSampleRate;
  append(samples, silence(1.0));
  append(samples, speech_samples(corpus()[7]));
  append(samples, silence(1.0));
  samples = in_room(std::move(samples));

  const auto stream = shared_recognizer().stream();
  std::vector<audio::StreamResult> results;
  const std::span<const std::int16_t> all(samples);
  const std::size_t chunk = audio::kSampleRate / 10;
  for (std::size_t at = 0; at < samples.size(); at += chunk)
    for (auto& r : stream->feed(all.subspan(at, std::min(chunk, samples.size() - at)))) results.push_back(std::move(r));
  for (auto& r : stream->finish()) results.push_back(std::move(r));
  CHECK(stream->samples_fed() == samples.size());

  std::vector<audio::StreamResult> finals;
  std::size_t partials_before[2] = {0, 0};
  for (const auto& r : results) {
    if (r.final) {
      finals.push_back(r);
      continue;
    }
    REQUIRE(r.utterance < 2);
    CHECK(finals.size() == r.utterance);  // a partial comes before its utterance's final
    CHECK_FALSE(r.transcript.text.empty());
    ++partials_before[r.utterance];
  }
  REQUIRE(finals.size() == 2);
  CHECK(finals[0].utterance == 0);
  CHECK(finals[1].utterance == 1);
  CHECK(partials_before[0] >= 1);
  CHECK(partials_before[1] >= 1);
  INFO(finals[0].transcript.text << " | " << finals[1].transcript.text);
  CHECK(word_error_rate(corpus()[1], finals[0].transcript.text) < 0.5);
  CHECK(word_error_rate(corpus()[7], finals[1].transcript.text) < 0.5);
  // Times count from the stream's first sample.
  CHECK(finals[0].transcript.end_s <= gap_start + 0.5);
  CHECK(finals[1].transcript.start_s >= gap_start + 0.5);
  for (const auto& f : finals) {
    for (const auto& w : f.transcript.words) UNSCOPED_INFO(w.word << " " << w.start_s << "-" << w.end_s);
    REQUIRE_FALSE(f.transcript.words.empty());
    CHECK(f.transcript.words.front().start_s >= f.transcript.start_s);
    CHECK(f.transcript.words.back().end_s <= f.transcript.end_s + 1e-9);
  }
  CHECK(finals[0].transcript.words.back().end_s <= gap_start + 0.15);
  // Live decoding places an utterance's first word less precisely than batch (it cannot normalise over the
  // whole utterance): up to 0.25 s early, into the preroll.
  CHECK(finals[1].transcript.words.front().start_s >= gap_start + 1.0 - 0.25);
}

TEST_CASE("A stream that stops mid-sentence gets its final from finish", "[audio][asr][stream]") {
  // The sentence's first 70 %: it stops while the VAD still hears speech.
  auto samples = silence(0.3);
  const auto sentence = speech_samples(corpus()[3]);
  samples.insert(samples.end(), sentence.begin(),
                 sentence.begin() + static_cast<std::ptrdiff_t>(sentence.size() * 7 / 10));
  const auto stream = shared_recognizer().stream();
  std::size_t finals = 0;
  for (const auto& r : stream->feed(samples)) finals += r.final ? 1 : 0;
  CHECK(finals == 0);
  const auto last = stream->finish();
  REQUIRE(last.size() == 1);
  CHECK(last[0].final);
  CHECK(last[0].transcript.words.size() >= 2);
  CHECK(last[0].transcript.end_s == Approx(static_cast<double>(samples.size()) / audio::kSampleRate));
  CHECK(stream->finish().empty());
}

TEST_CASE("The decoder pool lends at most its size and makes callers wait, then refuse", "[audio][asr][pool]") {
  const auto recognizer =
      audio::make_pocketsphinx_recognizer({.decoders = 1, .acquire_timeout = std::chrono::milliseconds(100)});
  auto first = recognizer->stream();
  try {
    recognizer->stream();
    FAIL("a second stream got a decoder");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kOverloaded);
    CHECK(e.details()["reason"] == "recognizer_busy");
  }
  first.reset();
  CHECK(recognizer->recognize(silence(0.5)).words.empty());
  CHECK(recognizer->backend() == "pocketsphinx");
}

TEST_CASE("A missing model file is refused with a typed error", "[audio][asr]") {
  try {
    audio::make_pocketsphinx_recognizer({.lm = "/nonexistent/en-us.lm.bin"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(e.details()["reason"] == "model_missing");
  }
}

TEST_CASE("Batch calls and streams on several threads share the pool and each gets its own transcript",
          "[audio][asr][pool]") {
  const auto recognizer = audio::make_pocketsphinx_recognizer({.decoders = 2});
  std::vector<std::string> texts(4);
  std::vector<std::vector<std::int16_t>> clips;  // synthesised here: the support's cache is not thread-safe
  for (std::size_t i = 0; i < texts.size(); ++i) clips.push_back(quiet_room(corpus()[i]));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto& samples = clips[i];
      if (i % 2 == 0) {
        texts[i] = recognizer->recognize(samples).text;
      } else {
        const auto stream = recognizer->stream();
        for (const auto& r : stream->feed(samples))
          if (r.final) texts[i] += r.transcript.text;
        for (const auto& r : stream->finish())
          if (r.final) texts[i] += r.transcript.text;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO(corpus()[i] << " -> " << texts[i]);
    CHECK(word_error_rate(corpus()[i], texts[i]) < 0.6);
  }
}
