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

  fmt::print("{:<55} {:<55} {:>6} {:>7} {:>9} {:>9}\n", "reference", "batch transcript", "errors", "audio s",
             "batch xRT", "stream xRT");
  std::size_t edits = 0, stream_edits = 0, words = 0;
  double audio_s = 0, batch_s = 0, stream_s = 0;
  for (const std::string& sentence : corpus()) {
    auto samples = silence(0.3);
    append(samples, speech_samples(sentence));
    append(samples, silence(0.5));
    const double seconds = static_cast<double>(samples.size()) / audio::kSampleRate;
    std::string text, streamed;
    const double b = best_of(repeats, [&] { text = recognizer->recognize(samples).text; });
    const double s = best_of(repeats, [&] { streamed = stream_text(*recognizer, samples); });
    const std::size_t e = word_edits(sentence, text);
    fmt::print("{:<55} {:<55} {:>3}/{:<2} {:>7.2f} {:>8.1f}x {:>8.1f}x\n", sentence, text, e, word_count(sentence),
               seconds, seconds / b, seconds / s);
    edits += e;
    stream_edits += word_edits(sentence, streamed);
    words += word_count(sentence);
    audio_s += seconds;
    batch_s += b;
    stream_s += s;
  }
  fmt::print("word error rate: batch {:.3f} ({}/{}), streamed {:.3f} ({}/{})\n", static_cast<double>(edits) / words,
             edits, words, static_cast<double>(stream_edits) / words, stream_edits, words);
  fmt::print(
      "speed: {:.1f} s of audio; batch {:.2f} s = {:.1f}x real time (real-time factor {:.3f}); streamed {:.2f} s "
      "= {:.1f}x real time (real-time factor {:.3f}); one decoder, one thread, best of {}\n",
      audio_s, batch_s, audio_s / batch_s, batch_s / audio_s, stream_s, audio_s / stream_s, stream_s / audio_s,
      repeats);
  fmt::print("resident memory: {} MiB\n", rss_kib() / 1024);
}
