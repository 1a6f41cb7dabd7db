#include "evaluate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tyto::drums::test {

Evaluation& Evaluation::operator+=(const Evaluation& o) {
  onsets += o.onsets;
  for (std::size_t k = 0; k < lanes.size(); ++k) lanes[k] += o.lanes[k];
  notes += o.notes;
  lane_sets += o.lane_sets;
  lane_sets_right += o.lane_sets_right;
  return *this;
}

Evaluation evaluate(const Song& song, const Generated& g) {
  Evaluation e;
  // Distinct hit times (hits within 10 ms are one onset) and the lanes sounding at each.
  std::vector<std::pair<double, std::set<Lane>>> truth;
  for (const auto& h : song.hits) {
    if (truth.empty() || h.t - truth.back().first > 0.01) truth.push_back({h.t, {}});
    truth.back().second.insert(h.lane);
  }
  std::vector<double> ref_times, det_times;
  for (const auto& [t, lanes] : truth) ref_times.push_back(t);
  for (const auto& o : g.onsets) det_times.push_back(o.t);
  e.onsets = match_times(ref_times, det_times);

  const auto& notes = g.expert.notes;
  for (Lane lane : kLanes) {
    std::vector<double> r, d;
    for (const auto& h : song.hits)
      if (h.lane == lane) r.push_back(h.t);
    for (const auto& n : notes)
      if (n.lane == lane) d.push_back(n.t);
    e.lanes[static_cast<std::size_t>(lane)] = match_times(r, d);
    e.notes += e.lanes[static_cast<std::size_t>(lane)];
  }
  // Lane sets: for each true onset with map notes within ±50 ms, are the lanes there exactly the truth's?
  for (const auto& [t, lanes] : truth) {
    std::set<Lane> found;
    for (const auto& n : notes)
      if (std::abs(n.t - t) <= 0.05) found.insert(n.lane);
    if (found.empty()) continue;
    ++e.lane_sets;
    if (found == lanes) ++e.lane_sets_right;
  }
  const double bpm = song.spec.bpm;
  e.bpm = g.expert.bpm;
  auto within = [&](double factor) { return std::abs(g.expert.bpm - bpm * factor) <= 0.04 * bpm * factor; };
  e.acc1 = within(1);
  e.acc2 = e.acc1 || within(2) || within(0.5) || within(3) || within(1.0 / 3);
  e.metre = g.expert.beats_per_bar == song.spec.beats_per_bar;
  // The map's bars start at beats[0]: is the song's first downbeat one of the map's bar starts?
  const auto& beats = g.expert.beats;
  for (std::size_t i = 0; i < beats.size(); i += static_cast<std::size_t>(std::max(1, g.expert.beats_per_bar)))
    if (std::abs(beats[i] - song.downbeats.front()) <= 0.07) e.downbeat = true;
  return e;
}

std::string describe(const Evaluation& e) {
  std::string out = fmt::format("onsets F {:.3f} (P {:.3f} R {:.3f}); notes F {:.3f}; lane accuracy {:.3f}\n",
                                e.onsets.f(), e.onsets.precision(), e.onsets.recall(), e.notes.f(), e.lane_accuracy());
  for (Lane lane : kLanes) {
    const auto& s = e.lanes[static_cast<std::size_t>(lane)];
    if (s.hits + s.misses + s.false_alarms == 0) continue;
    out += fmt::format("  {:<6} F {:.3f} (P {:.3f} R {:.3f}; {} true)\n", lane_name(lane), s.f(), s.precision(),
                       s.recall(), s.hits + s.misses);
  }
  return out;
}

}  // namespace tyto::drums::test
