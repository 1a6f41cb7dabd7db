#include "map_file.hpp"

#include "tyto/core/error.hpp"
#include "tyto/drums/drum_map.hpp"
#include "tyto/drums/quantise.hpp"
#include "tyto/drums/retime.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tyto::products::music {

using nlohmann::json;

json map_file(const drums::DrumMap& map, const Song& song, const std::string& audio_object_id,
              const std::string& fingerprint_hash) {
  drums::DrumMap named = map;
  named.song_id = song.id;
  named.song_title = song.title;
  named.object_id = audio_object_id;
  named.fingerprint = fingerprint_hash;
  return drums::to_json(named);
}

json derive(const json& file, const std::string& difficulty, const std::optional<Alignment>& alignment) {
  const auto level = drums::parse_difficulty(difficulty);
  if (!level) {
    throw Error(ErrorCode::kValidationFailed, "unknown difficulty",
                {{"fields", {{"difficulty", "one of expert, hard, medium, easy"}}}});
  }
  if (difficulty == file.value("difficulty", "expert") && !alignment) return file;
  auto map = drums::from_json(file);
  if (*level != drums::Difficulty::kExpert) map = drums::thin(map, *level);
  if (alignment) map = drums::retime(map, alignment->offset_s, alignment->ratio);
  json out = drums::to_json(map);
  for (const char* keep : {"song", "audio"}) {
    if (file.contains(keep)) out[keep] = file[keep];
  }
  if (alignment) out["ported"] = {{"offset_s", alignment->offset_s}, {"ratio", alignment->ratio}};
  return out;
}

std::vector<std::string> map_problems(const json& file) { return drums::validate(file); }

std::string wav_bytes(std::span<const float> samples, int rate) {
  std::string out;
  const auto put = [&](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto data = static_cast<std::uint32_t>(samples.size() * 2);
  out += "RIFF";
  put(36 + data, 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(static_cast<std::uint32_t>(rate), 4);
  put(static_cast<std::uint32_t>(rate) * 2, 4);
  put(2, 2);
  put(16, 2);
  out += "data";
  put(data, 4);
  for (const float s : samples) {
    const auto v = static_cast<std::int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f));
    put(static_cast<std::uint16_t>(v), 2);
  }
  return out;
}

json lane_counts(const json& file) {
  json counts = json::object();
  for (const auto& n : file.value("notes", json::array())) {
    const auto lane = n.value("lane", "");
    counts[lane] = counts.value(lane, 0) + 1;
  }
  return counts;
}

int uncertain_count(const json& file) {
  int n = 0;
  for (const auto& note : file.value("notes", json::array())) n += note.value("confidence", 1.0) < 0.5;
  return n;
}

}  // namespace tyto::products::music
