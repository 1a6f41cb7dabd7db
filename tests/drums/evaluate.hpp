// Scoring a generated drum map against a synthesised song's ground truth: onset and per-lane F-measures
// (±50 ms), lane accuracy, tempo (ACC1: within 4 %; ACC2: also at ×2, ×½, ×3, ×⅓), metre and downbeats.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "synth.hpp"
#include "tyto/drums/generate.hpp"

namespace tyto::drums::test {

struct Evaluation {
  Score onsets;                            // detected onsets against the distinct hit times
  std::array<Score, kLanes.size()> lanes;  // the expert map's notes per lane
  Score notes;                             // all (time, lane) pairs
  int lane_sets = 0, lane_sets_right = 0;  // matched onsets, and those whose set of lanes is exact
  bool acc1 = false, acc2 = false;         // tempo
  bool metre = false;                      // beats per bar
  bool downbeat = false;                   // the map's first beat is one of the song's downbeats
  double bpm = 0;

  Evaluation& operator+=(const Evaluation& o);
  double lane_accuracy() const { return lane_sets ? static_cast<double>(lane_sets_right) / lane_sets : 0; }
};

Evaluation evaluate(const Song& song, const Generated& generated);

// One line per lane: "kick F 0.97 (P 0.98 R 0.96)".
std::string describe(const Evaluation& e);

}  // namespace tyto::drums::test
