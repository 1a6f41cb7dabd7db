// Speech recognition behind an interface: a batch call for a clip, and streams for live audio. The
// shipped backend is pocketsphinx (tyto/audio/pocketsphinx.hpp); another backend implements Recognizer
// and RecognizerStream, or only an UtteranceDecoder and reuses the pool, the VAD-cut streams and the
// batch segmentation of tyto/audio/backend.hpp.
//
// Audio is always 16 kHz mono signed 16-bit (tyto/audio/decode.hpp makes it from any file).
// Times are seconds from the start of the clip (batch) or of the stream (the first sample fed).
// Words are real words: fillers (<s>, </s>, <sil>, [NOISE], ++…++) and pronunciation variants ("(2)")
// are removed. Confidences are in [0, 1] (pocketsphinx: word posterior probabilities).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tyto/audio/vad.hpp"

namespace tyto::audio {

struct Word {
  std::string word;
  double start_s = 0;
  double end_s = 0;
  double confidence = 0;
};

struct Transcript {
  std::string text;  // the words, space-separated, lower case
  std::vector<Word> words;
  double confidence = 0;  // the mean of the words' confidences (0 without words)
  double start_s = 0;     // the audio the transcript covers
  double end_s = 0;
};

// What a stream returns: partial hypotheses of the utterance being spoken (final = false, text only,
// each different from the one before), then its final transcript with word timings when the VAD says
// it ended (final = true). Results come in order; utterance numbers count from 0.
struct StreamResult {
  bool final = false;
  std::uint64_t utterance = 0;
  Transcript transcript;
};

struct StreamOptions {
  VadOptions vad;                 // cuts utterances
  int preroll_ms = 300;           // audio before the VAD's start that is decoded too (soft onsets)
  int partial_interval_ms = 300;  // audio between two partial hypotheses (at most)
  double max_utterance_s = 20;    // a longer utterance is ended there and a new one begins
};

// One live stream. Not thread-safe: one feeder at a time. Holds one decoder of its recogniser's pool
// until it is destroyed.
class RecognizerStream {
 public:
  virtual ~RecognizerStream() = default;
  // Feeds the next chunk (any length); returns the partial and final results decided in it.
  virtual std::vector<StreamResult> feed(std::span<const std::int16_t> samples) = 0;
  // Ends the stream: the utterance in progress, if any, is finalised. Feeding after finish starts afresh.
  virtual std::vector<StreamResult> finish() = 0;
  // Samples fed since the stream began.
  virtual std::uint64_t samples_fed() const = 0;
};

// A recogniser: thread-safe; calls may run concurrently up to its pool size, further ones wait for a
// free decoder (up to a backend-defined time, then tyto::Error overloaded).
class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual std::string_view backend() const = 0;
  // Transcribes a whole clip: utterances cut by the VAD and decoded each as a whole, joined.
  // Silence gives an empty transcript.
  virtual Transcript recognize(std::span<const std::int16_t> samples) = 0;
  virtual std::unique_ptr<RecognizerStream> stream(const StreamOptions& options = {}) = 0;
};

// True for the words a transcript leaves out: <s>, </s>, <sil>, [NOISE], ++GARBAGE++ and the like.
bool is_filler(std::string_view word);
// "read(2)" → "read".
std::string base_word(std::string_view word);

}  // namespace tyto::audio
