// Tempo, beats and metre from an onset envelope (onsets.hpp).
//
// Tempo: an accent envelope that weighs kicks and snares (low and mid bands) far above hi-hats. Each
// candidate beat period lays a grid over windows of about 8 s (at the window's best phase, so a drifting
// tempo still fits) and every grid position scores the accent there, in units of a loud hit (at most
// 1.5), less 0.4: a grid as fine as the kicks and snares scores highest, a coarser one (half the tempo)
// leaves hits out and a finer one (double) puts positions where nothing sounds. A broad prior around
// prior_bpm only breaks near-ties. Beats: Ellis's dynamic programme (2007), which places beats on strong
// onsets about one period apart; bpm from a straight line through them. Metre: each beat's evidence of
// starting a bar is its kick energy plus the harmonic change there (chords change at bar lines); 3/4 when
// every third beat's evidence stands out more than every fourth's (by `triple_margin`), else 4/4; the
// downbeats are the phase with the most evidence.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "tyto/drums/onsets.hpp"

namespace tyto::drums {

struct TempoOptions {
  double min_bpm = 60;
  double max_bpm = 200;
  double prior_bpm = 120;
  double prior_octaves = 1.5;  // standard deviation of the log2-Gaussian prior
  double tightness = 100;      // how strongly beats keep to the period (Ellis's α)
  double triple_margin = 1.3;  // 3/4 wins only if its contrast beats 4/4's by this factor
};

struct Beats {
  double bpm = 0;
  std::vector<double> beats;      // seconds, ascending
  std::vector<double> downbeats;  // the beats that start a bar
  int beats_per_bar = 4;          // 4 (4/4) or 3 (3/4)
  double confidence = 0;          // 0–1: how much onset energy falls on the beats
};

// How much the harmony changes at each frame (chords change at bar lines): the distance between the
// mean log spectrum (100–2000 Hz) of the 0.25 s after and the 0.25 s before, at `frame_rate` frames per
// second, from the harmonic signal of HPSS. Drum leakage is short, so the averages mostly ignore it.
std::vector<float> harmonic_change(std::span<const float> harmonic, int rate, double frame_rate);

// The tempo alone: beats per minute in [min_bpm, max_bpm], or 0 for an envelope without pulse.
double estimate_tempo(const OnsetEnvelope& envelope, const TempoOptions& options = {});

// Beats, downbeats and metre. `harmonic_change` (optional, the flux of the harmonic signal at the same
// frame rate) helps find the downbeat.
Beats track_beats(const OnsetEnvelope& envelope, const TempoOptions& options = {},
                  std::span<const float> harmonic_change = {});

}  // namespace tyto::drums
