// Drum transcription: each onset of the percussive signal (the bands below 300 Hz: of the mix) is given the lanes that
// sound at it, from the rise of its spectrum (the 46 ms after the onset against the 46 ms before) in four bands and
// from how long its high band rings:
//   kick   energy below 90 Hz               tom    tonal energy 90–300 Hz without snare noise
//   snare  noise 1–5 kHz (with its tone)    hihat  energy above 7 kHz beyond what a snare's noise brings
//   crash  energy above 7 kHz that still rings 80–300 ms later
// Band energies are compared with the song's own (their 90th percentile over its onsets), so the levels
// need no calibration. Several lanes may sound at one onset. Heuristics for mixed music once HPSS has
// removed what is tonal; see docs/modules/drums.md for their limits.
// Thread-safety: a pure function.
#pragma once

#include <span>
#include <vector>

#include "tyto/drums/note.hpp"
#include "tyto/drums/onsets.hpp"

namespace tyto::drums {

struct TranscribeOptions {
  double kick_threshold = 0.12;  // of the song's 90th-percentile band energy
  double snare_threshold = 0.08;
  double hihat_threshold = 0.02;
  double tom_threshold = 0.10;
  double crash_threshold = 0.15;
  double crash_ring = 0.06;  // the high band 80–300 ms on, against its onset, for a crash
};

// Notes sorted by time (then lane), velocities and confidences in [0, 1]. `mix` (optional, the signal
// before HPSS, as long as `percussive`) is where the bands below 300 Hz are read: HPSS sends much of a
// tom's pitched ring to the harmonic part, and the rise of a band cancels the steady tones of the mix.
std::vector<Note> transcribe(std::span<const float> percussive, int rate, const std::vector<Onset>& onsets,
                             const TranscribeOptions& options = {}, std::span<const float> mix = {});

}  // namespace tyto::drums
