// Harmonic / percussive source separation by median filtering (Fitzgerald 2010, with Driedger's soft
// masks): on the STFT magnitude, a median across time keeps what is steady in pitch (chords, voices,
// bass), a median across frequency keeps what is short and broadband (drums). Each STFT bin is split
// by the Wiener-like mask P^p / (P^p + H^p) and both halves are turned back into signals by inverse STFT
// with overlap-add, so percussive + harmonic equals the input (up to float rounding).
//
// Errors: tyto::Error bad_request for a rate outside [8000, 96000]; timeout (reason "stopped") when
// should_stop says stop. Thread-safety: a pure function; call from any job thread.
#pragma once

#include <functional>
#include <span>
#include <vector>

namespace tyto::drums {

struct HpssOptions {
  double window_s = 0.093;            // STFT window (2048 samples at 22050 Hz, rounded to a power of two)
  int hop_divisor = 4;                // hop = window / hop_divisor
  double harmonic_kernel_s = 0.5;     // the median across time spans about this many seconds (toms ring ~0.2 s)
  double percussive_kernel_hz = 400;  // the median across frequency spans about this many hertz
  double power = 2;                   // mask exponent p (1: plain ratio, large: towards binary masks)
  std::function<bool()> should_stop;  // polled every few hundred frames; optional
};

struct Separated {
  std::vector<float> percussive;  // same length and rate as the input
  std::vector<float> harmonic;
};

Separated separate(std::span<const float> x, int rate, const HpssOptions& options = {});

}  // namespace tyto::drums
