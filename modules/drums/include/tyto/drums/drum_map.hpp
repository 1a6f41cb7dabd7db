// The drum map: what a drum game plays, as versioned JSON (docs/modules/drums.md, "The map format").
//
//   {"format": "tyto.drum_map", "version": 1,
//    "song": {"id": "…", "title": "…"},                         filled by the caller
//    "audio": {"object_id": "…", "fingerprint": "…",            filled by the caller
//              "duration_s": 183.2, "sample_rate": 22050},
//    "bpm": 120.0, "time_signature": [4, 4], "offset_s": 0.52,   offset_s: the first beat
//    "beats": [0.52, 1.02, …],
//    "notes": [{"t": 0.52, "lane": "kick", "velocity": 0.9, "confidence": 0.8}, …],   sorted by t
//    "difficulty": "expert", "generator": {"name": "tyto.drums", "version": "1"}}
//
// A reader accepts version 1 only; a change that an old reader would misread raises the version.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tyto/drums/note.hpp"

namespace tyto::drums {

inline constexpr std::string_view kFormat = "tyto.drum_map";
inline constexpr int kVersion = 1;
inline constexpr std::string_view kGeneratorName = "tyto.drums";
inline constexpr std::string_view kGeneratorVersion = "1";

// What validate() allows.
inline constexpr double kMaxDurationS = 3600;
inline constexpr std::size_t kMaxNotes = 100000;
inline constexpr std::size_t kMaxBeats = 20000;
inline constexpr std::size_t kMaxTextLength = 500;  // song id/title, audio object_id, generator fields
inline constexpr std::size_t kMaxFingerprintLength = 200000;

enum class Difficulty { kExpert, kHard, kMedium, kEasy };

std::string_view difficulty_name(Difficulty d) noexcept;  // "expert", "hard", "medium", "easy"
std::optional<Difficulty> parse_difficulty(std::string_view name) noexcept;

struct DrumMap {
  std::string song_id, song_title;
  std::string object_id, fingerprint;
  double duration_s = 0;
  int sample_rate = 0;
  double bpm = 0;
  int beats_per_bar = 4, beat_unit = 4;  // "time_signature": [beats_per_bar, beat_unit]
  double offset_s = 0;                   // the first beat (0 without beats)
  std::vector<double> beats;
  std::vector<Note> notes;  // sorted by t
  Difficulty difficulty = Difficulty::kExpert;
  std::string generator_name{kGeneratorName}, generator_version{kGeneratorVersion};
};

nlohmann::json to_json(const DrumMap& map);

// The map a JSON document describes. Throws tyto::Error validation_failed (details.problems: what
// validate() found) for a document validate() rejects.
DrumMap from_json(const nlohmann::json& doc);

// What is wrong with a document (a community edit, say) as human-readable problems, each naming its
// field ("notes[3].lane: unknown lane \"cowbell\""); empty when it is a valid map. Checks types, ranges
// (velocity and confidence 0–1, times within the audio, bpm 20–400, time signature), that beats and notes
// are sorted by time, known lanes and difficulties, and the size limits above. Reports at most 50.
std::vector<std::string> validate(const nlohmann::json& doc);

}  // namespace tyto::drums
