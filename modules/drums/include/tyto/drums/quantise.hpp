// Snapping notes to the beat grid, and the easier difficulty levels.
//
// Quantisation divides each beat (between two tracked beats, so a drifting tempo is followed) into
// `subdivisions` steps (4: sixteenths) or, when the song swings, into thirds (triplet eighths). Notes
// before the first or after the last beat are snapped with the nearest beat's period. Two notes of a
// lane that land on the same step become one (the louder).
//
// Thinning: each level keeps a subset of the level above it, so easy ⊂ medium ⊂ hard ⊂ expert:
//   hard    drops hi-hats off the eighth-note grid and notes with confidence < 0.4
//   medium  keeps kicks and snares on eighths, hi-hats and crashes on beats, toms on beats
//   easy    keeps kicks and snares on beats, crashes on downbeats
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "tyto/drums/drum_map.hpp"

namespace tyto::drums {

struct QuantiseOptions {
  int subdivisions = 4;          // steps per beat without swing
  double swing_min_share = 0.6;  // of off-beat notes near 2/3 of a beat (not 1/2) for the song to swing
};

// Whether the notes between beats fall on triplet positions (2/3 of a beat) rather than halves.
bool detect_swing(std::span<const Note> notes, std::span<const double> beats, const QuantiseOptions& options = {});

// The notes snapped to the grid, sorted by time then lane. Without beats, the notes unchanged.
std::vector<Note> quantise(std::span<const Note> notes, std::span<const double> beats,
                           const QuantiseOptions& options = {});

// Where `t` falls in beats: 0 at the first beat, 1.5 halfway between the second and third.
double beat_position(double t, std::span<const double> beats);

// An easier map: `expert`'s notes that the level keeps (each level from the one above it), the rest of
// the map unchanged but its difficulty. thin(map, kExpert) is the map.
DrumMap thin(const DrumMap& expert, Difficulty level);

}  // namespace tyto::drums
