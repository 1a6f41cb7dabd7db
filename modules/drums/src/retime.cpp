#include "tyto/drums/retime.hpp"

#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"
#include "tyto/fingerprint/audio_match.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tyto::drums {

DrumMap retime(const DrumMap& map, double offset_s, double ratio) {
  if (!(ratio > 0) || !std::isfinite(ratio) || !std::isfinite(offset_s))
    throw Error(ErrorCode::kBadRequest, fmt::format("retime: a ratio of {} (must be > 0)", ratio),
                {{"reason", "bad_ratio"}});
  DrumMap m = map;
  auto move = [&](double t) { return offset_s + ratio * t; };
  m.beats.clear();
  for (double b : map.beats)
    if (move(b) >= 0) m.beats.push_back(move(b));
  m.notes.clear();
  for (const auto& n : map.notes)
    if (move(n.t) >= 0) m.notes.push_back({move(n.t), n.lane, n.velocity, n.confidence});
  m.bpm = map.bpm / ratio;
  m.duration_s = map.duration_s * ratio;
  m.offset_s = m.beats.empty() ? std::max(0.0, move(map.offset_s)) : m.beats.front();
  return m;
}

namespace {

// The new fingerprint's items resampled onto the reference's time scale: item i of the result is the new
// recording's item nearest to i · ratio.
std::vector<std::uint32_t> rescale(const std::vector<std::uint32_t>& fp, double ratio) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0;; ++i) {
    const auto at = static_cast<std::size_t>(std::lround(static_cast<double>(i) * ratio));
    if (at >= fp.size()) break;
    out.push_back(fp[at]);
  }
  return out;
}

struct Candidate {
  double ratio = 1;
  fingerprint::Alignment alignment;
};

std::optional<Candidate> try_ratio(const std::vector<std::uint32_t>& reference, const std::vector<std::uint32_t>& fresh,
                                   double ratio) {
  auto a = fingerprint::align(rescale(fresh, ratio), reference);
  if (!a) return std::nullopt;
  return Candidate{ratio, *a};
}

}  // namespace

std::optional<AlignmentEstimate> estimate_alignment(const std::vector<std::uint32_t>& reference_fp,
                                                    const std::vector<std::uint32_t>& new_fp,
                                                    const AlignmentOptions& o) {
  std::optional<Candidate> best;
  auto consider = [&](double ratio) {
    auto c = try_ratio(reference_fp, new_fp, ratio);
    if (c && (!best || c->alignment.score > best->alignment.score)) best = c;
  };
  for (double r = o.min_ratio; r <= o.max_ratio + 1e-9; r += o.coarse_step) consider(r);
  if (!best) return std::nullopt;
  const double centre = best->ratio;
  for (double r = centre - o.coarse_step; r <= centre + o.coarse_step + 1e-9; r += o.fine_step)
    if (r >= o.min_ratio && r <= o.max_ratio) consider(r);
  if (best->alignment.score < o.min_score) return std::nullopt;
  // The resampled item 0 is the new recording's time 0; it aligns with reference item `offset`, so the
  // reference's time 0 sits at −offset items on the resampled (reference) scale: t_new = ratio · (t + offset·item).
  AlignmentEstimate e;
  e.ratio = best->ratio;
  e.offset_s = -best->ratio * best->alignment.offset * fingerprint::kItemSeconds;
  e.score = best->alignment.score;
  return e;
}

}  // namespace tyto::drums
