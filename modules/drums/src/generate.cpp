#include "tyto/drums/generate.hpp"

#include "detail/stft.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tyto::drums {
namespace {

using Clock = std::chrono::steady_clock;

// Beats from the first downbeat on: earlier beats are extrapolated back to a bar's start where the song
// allows, otherwise (a pickup at 0 s) dropped, so beats[0] (the map's offset_s) always starts a bar.
std::vector<double> from_downbeat(const Beats& b) {
  std::vector<double> beats = b.beats;
  if (b.downbeats.empty() || beats.size() < 2) return beats;
  const auto first = static_cast<long>(std::find(beats.begin(), beats.end(), b.downbeats.front()) - beats.begin());
  if (first == 0) return beats;
  const double period = beats[1] - beats[0];
  const long missing = b.beats_per_bar - first;
  if (beats[0] - static_cast<double>(missing) * period >= 0) {
    for (long i = 0; i < missing; ++i) beats.insert(beats.begin(), beats.front() - period);
  } else {
    beats.erase(beats.begin(), beats.begin() + first);
  }
  return beats;
}

}  // namespace

Generated generate_map(std::span<const float> mono, int rate, const GenerateOptions& options) {
  detail::check_rate(rate, "generate_map");
  const double duration = static_cast<double>(mono.size()) / rate;
  if (duration > options.max_seconds)
    throw Error(ErrorCode::kBadRequest,
                fmt::format("generate_map: {:.0f} s of audio, more than {:.0f} s", duration, options.max_seconds),
                {{"reason", "too_long"}, {"max_seconds", options.max_seconds}});
  const auto until = Clock::now() + options.deadline;
  auto stop_now = [&] { return Clock::now() >= until || (options.should_stop && options.should_stop()); };
  auto check = [&] {
    if (options.should_stop && options.should_stop())
      throw Error(ErrorCode::kTimeout, "drum map generation stopped", {{"reason", "stopped"}});
    if (Clock::now() >= until)
      throw Error(ErrorCode::kTimeout,
                  fmt::format("drum map generation took longer than {} ms", options.deadline.count()),
                  {{"reason", "deadline"}});
  };
  double done = 0;
  auto stage = [&](double fraction, std::string_view name) {
    check();
    done = std::max(done, fraction);
    if (options.progress) options.progress(done, name);
  };

  Generated g;
  stage(0, "hpss");
  HpssOptions hpss = options.hpss;
  hpss.should_stop = stop_now;
  Separated parts;
  try {
    parts = separate(mono, rate, hpss);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kTimeout) check();  // says which: stopped or the deadline
    throw;
  }
  stage(0.6, "onsets");
  const auto envelope = onset_envelope(parts.percussive, rate, options.onsets);
  g.onsets = pick_onsets(envelope, options.onsets);
  stage(0.7, "tempo");
  g.beats = track_beats(envelope, options.tempo, harmonic_change(parts.harmonic, rate, envelope.frame_rate));
  stage(0.8, "transcribe");
  auto notes = transcribe(parts.percussive, rate, g.onsets, options.transcribe, mono);
  stage(0.95, "quantise");

  DrumMap& m = g.expert;
  m.duration_s = duration;
  m.sample_rate = rate;
  m.bpm = g.beats.bpm;
  m.beats_per_bar = g.beats.beats_per_bar;
  m.beat_unit = 4;
  m.beats = from_downbeat(g.beats);
  m.offset_s = m.beats.empty() ? 0 : m.beats.front();
  m.notes = options.quantise_notes ? quantise(notes, m.beats, options.quantise) : std::move(notes);
  std::erase_if(m.notes, [&](const Note& n) { return n.t > duration; });
  m.difficulty = Difficulty::kExpert;
  g.percussive = std::move(parts.percussive);
  stage(1, "done");
  return g;
}

}  // namespace tyto::drums
