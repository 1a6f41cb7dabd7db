// Speech recognition speed and accuracy (modules/audio, pocketsphinx en-us) on the test corpus synthesised
// with espeak-ng (tests/audio/speech_support.cpp): per sentence the transcript, its word errors and how many
// times faster than real time it was decoded, batch and streamed in 100 ms chunks; then the totals.
//   tyto_bench_speech [REPEATS]     (run by tests/bench/speech.sh; figures in docs/benchmarks.md, docs/quality.md)
#include "audio/speech_support.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/audio/pocketsphinx.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace tyto;
using namespace tyto::test::speech;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The best of `repeats` runs of f, in seconds.
template <class F>
double best_of(int repeats, F&& f) {
  double best = 1e9;
  for (int i = 0; i < repeats; ++i) {
    const auto t = Clock::now();
    f();
    best = std::min(best, since(t));
  }
  return best;
}

std::string stream_text(audio::Recognizer& recognizer, const std::vector<std::int16_t>& samples) {
  const auto stream = recognizer.stream();
  std::string text;
  const auto take = [&](const std::vector<audio::StreamResult>& results) {
    for (const auto& r : results)
      if (r.final && !r.transcript.text.empty()) text += (text.empty() ? "" : " ") + r.transcript.text;
  };
  const std::span<const std::int16_t> all(samples);
  for (std::size_t at = 0; at < samples.size(); at += 1600)
    take(stream->feed(all.subspan(at, std::min<std::size_t>(1600, samples.size() - at))));
  take(stream->finish());
  return text;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 3;
  const long rss_before = rss_kib();
  auto t = Clock::now();
  const auto recognizer = audio::make_pocketsphinx_recognizer({.decoders = 1});
  recognizer->recognize(silence(0.5));  // loads the decoder
  fmt::print("pocketsphinx en-us: decoder loaded in {:.2f} s, +{} MiB resident\n", since(t),
             (rss_kib() - rss_before) / 1024);

  fmt::print("{:<55} {:<55} {:>6} {:>7} {:>9}\n", "reference", "batch transcript", "errors", "audio s", "batch xRT");
  std::size_t edits = 0, stream_edits = 0, words = 0;
  double audio_s = 0, batch_s = 0, stream_s = 0;
  for (const std::string& sentence : corpus()) {
    const auto samples = quiet_room(sentence);
    const double seconds = static_cast<double>(samples.size()) / audio::kSampleRate;
    std::string text;
    const double b = best_of(repeats, [&] { text = recognizer->recognize(samples).text; });
    const std::size_t e = word_edits(sentence, text);
    fmt::print("{:<55} {:<55} {:>3}/{:<2} {:>7.2f} {:>8.1f}x\n", sentence, text, e, word_count(sentence), seconds,
               seconds / b);
    edits += e;
    words += word_count(sentence);
    audio_s += seconds;
    batch_s += b;
  }
  // One stream over the whole corpus, a second of silence between sentences, fed 100 ms chunks: the first
  // utterance's final is decoded again whole, the others are live.
  std::vector<std::int16_t> all;
  std::string reference;
  for (const std::string& sentence : corpus()) {
    append(all, speech_samples(sentence));
    append(all, silence(1.0));
    reference += (reference.empty() ? "" : " ") + sentence;
  }
  all = with_noise(std::move(all), kRoomNoiseDbfs, 3);
  std::string streamed;
  stream_s = best_of(repeats, [&] { streamed = stream_text(*recognizer, all); });
  const double stream_audio_s = static_cast<double>(all.size()) / audio::kSampleRate;
  stream_edits = word_edits(reference, streamed);
  // Once more in louder white noise (the sentences' own level is about -19 dBFS), and in digital silence.
  for (const double noise_dbfs : {-45.0, -35.0, 0.0}) {
    std::size_t noisy_edits = 0;
    for (const std::string& sentence : corpus()) {
      auto samples = silence(0.3);
      append(samples, speech_samples(sentence));
      append(samples, silence(0.5));
      if (noise_dbfs < 0) samples = with_noise(std::move(samples), noise_dbfs, 11);
      noisy_edits += word_edits(sentence, recognizer->recognize(samples).text);
    }
    fmt::print("word error rate {}: batch {:.3f} ({}/{})\n",
               noise_dbfs < 0 ? fmt::format("in white noise at {:.0f} dBFS", noise_dbfs) : "in digital silence",
               static_cast<double>(noisy_edits) / words, noisy_edits, words);
  }
  fmt::print("word error rate: batch {:.3f} ({}/{}), streamed as one stream {:.3f} ({}/{})\n",
             static_cast<double>(edits) / words, edits, words, static_cast<double>(stream_edits) / words, stream_edits,
             words);
  fmt::print(
      "speed: batch {:.1f} s of audio in {:.2f} s = {:.1f}x real time (real-time factor {:.3f}); "
      "streamed {:.1f} s in {:.2f} s = {:.1f}x real time (real-time factor {:.3f}); one decoder, one thread, "
      "best of {}\n",
      audio_s, batch_s, audio_s / batch_s, batch_s / audio_s, stream_audio_s, stream_s, stream_audio_s / stream_s,
      stream_s / stream_audio_s, repeats);
  fmt::print("resident memory: {} MiB\n", rss_kib() / 1024);
}
