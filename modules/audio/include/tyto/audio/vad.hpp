// Voice activity detection on a 16 kHz mono stream, chunk by chunk: frame energy against an adaptive
// noise floor, an onset run to start speech and a hangover to end it.
//
// Each frame of frame_ms has an energy in dB full scale (an RMS of 32768 is 0 dBFS; digital silence is
// clamped to -100). The noise floor is the quietest frame of the last floor_window_ms (minimum
// statistics): speech has quiet gaps between syllables and words, so the floor stays on the background
// under it, and a steady sound (a fan, a hum, music that does not stop) becomes the floor itself within
// one window. A frame is "loud" when its energy is at least threshold_db above the floor and above
// min_energy_db. Speech starts after onset_frames loud frames in a row (the segment starts at the first
// of them, so a click shorter than the run never starts one) and ends when no loud frame has come for
// hangover_ms (the segment ends after the last loud frame); pauses between words are shorter.
//
// Thread-safety: a Vad is one stream's state; use it from one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

namespace tyto::audio {

struct VadOptions {
  int frame_ms = 20;           // analysis frame (10 to 50 ms)
  double threshold_db = 10;    // loud: this far above the noise floor …
  double min_energy_db = -50;  // … and above this absolute level (dBFS)
  int floor_window_ms = 1500;  // the noise floor is the quietest frame of this window
  int onset_frames = 3;        // loud frames in a row that start speech
  int hangover_ms = 400;       // quiet time that ends it
};

// A decided boundary. `sample` is where the segment starts or ends (counted from the first sample ever
// fed); `decided_at` is the sample at which the decision could be made (later: the onset run or the
// hangover had to pass). A segment's kEnd always follows its kStart.
struct VadEvent {
  enum class Kind { kStart, kEnd };
  Kind kind;
  std::uint64_t sample;
  std::uint64_t decided_at;
};

struct SpeechSegment {
  double start_s = 0;
  double end_s = 0;
};

class Vad {
 public:
  explicit Vad(VadOptions options = {});

  // Feeds the next samples (any count; a partial frame waits for the next call) and returns the
  // boundaries decided in them, in order.
  std::vector<VadEvent> feed(std::span<const std::int16_t> samples);
  // Ends the stream: an open segment ends after its last loud frame (when long enough).
  std::vector<VadEvent> finish();

  bool in_speech() const { return state_ == State::kSpeech; }
  double noise_floor_db() const { return floor_db_; }
  std::uint64_t samples_seen() const { return seen_; }
  const VadOptions& options() const { return options_; }

 private:
  enum class State { kSilence, kOnset, kSpeech };
  void frame(double energy_db, std::uint64_t frame_start, std::vector<VadEvent>& out);
  void close(std::uint64_t decided_at, std::vector<VadEvent>& out);

  VadOptions options_;
  std::size_t frame_samples_;
  std::vector<std::int16_t> pending_;  // a partial frame
  std::uint64_t seen_ = 0;             // samples fed
  State state_ = State::kSilence;
  double floor_db_ = -100;
  std::deque<std::pair<std::uint64_t, double>> window_;  // (frame index, dB), increasing dB: a sliding minimum
  std::uint64_t frames_ = 0;
  int run_ = 0;                      // loud frames in the onset run
  std::uint64_t start_ = 0;          // first sample of the segment (or of the onset run)
  std::uint64_t last_loud_end_ = 0;  // the sample after the last loud frame
};

// The speech segments of a whole clip (a Vad fed everything, then finished).
std::vector<SpeechSegment> detect_speech(std::span<const std::int16_t> samples, const VadOptions& options = {});

}  // namespace tyto::audio
