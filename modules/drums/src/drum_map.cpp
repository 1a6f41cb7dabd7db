#include "tyto/drums/drum_map.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tyto::drums {

using nlohmann::json;

std::string_view lane_name(Lane lane) noexcept {
  switch (lane) {
    case Lane::kKick:
      return "kick";
    case Lane::kSnare:
      return "snare";
    case Lane::kHihat:
      return "hihat";
    case Lane::kTom:
      return "tom";
    case Lane::kCrash:
      return "crash";
    case Lane::kRide:
      return "ride";
  }
  return "kick";
}

std::optional<Lane> parse_lane(std::string_view name) noexcept {
  for (Lane lane : kLanes)
    if (lane_name(lane) == name) return lane;
  return std::nullopt;
}

std::string_view difficulty_name(Difficulty d) noexcept {
  switch (d) {
    case Difficulty::kExpert:
      return "expert";
    case Difficulty::kHard:
      return "hard";
    case Difficulty::kMedium:
      return "medium";
    case Difficulty::kEasy:
      return "easy";
  }
  return "expert";
}

std::optional<Difficulty> parse_difficulty(std::string_view name) noexcept {
  for (Difficulty d : {Difficulty::kExpert, Difficulty::kHard, Difficulty::kMedium, Difficulty::kEasy})
    if (difficulty_name(d) == name) return d;
  return std::nullopt;
}

namespace {

// Times to the millisecond's tenth, velocities to three places: a map stays small and reads well.
double round_to(double v, double step) { return std::round(v / step) * step; }

}  // namespace

json to_json(const DrumMap& map) {
  json beats = json::array(), notes = json::array();
  for (double b : map.beats) beats.push_back(round_to(b, 1e-4));
  for (const auto& n : map.notes)
    notes.push_back({{"t", round_to(n.t, 1e-4)},
                     {"lane", lane_name(n.lane)},
                     {"velocity", round_to(n.velocity, 1e-3)},
                     {"confidence", round_to(n.confidence, 1e-3)}});
  return {{"format", kFormat},
          {"version", kVersion},
          {"song", {{"id", map.song_id}, {"title", map.song_title}}},
          {"audio",
           {{"object_id", map.object_id},
            {"fingerprint", map.fingerprint},
            {"duration_s", round_to(map.duration_s, 1e-3)},
            {"sample_rate", map.sample_rate}}},
          {"bpm", round_to(map.bpm, 1e-3)},
          {"time_signature", {map.beats_per_bar, map.beat_unit}},
          {"offset_s", round_to(map.offset_s, 1e-4)},
          {"beats", std::move(beats)},
          {"notes", std::move(notes)},
          {"difficulty", difficulty_name(map.difficulty)},
          {"generator", {{"name", map.generator_name}, {"version", map.generator_version}}}};
}

namespace {

constexpr std::size_t kMaxProblems = 50;

class Checker {
 public:
  explicit Checker(std::vector<std::string>& problems) : problems_(problems) {}

  bool full() const { return problems_.size() >= kMaxProblems; }
  void add(std::string problem) {
    if (!full()) problems_.push_back(std::move(problem));
  }
  // The member `key` of `obj` when it has the type `is` checks, else a problem (and nullptr).
  const json* member(const json& obj, const std::string& path, const char* key, bool (json::*is)() const noexcept,
                     const char* type) {
    const auto it = obj.find(key);
    const std::string where = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (it == obj.end()) {
      add(fmt::format("{}: missing", where));
      return nullptr;
    }
    if (!((*it).*is)()) {
      add(fmt::format("{}: must be {}", where, type));
      return nullptr;
    }
    return &*it;
  }
  void text(const json& obj, const std::string& path, const char* key, std::size_t max) {
    if (const auto* v = member(obj, path, key, &json::is_string, "a string");
        v && v->get_ref<const std::string&>().size() > max)
      add(fmt::format("{}.{}: longer than {} characters", path, key, max));
  }
  // A finite number in [lo, hi], or nullopt (with a problem).
  std::optional<double> number(const json& obj, const std::string& path, const char* key, double lo, double hi) {
    const auto* v = member(obj, path, key, &json::is_number, "a number");
    if (!v) return std::nullopt;
    return in_range(v->get<double>(), path.empty() ? key : fmt::format("{}.{}", path, key), lo, hi);
  }
  std::optional<double> in_range(double d, const std::string& where, double lo, double hi) {
    if (!std::isfinite(d) || d < lo || d > hi) {
      add(fmt::format("{}: {} is outside [{}, {}]", where, d, lo, hi));
      return std::nullopt;
    }
    return d;
  }

 private:
  std::vector<std::string>& problems_;
};

}  // namespace

std::vector<std::string> validate(const json& doc) {
  std::vector<std::string> problems;
  Checker c(problems);
  if (!doc.is_object()) return {"the map must be a JSON object"};
  if (const auto* f = c.member(doc, "", "format", &json::is_string, "a string"); f && *f != kFormat)
    c.add(fmt::format("format: must be \"{}\"", kFormat));
  if (const auto* v = c.member(doc, "", "version", &json::is_number_integer, "an integer"); v && *v != kVersion)
    c.add(fmt::format("version: {} is not supported (this reader knows version {})", v->dump(), kVersion));
  if (const auto* song = c.member(doc, "", "song", &json::is_object, "an object")) {
    c.text(*song, "song", "id", kMaxTextLength);
    c.text(*song, "song", "title", kMaxTextLength);
  }
  double duration = kMaxDurationS;
  if (const auto* audio = c.member(doc, "", "audio", &json::is_object, "an object")) {
    c.text(*audio, "audio", "object_id", kMaxTextLength);
    c.text(*audio, "audio", "fingerprint", kMaxFingerprintLength);
    if (auto d = c.number(*audio, "audio", "duration_s", 0, kMaxDurationS)) duration = *d;
    if (const auto* r = c.member(*audio, "audio", "sample_rate", &json::is_number_integer, "an integer"))
      c.in_range(r->get<double>(), "audio.sample_rate", 0, 192000);
  }
  c.number(doc, "", "bpm", 20, 400);
  if (const auto* ts = c.member(doc, "", "time_signature", &json::is_array, "an array [beats, unit]")) {
    if (ts->size() != 2 || !(*ts)[0].is_number_integer() || !(*ts)[1].is_number_integer())
      c.add("time_signature: must be two integers [beats, unit]");
    else {
      const auto beats = (*ts)[0].get<long>(), unit = (*ts)[1].get<long>();
      if (beats < 1 || beats > 16) c.add(fmt::format("time_signature[0]: {} beats is outside [1, 16]", beats));
      if (unit != 2 && unit != 4 && unit != 8 && unit != 16)
        c.add(fmt::format("time_signature[1]: {} is not a note value (2, 4, 8, 16)", unit));
    }
  }
  const double t_max = duration + 1;  // a note may ring on a second past the audio's end
  c.number(doc, "", "offset_s", 0, t_max);
  if (const auto* beats = c.member(doc, "", "beats", &json::is_array, "an array of times")) {
    if (beats->size() > kMaxBeats) c.add(fmt::format("beats: {} beats, more than {}", beats->size(), kMaxBeats));
    double last = -1;
    for (std::size_t i = 0; i < beats->size() && i < kMaxBeats && !c.full(); ++i) {
      const auto& b = (*beats)[i];
      const auto where = fmt::format("beats[{}]", i);
      if (!b.is_number()) {
        c.add(where + ": must be a number");
        continue;
      }
      if (auto t = c.in_range(b.get<double>(), where, 0, t_max)) {
        if (*t <= last) c.add(fmt::format("{}: {} is not after the beat before it ({})", where, *t, last));
        last = *t;
      }
    }
  }
  if (const auto* notes = c.member(doc, "", "notes", &json::is_array, "an array of notes")) {
    if (notes->size() > kMaxNotes) c.add(fmt::format("notes: {} notes, more than {}", notes->size(), kMaxNotes));
    double last = -1;
    for (std::size_t i = 0; i < notes->size() && i < kMaxNotes && !c.full(); ++i) {
      const auto& n = (*notes)[i];
      const auto where = fmt::format("notes[{}]", i);
      if (!n.is_object()) {
        c.add(where + ": must be an object");
        continue;
      }
      if (auto t = c.number(n, where, "t", 0, t_max)) {
        if (*t < last)
          c.add(fmt::format("{}.t: {} is before the note before it ({}): notes must be sorted by t", where, *t, last));
        last = *t;
      }
      if (const auto* lane = c.member(n, where, "lane", &json::is_string, "a string");
          lane && !parse_lane(lane->get_ref<const std::string&>()))
        c.add(fmt::format("{}.lane: unknown lane {} (kick, snare, hihat, tom, crash, ride)", where, lane->dump()));
      c.number(n, where, "velocity", 0, 1);
      c.number(n, where, "confidence", 0, 1);
    }
  }
  if (const auto* d = c.member(doc, "", "difficulty", &json::is_string, "a string");
      d && !parse_difficulty(d->get_ref<const std::string&>()))
    c.add(fmt::format("difficulty: unknown difficulty {} (expert, hard, medium, easy)", d->dump()));
  if (const auto* g = c.member(doc, "", "generator", &json::is_object, "an object")) {
    c.text(*g, "generator", "name", kMaxTextLength);
    c.text(*g, "generator", "version", kMaxTextLength);
  }
  return problems;
}

DrumMap from_json(const json& doc) {
  if (auto problems = validate(doc); !problems.empty())
    throw Error(ErrorCode::kValidationFailed, fmt::format("not a drum map: {}", problems.front()),
                {{"problems", problems}});
  DrumMap m;
  m.song_id = doc["song"]["id"];
  m.song_title = doc["song"]["title"];
  const auto& audio = doc["audio"];
  m.object_id = audio["object_id"];
  m.fingerprint = audio["fingerprint"];
  m.duration_s = audio["duration_s"];
  m.sample_rate = audio["sample_rate"];
  m.bpm = doc["bpm"];
  m.beats_per_bar = doc["time_signature"][0];
  m.beat_unit = doc["time_signature"][1];
  m.offset_s = doc["offset_s"];
  m.beats = doc["beats"].get<std::vector<double>>();
  for (const auto& n : doc["notes"])
    m.notes.push_back({n["t"].get<double>(), *parse_lane(n["lane"].get_ref<const std::string&>()),
                       n["velocity"].get<float>(), n["confidence"].get<float>()});
  m.difficulty = *parse_difficulty(doc["difficulty"].get_ref<const std::string&>());
  m.generator_name = doc["generator"]["name"];
  m.generator_version = doc["generator"]["version"];
  return m;
}

}  // namespace tyto::drums
