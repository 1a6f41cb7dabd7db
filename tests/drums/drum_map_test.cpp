// The map format: JSON round trip, and what validate() refuses in a community edit.
#include "tyto/drums/drum_map.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "tyto/core/error.hpp"

using namespace tyto;
using namespace tyto::drums;
using nlohmann::json;

namespace {

DrumMap sample_map() {
  DrumMap m;
  m.song_id = "song-1";
  m.song_title = "Synthetic Loop";
  m.object_id = "obj-9";
  m.fingerprint = "AQAAT0mUaEkSRZEGAA";
  m.duration_s = 12.5;
  m.sample_rate = 22050;
  m.bpm = 120;
  m.offset_s = 0.5;
  for (int i = 0; i < 20; ++i) m.beats.push_back(0.5 + 0.5 * i);
  m.notes = {{0.5, Lane::kKick, 0.9f, 0.8f},   {0.5, Lane::kHihat, 0.6f, 0.7f}, {0.75, Lane::kHihat, 0.3f, 0.55f},
             {1.0, Lane::kSnare, 1.0f, 0.95f}, {1.25, Lane::kTom, 0.7f, 0.6f},  {1.5, Lane::kCrash, 0.8f, 0.9f},
             {1.75, Lane::kRide, 0.5f, 1.0f}};
  return m;
}

// Whether some problem mentions `text`.
bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("A drum map survives a JSON round trip", "[drums][map]") {
  const DrumMap m = sample_map();
  const json doc = to_json(m);
  CHECK(doc["format"] == "tyto.drum_map");
  CHECK(doc["version"] == 1);
  CHECK(doc["time_signature"] == json::array({4, 4}));
  CHECK(doc["notes"][0]["lane"] == "kick");
  CHECK(doc["difficulty"] == "expert");
  CHECK(doc["generator"]["name"] == "tyto.drums");
  CHECK(validate(doc).empty());

  const DrumMap back = from_json(json::parse(doc.dump()));
  CHECK(back.song_id == m.song_id);
  CHECK(back.song_title == m.song_title);
  CHECK(back.object_id == m.object_id);
  CHECK(back.fingerprint == m.fingerprint);
  CHECK(back.duration_s == m.duration_s);
  CHECK(back.sample_rate == m.sample_rate);
  CHECK(back.bpm == m.bpm);
  CHECK(back.beats == m.beats);
  REQUIRE(back.notes.size() == m.notes.size());
  for (std::size_t i = 0; i < m.notes.size(); ++i) {
    CHECK(back.notes[i].t == Approx(m.notes[i].t).margin(1e-4));
    CHECK(back.notes[i].lane == m.notes[i].lane);
    CHECK(back.notes[i].velocity == Approx(m.notes[i].velocity).margin(1e-3));
    CHECK(back.notes[i].confidence == Approx(m.notes[i].confidence).margin(1e-3));
  }
  CHECK(to_json(back) == doc);
}

TEST_CASE("validate() names each problem of a bad map, and from_json refuses it", "[drums][map]") {
  const json good = to_json(sample_map());
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* problem;
  };
  const std::vector<Case> cases = {
      {"another format", [](json& d) { d["format"] = "osu"; }, "format"},
      {"a newer version", [](json& d) { d["version"] = 2; }, "version: 2 is not supported"},
      {"a missing song", [](json& d) { d.erase("song"); }, "song: missing"},
      {"a title that is a number", [](json& d) { d["song"]["title"] = 7; }, "song.title: must be a string"},
      {"an unknown lane", [](json& d) { d["notes"][2]["lane"] = "cowbell"; },
       "notes[2].lane: unknown lane \"cowbell\""},
      {"a velocity above 1", [](json& d) { d["notes"][1]["velocity"] = 1.5; }, "notes[1].velocity"},
      {"a negative confidence", [](json& d) { d["notes"][0]["confidence"] = -0.1; }, "notes[0].confidence"},
      {"unsorted notes", [](json& d) { d["notes"][3]["t"] = 0.1; }, "notes must be sorted"},
      {"a note after the audio", [](json& d) { d["notes"][6]["t"] = 99.0; }, "notes[6].t"},
      {"a note without a time", [](json& d) { d["notes"][4].erase("t"); }, "notes[4].t: missing"},
      {"a time signature of 4/5",
       [](json& d) {
         d["time_signature"] = {4, 5};
       },
       "time_signature[1]"},
      {"a bpm of 1000", [](json& d) { d["bpm"] = 1000; }, "bpm"},
      {"beats out of order", [](json& d) { d["beats"][5] = 0.1; }, "beats[5]"},
      {"an unknown difficulty", [](json& d) { d["difficulty"] = "insane"; }, "difficulty: unknown"},
      {"too many notes",
       [](json& d) {
         json notes = json::array();
         for (std::size_t i = 0; i <= kMaxNotes; ++i)
           notes.push_back({{"t", 1.0}, {"lane", "kick"}, {"velocity", 1}, {"confidence", 1}});
         d["notes"] = notes;
       },
       "more than 100000"},
      {"an overlong title", [](json& d) { d["song"]["title"] = std::string(kMaxTextLength + 1, 'x'); }, "longer than"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    json doc = good;
    c.edit(doc);
    const auto problems = validate(doc);
    INFO((problems.empty() ? std::string("no problems") : problems.front()));
    CHECK(mentions(problems, c.problem));
    try {
      from_json(doc);
      FAIL("from_json took it");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(e.details()["problems"].size() == problems.size());
    }
  }
  CHECK(validate(json::array()) == std::vector<std::string>{"the map must be a JSON object"});
  // Many problems are reported up to a limit, not without end.
  json bad = good;
  for (auto& n : bad["notes"]) n["lane"] = "cowbell";
  for (int i = 0; i < 100; ++i)
    bad["notes"].push_back({{"t", 2.0}, {"lane", "cowbell"}, {"velocity", 2}, {"confidence", 1}});
  CHECK(validate(bad).size() == 50);
}
