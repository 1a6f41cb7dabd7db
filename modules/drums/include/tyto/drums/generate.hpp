// The whole chain from mono samples to an expert drum map: HPSS, onsets of the percussive signal, tempo,
// beats and metre, transcription, quantisation (docs/modules/drums.md).
//
// Errors: tyto::Error bad_request for a rate outside [8000, 96000] or audio longer than max_seconds;
// timeout when the chain runs past its deadline (reason "deadline") or should_stop says stop (reason
// "stopped"), both checked between stages and inside HPSS. Thread-safety: a pure function; CPU-bound,
// so call it from a job thread. About 40× real time on one core (docs/benchmarks.md).
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "tyto/drums/drum_map.hpp"
#include "tyto/drums/hpss.hpp"
#include "tyto/drums/onsets.hpp"
#include "tyto/drums/quantise.hpp"
#include "tyto/drums/tempo.hpp"
#include "tyto/drums/transcribe.hpp"

namespace tyto::drums {

struct GenerateOptions {
  HpssOptions hpss;  // its should_stop is replaced by the one below
  OnsetOptions onsets;
  TempoOptions tempo;
  TranscribeOptions transcribe;
  QuantiseOptions quantise;
  bool quantise_notes = true;
  double max_seconds = 1200;
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};
  // Called with the fraction done (0–1, non-decreasing) and the stage starting: "hpss", "onsets",
  // "tempo", "transcribe", "quantise", "done". Optional.
  std::function<void(double fraction, std::string_view stage)> progress;
  std::function<bool()> should_stop;  // optional
};

struct Generated {
  DrumMap expert;                 // song and audio ids and the fingerprint left empty for the caller
  std::vector<float> percussive;  // the percussive signal, at the input's rate (a preview, a check)
  Beats beats;                    // the tempo analysis behind the map
  std::vector<Onset> onsets;      // before transcription
};

Generated generate_map(std::span<const float> mono, int rate, const GenerateOptions& options = {});

}  // namespace tyto::drums
