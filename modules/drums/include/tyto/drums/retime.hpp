// Map portability: a drum map made on one recording of a song moved onto another (a remaster, a
// different upload with silence before it, a version played slightly faster).
//
// The relation between the two recordings is t_new = offset_s + ratio · t_reference (ratio > 1: the new
// one is slower). estimate_alignment finds it from the two recordings' Chromaprint fingerprints
// (modules/fingerprint/audio): for each candidate ratio the new fingerprint's items are resampled onto
// the reference's time scale and aligned (tyto::fingerprint::align); the best ratio of a coarse search is
// refined on a finer grid. Precision: the offset to about one fingerprint item (0.124 s), the ratio to
// about 0.002 (docs/modules/drums.md). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tyto/drums/drum_map.hpp"

namespace tyto::drums {

// The map on the new recording: every note and beat at offset_s + ratio · t, bpm / ratio, duration_s ·
// ratio (the caller may set the new recording's own). Notes and beats that land before 0 are dropped.
// Throws tyto::Error bad_request for a ratio ≤ 0.
DrumMap retime(const DrumMap& map, double offset_s, double ratio);

struct AlignmentOptions {
  double min_ratio = 0.85, max_ratio = 1.15;
  double coarse_step = 0.005, fine_step = 0.0005;
  double min_score = 0.5;  // below it (fingerprint score, 0–1) there is no alignment (unrelated music: ≤ 0.37)
};

struct AlignmentEstimate {
  double offset_s = 0;  // t_new = offset_s + ratio · t_reference
  double ratio = 1;
  double score = 0;  // the fingerprint alignment's score at the best ratio (1: identical)
};

// nullopt when no ratio aligns the fingerprints with at least min_score (different songs, or too short:
// fewer than about 5 s overlapping).
std::optional<AlignmentEstimate> estimate_alignment(const std::vector<std::uint32_t>& reference_fp,
                                                    const std::vector<std::uint32_t>& new_fp,
                                                    const AlignmentOptions& options = {});

}  // namespace tyto::drums
