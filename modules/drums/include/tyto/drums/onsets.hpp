// Onsets of percussive audio: the spectral flux of the log-compressed STFT magnitude (the rise of each
// bin from one frame to the next, summed), an adaptive threshold (the moving mean plus a margin) and
// peak picking (a local maximum, at least min_gap_s after the previous onset).
//
// The envelope also carries the flux of three bands (low < 150 Hz: kicks and toms, mid 150–5000 Hz: snares, high > 5000
// Hz: cymbals), which tempo.hpp uses to weigh kicks and snares over hi-hats and to find bar lines; the low band's is
// the rise of the linear magnitude (a kick's rise dwarfs the leakage of snares there), the others' of
// the log-compressed one, as the total.
// Errors: tyto::Error bad_request for a rate outside [8000, 96000]. Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

namespace tyto::drums {

struct OnsetOptions {
  double window_s = 0.046;          // STFT window (1024 samples at 22050 Hz, rounded to a power of two)
  double hop_s = 0.0116;            // STFT hop (256 samples at 22050 Hz)
  double compression = 100;         // log(1 + compression · |X|)
  double threshold_window_s = 0.1;  // the moving mean spans ± this
  double threshold_margin = 0.08;   // … plus this fraction of the envelope's 99th percentile
  double peak_window_s = 0.035;     // an onset is the maximum within ± this
  double min_gap_s = 0.03;          // onsets closer than this are one
  // The least flux (mean rise per bin) of an onset, whatever the song: a steady chord's window effects
  // stay under 0.07, the softest synthetic hi-hat is above 0.5.
  double min_flux = 0.1;
};

struct OnsetEnvelope {
  double frame_rate = 0;  // frames per second; frame i is centred on i / frame_rate seconds
  double latency_s = 0;   // how much later than the attack the flux peaks (subtracted from frame times)
  std::vector<float> flux, low, mid, high;  // one value per frame, ≥ 0 (flux, mid, high: per bin; low: linear)
};

struct Onset {
  double t = 0;        // seconds
  float strength = 0;  // the flux at the peak, divided by the envelope's 99th percentile (about 0–1)
};

OnsetEnvelope onset_envelope(std::span<const float> x, int rate, const OnsetOptions& options = {});
std::vector<Onset> pick_onsets(const OnsetEnvelope& envelope, const OnsetOptions& options = {});
// onset_envelope then pick_onsets.
std::vector<Onset> detect_onsets(std::span<const float> x, int rate, const OnsetOptions& options = {});

}  // namespace tyto::drums
