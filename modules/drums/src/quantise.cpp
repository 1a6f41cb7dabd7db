#include "tyto/drums/quantise.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace tyto::drums {
namespace {

// The time at a beat position (beat_position's inverse).
double time_at(double pos, std::span<const double> beats) {
  const auto n = static_cast<long>(beats.size());
  if (pos <= 0) return beats[0] + pos * (beats[1] - beats[0]);
  if (pos >= static_cast<double>(n - 1))
    return beats[static_cast<std::size_t>(n - 1)] +
           (pos - static_cast<double>(n - 1)) *
               (beats[static_cast<std::size_t>(n - 1)] - beats[static_cast<std::size_t>(n - 2)]);
  const auto k = static_cast<std::size_t>(std::floor(pos));
  return beats[k] + (pos - static_cast<double>(k)) * (beats[k + 1] - beats[k]);
}

bool near_grid(double pos, double steps, double tolerance) {
  const double x = pos * steps;
  return std::abs(x - std::round(x)) < tolerance * steps;
}

bool lane_is(const Note& n, std::initializer_list<Lane> lanes) {
  return std::find(lanes.begin(), lanes.end(), n.lane) != lanes.end();
}

}  // namespace

double beat_position(double t, std::span<const double> beats) {
  if (beats.size() < 2) return t;
  const auto it = std::upper_bound(beats.begin(), beats.end(), t);
  if (it == beats.begin()) return (t - beats[0]) / (beats[1] - beats[0]);
  const auto k = static_cast<std::size_t>(it - beats.begin()) - 1;
  if (k + 1 >= beats.size()) return static_cast<double>(k) + (t - beats[k]) / (beats[k] - beats[k - 1]);
  return static_cast<double>(k) + (t - beats[k]) / (beats[k + 1] - beats[k]);
}

bool detect_swing(std::span<const Note> notes, std::span<const double> beats, const QuantiseOptions& options) {
  if (beats.size() < 4) return false;
  int straight = 0, triplet = 0;
  for (const auto& n : notes) {
    const double pos = beat_position(n.t, beats);
    const double frac = pos - std::floor(pos);
    if (std::abs(frac - 0.5) < 0.04 || std::abs(frac - 0.75) < 0.04 || std::abs(frac - 0.25) < 0.04) ++straight;
    if (std::abs(frac - 2.0 / 3) < 0.04) ++triplet;
  }
  return triplet >= 8 && triplet >= options.swing_min_share * (straight + triplet);
}

std::vector<Note> quantise(std::span<const Note> notes, std::span<const double> beats, const QuantiseOptions& options) {
  std::vector<Note> out(notes.begin(), notes.end());
  if (beats.size() < 2) return out;
  const double steps = detect_swing(notes, beats, options) ? 3.0 : std::max(1, options.subdivisions);
  // (grid step, lane) → the note kept there.
  std::map<std::pair<long, int>, Note> kept;
  for (const auto& n : notes) {
    const long step = std::lround(beat_position(n.t, beats) * steps);
    Note q = n;
    q.t = std::max(0.0, time_at(static_cast<double>(step) / steps, beats));
    const auto key = std::make_pair(step, static_cast<int>(n.lane));
    auto [it, fresh] = kept.try_emplace(key, q);
    if (!fresh) {
      it->second.velocity = std::max(it->second.velocity, q.velocity);
      it->second.confidence = std::max(it->second.confidence, q.confidence);
    }
  }
  out.clear();
  for (const auto& [key, n] : kept) out.push_back(n);  // ordered by step, then lane
  return out;
}

DrumMap thin(const DrumMap& expert, Difficulty level) {
  DrumMap m = expert;
  m.difficulty = level;
  if (level == Difficulty::kExpert) return m;
  const std::span<const double> beats(m.beats);
  const int bar = std::max(1, m.beats_per_bar);
  auto keep_for = [&](const Note& n, Difficulty d) {
    const double pos = beat_position(n.t, beats);
    const bool on_beat = beats.size() < 2 || near_grid(pos, 1, 0.06);
    const bool on_eighth = beats.size() < 2 || near_grid(pos, 2, 0.06);
    const bool downbeat = on_beat && (beats.size() < 2 || std::lround(pos) % bar == 0);
    if (downbeat && lane_is(n, {Lane::kKick, Lane::kSnare})) return true;  // the backbone stays at every level
    switch (d) {
      case Difficulty::kExpert:
        return true;
      case Difficulty::kHard:
        return n.confidence >= 0.4f && (n.lane != Lane::kHihat || on_eighth);
      case Difficulty::kMedium:
        return lane_is(n, {Lane::kKick, Lane::kSnare}) ? on_eighth : on_beat;
      case Difficulty::kEasy:
        return lane_is(n, {Lane::kKick, Lane::kSnare}) ? on_beat : n.lane == Lane::kCrash && downbeat;
    }
    return false;
  };
  std::vector<Note> notes = m.notes;
  for (Difficulty d : {Difficulty::kHard, Difficulty::kMedium, Difficulty::kEasy}) {
    std::erase_if(notes, [&](const Note& n) { return !keep_for(n, d); });
    if (d == level) break;
  }
  m.notes = std::move(notes);
  return m;
}

}  // namespace tyto::drums
