// The map file as the catalog stores and serves it: the drum module's map (docs/modules/drums.md, format
// "tyto.drum_map") with the song and its audio filled in, and what the catalog derives from one (a difficulty,
// a port onto another recording), plus the WAV form of a percussive stem.
#pragma once

#include "store.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>

namespace tyto::drums {
struct DrumMap;
}

namespace tyto::products::music {

// The stored file of a generated map: the module's JSON with song {id, title} and audio {object_id, fingerprint
// (the sha256 of the recording's Chromaprint fingerprint)} set.
nlohmann::json map_file(const drums::DrumMap& map, const Song& song, const std::string& audio_object_id,
                        const std::string& fingerprint_hash);

// Where an upload sits against a map's reference recording: upload time = offset_s + ratio · reference time.
struct Alignment {
  double offset_s = 0;
  double ratio = 1;
};

// The file served for one request: at a difficulty derived by thinning ("expert" (as stored), "hard", "medium",
// "easy"), and retimed onto another recording when an alignment is given. Throws Error(kValidationFailed) for
// an unknown difficulty.
nlohmann::json derive(const nlohmann::json& file, const std::string& difficulty,
                      const std::optional<Alignment>& alignment);

// Problems of a map file a fix produced (the module's validate), empty when it is valid.
std::vector<std::string> map_problems(const nlohmann::json& file);

// 16-bit mono PCM WAV bytes of samples in [-1, 1].
std::string wav_bytes(std::span<const float> samples, int rate);

nlohmann::json lane_counts(const nlohmann::json& file);  // {"kick": 120, …}
int uncertain_count(const nlohmann::json& file);         // notes with confidence < 0.5

}  // namespace tyto::products::music
