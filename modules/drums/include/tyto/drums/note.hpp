// The lanes of a drum map and one note on them, shared by the transcriber and the map format.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace tyto::drums {

// A drum game's lanes. The transcriber emits kick, snare, hihat, tom and crash; ride is part of the
// format (a community edit may use it) but is never transcribed (docs/modules/drums.md, "Limits").
enum class Lane { kKick, kSnare, kHihat, kTom, kCrash, kRide };

inline constexpr std::array<Lane, 6> kLanes = {Lane::kKick, Lane::kSnare, Lane::kHihat,
                                               Lane::kTom,  Lane::kCrash, Lane::kRide};

// "kick", "snare", "hihat", "tom", "crash", "ride".
std::string_view lane_name(Lane lane) noexcept;
// The lane of a name lane_name gives, or nullopt.
std::optional<Lane> parse_lane(std::string_view name) noexcept;

struct Note {
  double t = 0;  // seconds from the start of the audio
  Lane lane = Lane::kKick;
  float velocity = 1;    // 0–1: how hard the drum was hit, relative to the song's hardest hits
  float confidence = 1;  // 0–1: how sure the transcriber is (1 for notes a person placed)
};

}  // namespace tyto::drums
