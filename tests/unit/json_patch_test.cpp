#include "tyto/core/json_patch.hpp"

#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

// The code and details of the tyto::Error `fn` throws (fails the test when it throws nothing).
template <typename Fn>
std::pair<tyto::ErrorCode, json> error_of(Fn&& fn) {
  try {
    fn();
  } catch (const tyto::Error& e) {
    return {e.code(), e.details()};
  }
  FAIL("no tyto::Error thrown");
  return {};
}

json notes(int n) {
  json out = json::array();
  for (int i = 0; i < n; ++i) out.push_back({{"t", i * 100}, {"lane", i % 4}});
  return out;
}

json map_doc() { return {{"title", "Song"}, {"bpm", 120}, {"meta", {{"difficulty", "hard"}}}, {"notes", notes(6)}}; }

}  // namespace

TEST_CASE("JSON Patch applies the examples of RFC 6902 appendix A", "[core][json_patch]") {
  // A.1 – A.16, in order, as {document, patch, expected result or null for an error}.
  const std::vector<std::tuple<json, json, json>> cases = {
      {R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/baz","value":"qux"}])"_json,
       R"({"baz":"qux","foo":"bar"})"_json},
      {R"({"foo":["bar","baz"]})"_json, R"([{"op":"add","path":"/foo/1","value":"qux"}])"_json,
       R"({"foo":["bar","qux","baz"]})"_json},
      {R"({"baz":"qux","foo":"bar"})"_json, R"([{"op":"remove","path":"/baz"}])"_json, R"({"foo":"bar"})"_json},
      {R"({"foo":["bar","qux","baz"]})"_json, R"([{"op":"remove","path":"/foo/1"}])"_json,
       R"({"foo":["bar","baz"]})"_json},
      {R"({"baz":"qux","foo":"bar"})"_json, R"([{"op":"replace","path":"/baz","value":"boo"}])"_json,
       R"({"baz":"boo","foo":"bar"})"_json},
      {R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"_json,
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"_json,
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"_json},
      {R"({"foo":["all","grass","cows","eat"]})"_json, R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"_json,
       R"({"foo":["all","cows","eat","grass"]})"_json},
      {R"({"baz":"qux","foo":["a",2,"c"]})"_json,
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])"_json,
       R"({"baz":"qux","foo":["a",2,"c"]})"_json},
      {R"({"baz":"qux"})"_json, R"([{"op":"test","path":"/baz","value":"bar"}])"_json, nullptr},
      {R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"_json,
       R"({"foo":"bar","child":{"grandchild":{}}})"_json},
      {R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"_json,
       R"({"foo":"bar","baz":"qux"})"_json},
      {R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/baz/bat","value":"qux"}])"_json, nullptr},
      {R"({"/":9,"~1":10})"_json, R"([{"op":"test","path":"/~01","value":10}])"_json, R"({"/":9,"~1":10})"_json},
      {R"({"/":9,"~1":10})"_json, R"([{"op":"test","path":"/~01","value":"10"}])"_json, nullptr},
      {R"({"foo":["bar"]})"_json, R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"_json,
       R"({"foo":["bar",["abc","def"]]})"_json},
  };
  for (const auto& [doc, patch, expected] : cases) {
    INFO(patch.dump());
    if (expected.is_null()) {
      CHECK(error_of([&] { (void)tyto::apply_patch(doc, patch); }).first == tyto::ErrorCode::kConflict);
    } else {
      CHECK(tyto::apply_patch(doc, patch) == expected);
    }
  }
}

TEST_CASE("A malformed JSON Patch is rejected with the index of the bad operation", "[core][json_patch]") {
  const std::vector<std::tuple<json, std::string>> cases = {
      {R"([{"op":"add","path":"/a","value":1},{"op":"frobnicate","path":"/a"}])"_json, "patch[1].op"},
      {R"([{"path":"/a","value":1}])"_json, "patch[0].op"},
      {R"([{"op":7,"path":"/a"}])"_json, "patch[0].op"},
      {R"([{"op":"add","value":1}])"_json, "patch[0].path"},
      {R"([{"op":"test","path":"a","value":1}])"_json, "patch[0].path"},
      {R"([{"op":"remove","path":"/a~2b"}])"_json, "patch[0].path"},
      {R"([{"op":"remove","path":"/a~"}])"_json, "patch[0].path"},
      {R"([{"op":"remove","path":3}])"_json, "patch[0].path"},
      {R"([{"op":"test","path":"/a","value":1},{"op":"replace","path":"/a"}])"_json, "patch[1].value"},
      {R"([{"op":"add","path":"/a"}])"_json, "patch[0].value"},
      {R"([{"op":"move","path":"/a"}])"_json, "patch[0].from"},
      {R"([{"op":"copy","path":"/a","from":"b"}])"_json, "patch[0].from"},
      {R"([{"op":"move","from":"/a","path":"/a/b"}])"_json, "patch[0].from"},
      {R"([{"op":"remove","path":""}])"_json, "patch[0].path"},
      {R"([{"op":"add","path":"/a","value":1},"add"])"_json, "patch[1]"},
      {R"({"op":"add","path":"/a","value":1})"_json, "patch"},
  };
  for (const auto& [patch, field] : cases) {
    INFO(patch.dump());
    const auto [code, details] = error_of([&] { tyto::validate_patch(patch); });
    CHECK(code == tyto::ErrorCode::kValidationFailed);
    CHECK(details.at("fields").contains(field));
    if (field != "patch") CHECK(details.at("index") == std::stoi(field.substr(6)));
  }
  CHECK(error_of([] {
          tyto::validate_patch(json::array({{{"op", "remove"}, {"path", "/a"}}}), 0);
        }).first == tyto::ErrorCode::kValidationFailed);
  // A valid one passes, and so does moving a value to a sibling whose name starts with its own.
  tyto::validate_patch(R"([{"op":"move","from":"/a","path":"/ab"},{"op":"copy","from":"/a","path":"/a/b"}])"_json);
}

TEST_CASE("JSON Patch is all or nothing and names the operation that cannot apply", "[core][json_patch]") {
  const json doc = map_doc();
  const json patch = R"([{"op":"replace","path":"/title","value":"New"},{"op":"add","path":"/notes/-","value":{}},
                         {"op":"test","path":"/bpm","value":90}])"_json;
  const auto [code, details] = error_of([&] { (void)tyto::apply_patch(doc, patch); });
  CHECK(code == tyto::ErrorCode::kConflict);
  CHECK(details.at("index") == 2);
  CHECK(details.at("reason") == "test_failed");
  CHECK(doc == map_doc());

  const std::vector<std::tuple<json, std::size_t, std::string>> failing = {
      {R"([{"op":"replace","path":"/bpm","value":1},{"op":"remove","path":"/nope"}])"_json, 1, "path_not_found"},
      {R"([{"op":"replace","path":"/notes/6","value":1}])"_json, 0, "index_out_of_range"},
      {R"([{"op":"add","path":"/notes/7","value":1}])"_json, 0, "index_out_of_range"},
      {R"([{"op":"add","path":"/notes/01","value":1}])"_json, 0, "path_not_found"},
      {R"([{"op":"add","path":"/bpm/x","value":1}])"_json, 0, "not_a_container"},
      {R"([{"op":"remove","path":"/title/0"}])"_json, 0, "not_a_container"},
      {R"([{"op":"copy","from":"/missing","path":"/x"}])"_json, 0, "path_not_found"},
      {R"([{"op":"move","from":"/notes/9","path":"/x"}])"_json, 0, "path_not_found"},
      {R"([{"op":"add","path":"/meta/x/y","value":1}])"_json, 0, "path_not_found"},
  };
  for (const auto& [bad, index, reason] : failing) {
    INFO(bad.dump());
    const auto [c, d] = error_of([&] { (void)tyto::apply_patch(doc, bad); });
    CHECK(c == tyto::ErrorCode::kConflict);
    CHECK(d.at("index") == index);
    CHECK(d.at("reason") == reason);
  }
  // A null member is not an object to add into (nlohmann's patch alone would make it one).
  const json with_null = {{"a", nullptr}};
  CHECK(error_of([&] {
          (void)tyto::apply_patch(with_null, R"([{"op":"add","path":"/a/b","value":1}])"_json);
        }).second.at("reason") == "not_a_container");
}

TEST_CASE("A rebased edit of another field applies unchanged", "[core][json_patch][rebase]") {
  const json base = map_doc();
  const json current = tyto::apply_patch(base, R"([{"op":"replace","path":"/title","value":"Other"}])"_json);
  const json edit = R"([{"op":"replace","path":"/bpm","value":128},{"op":"add","path":"/meta/x","value":1}])"_json;
  const auto r = tyto::rebase_patch(edit, base, current);
  REQUIRE(r.ok);
  CHECK(r.patch == edit);
  const json merged = tyto::apply_patch(current, r.patch);
  CHECK(merged["title"] == "Other");
  CHECK(merged["bpm"] == 128);
  CHECK(merged["meta"]["x"] == 1);
}

TEST_CASE("A rebased edit of a note follows notes inserted and removed before it", "[core][json_patch][rebase]") {
  const json base = map_doc();
  const json edit = R"([{"op":"replace","path":"/notes/3/t","value":333},{"op":"remove","path":"/notes/5"}])"_json;

  SECTION("two notes inserted before it") {
    const json current = tyto::apply_patch(
        base,
        R"([{"op":"add","path":"/notes/1","value":{"t":50}},{"op":"add","path":"/notes/0","value":{"t":-5}}])"_json);
    const auto r = tyto::rebase_patch(edit, base, current);
    REQUIRE(r.ok);
    CHECK(r.patch == R"([{"op":"replace","path":"/notes/5/t","value":333},{"op":"remove","path":"/notes/7"}])"_json);
    const json merged = tyto::apply_patch(current, r.patch);
    CHECK(merged["notes"].size() == 7);
    CHECK(merged["notes"][5] == json({{"t", 333}, {"lane", 3}}));
    CHECK(merged["notes"][6] == json({{"t", 400}, {"lane", 0}}));
  }
  SECTION("a note removed before it and one changed after it") {
    const json current = tyto::apply_patch(
        base, R"([{"op":"remove","path":"/notes/0"},{"op":"replace","path":"/notes/3/lane","value":9}])"_json);
    const auto r = tyto::rebase_patch(edit, base, current);
    REQUIRE(r.ok);
    CHECK(r.patch == R"([{"op":"replace","path":"/notes/2/t","value":333},{"op":"remove","path":"/notes/4"}])"_json);
  }
  SECTION("notes appended by both") {
    const json current = tyto::apply_patch(base, R"([{"op":"add","path":"/notes/-","value":{"t":900}}])"_json);
    const json appends = R"([{"op":"add","path":"/notes/-","value":{"t":700}},
                             {"op":"add","path":"/notes/7","value":{"t":800}}])"_json;
    const auto r = tyto::rebase_patch(appends, base, current);
    REQUIRE(r.ok);
    const json merged = tyto::apply_patch(current, r.patch);
    REQUIRE(merged["notes"].size() == 9);
    CHECK(merged["notes"][6]["t"] == 900);
    CHECK(merged["notes"][7]["t"] == 700);
    CHECK(merged["notes"][8]["t"] == 800);
  }
}

TEST_CASE("A rebased edit maps paths through its own earlier operations", "[core][json_patch][rebase]") {
  const json base = map_doc();
  const json current = tyto::apply_patch(base, R"([{"op":"remove","path":"/notes/1"}])"_json);
  // The edit inserts a note first, so its /notes/4 is base note 3, and then edits the note it inserted.
  const json edit = R"([{"op":"add","path":"/notes/0","value":{"t":-1}},{"op":"replace","path":"/notes/4/t","value":1},
                        {"op":"replace","path":"/notes/0/t","value":-2},
                        {"op":"move","from":"/notes/5","path":"/notes/1"}])"_json;
  const auto r = tyto::rebase_patch(edit, base, current);
  REQUIRE(r.ok);
  const json merged = tyto::apply_patch(current, r.patch);
  const json expected = json::array({{{"t", -2}},
                                     {{"t", 400}, {"lane", 0}},
                                     {{"t", 0}, {"lane", 0}},
                                     {{"t", 200}, {"lane", 2}},
                                     {{"t", 1}, {"lane", 3}},
                                     {{"t", 500}, {"lane", 1}}});
  CHECK(merged["notes"] == expected);
}

TEST_CASE("Rebasing reports edits that overlap what others changed", "[core][json_patch][rebase]") {
  const json base = map_doc();
  const auto conflicts = [&](const char* other, const char* edit) {
    const auto r = tyto::rebase_patch(json::parse(edit), base, tyto::apply_patch(base, json::parse(other)));
    CHECK(r.patch == json::array());
    return r.ok ? std::vector<tyto::PatchConflict>{} : r.conflicts;
  };
  SECTION("the same note changed, even in another field") {
    const auto c = conflicts(R"([{"op":"replace","path":"/notes/2/t","value":1}])",
                             R"([{"op":"replace","path":"/notes/2/lane","value":3}])");
    REQUIRE(c.size() == 1);
    CHECK(c[0].index == 0);
    CHECK(c[0].path == "/notes/2/lane");
    CHECK(c[0].reason.find("/notes/2") != std::string::npos);
  }
  SECTION("a note removed that the edit changes") {
    const auto c = conflicts(R"([{"op":"remove","path":"/notes/4"}])",
                             R"([{"op":"test","path":"/bpm","value":120},{"op":"remove","path":"/notes/4"}])");
    REQUIRE(c.size() == 1);
    CHECK(c[0].index == 1);
  }
  SECTION("the parent replaced") {
    CHECK(
        conflicts(R"([{"op":"replace","path":"/meta","value":"none"}])", R"([{"op":"add","path":"/meta/x","value":1}])")
            .size() == 1);
    CHECK(conflicts(R"([{"op":"replace","path":"/notes","value":7}])", R"([{"op":"add","path":"/notes/-","value":1}])")
              .size() == 1);
  }
  SECTION("the edit replaces what others changed inside") {
    CHECK(
        conflicts(R"([{"op":"add","path":"/notes/2","value":{}}])", R"([{"op":"replace","path":"/notes","value":[]}])")
            .size() == 1);
    CHECK(conflicts(R"([{"op":"add","path":"/meta/y","value":1}])", R"([{"op":"remove","path":"/meta"}])").size() == 1);
  }
  SECTION("the same member set by both, and a test of a changed value") {
    CHECK(conflicts(R"([{"op":"add","path":"/meta/x","value":1}])", R"([{"op":"add","path":"/meta/x","value":2}])")
              .size() == 1);
    CHECK(conflicts(R"([{"op":"replace","path":"/title","value":"B"}])",
                    R"([{"op":"test","path":"/title","value":"Song"},{"op":"replace","path":"/bpm","value":1}])")
              .size() == 1);
    CHECK(conflicts(R"([{"op":"replace","path":"/bpm","value":1}])", R"([{"op":"copy","from":"/bpm","path":"/b2"}])")
              .size() == 1);
  }
  SECTION("every conflicting operation is listed") {
    CHECK(conflicts(R"([{"op":"replace","path":"/title","value":"B"},{"op":"remove","path":"/notes/0"}])",
                    R"([{"op":"replace","path":"/title","value":"C"},{"op":"replace","path":"/bpm","value":2},
                        {"op":"replace","path":"/notes/0/t","value":3}])")
              .size() == 2);
  }
}

TEST_CASE("Rebasing follows shifts in long arrays and gives up on arrays that changed past recognition",
          "[core][json_patch][rebase]") {
  const json base = {{"notes", notes(5000)}};
  // Changes at both ends and in the middle leave a long middle for the diff to align.
  const json current = tyto::apply_patch(base, R"([{"op":"replace","path":"/notes/10/t","value":1},
      {"op":"add","path":"/notes/2500","value":{"t":2499}},{"op":"remove","path":"/notes/4990"}])"_json);
  const auto r = tyto::rebase_patch(R"([{"op":"replace","path":"/notes/4000/lane","value":9},
      {"op":"remove","path":"/notes/4995"}])"_json,
                                    base, current);
  REQUIRE(r.ok);
  CHECK(r.patch ==
        R"([{"op":"replace","path":"/notes/4001/lane","value":9},{"op":"remove","path":"/notes/4995"}])"_json);

  json rewritten = base;
  for (auto& note : rewritten["notes"]) note["t"] = note["t"].get<int>() + 1;
  const auto lost = tyto::rebase_patch(R"([{"op":"add","path":"/notes/-","value":{"t":0}}])"_json, base, rewritten);
  REQUIRE_FALSE(lost.ok);
  REQUIRE(lost.conflicts.size() == 1);
  CHECK(lost.conflicts[0].reason == "another edit replaced or removed /notes");
}

TEST_CASE("Rebasing checks the edit against its base", "[core][json_patch][rebase]") {
  const json base = map_doc();
  CHECK(error_of([&] { (void)tyto::rebase_patch(json::object(), base, base); }).first ==
        tyto::ErrorCode::kValidationFailed);
  CHECK(error_of([&] { (void)tyto::rebase_patch(R"([{"op":"remove","path":"/nope"}])"_json, base, base); }).first ==
        tyto::ErrorCode::kConflict);
  const json edit = R"([{"op":"remove","path":"/notes/0"}])"_json;
  const auto same = tyto::rebase_patch(edit, base, base);
  CHECK(same.ok);
  CHECK(same.patch == edit);
}

namespace {

// One editor's random edit of map_doc-like documents, touching only what `owner` says is theirs.
struct RandomEdit {
  json patch = json::array();
  std::size_t removed = 0;
  std::size_t inserted = 0;
};

// note_action[i]: what the owner of note i does to it (0 replace, 1 set t, 2 test and set lane, 3 remove).
RandomEdit random_edit(const json& base, const std::vector<int>& field_owner, const std::vector<int>& note_owner,
                       const std::vector<int>& note_action, const std::vector<int>& gap_owner, int me,
                       std::mt19937& rng) {
  const std::size_t n = base["notes"].size();
  // Actions in base coordinates: {kind, target}; kinds 0..3 fields, 4 note, 5 gap, 6 new meta member.
  std::vector<std::pair<int, std::size_t>> actions;
  for (std::size_t f = 0; f < field_owner.size(); ++f) {
    if (field_owner[f] == me) actions.push_back({static_cast<int>(f), 0});
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (note_owner[i] == me) actions.push_back({4, i});
  }
  for (std::size_t g = 0; g <= n; ++g) {
    if (gap_owner[g] == me) actions.push_back({5, g});
  }
  actions.push_back({6, 0});
  std::shuffle(actions.begin(), actions.end(), rng);

  RandomEdit out;
  std::vector<long> origin;  // the edit's own notes: base index or -1 for its inserts
  for (std::size_t i = 0; i < n; ++i) origin.push_back(static_cast<long>(i));
  const std::string who = me == 1 ? "a" : "b";
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<unsigned>(k)); };
  for (const auto& [kind, target] : actions) {
    if (kind == 0) out.patch.push_back({{"op", "replace"}, {"path", "/title"}, {"value", "title " + who}});
    if (kind == 1) out.patch.push_back({{"op", "replace"}, {"path", "/bpm"}, {"value", me * 100}});
    if (kind == 2 || kind == 3) {
      const std::string path = kind == 2 ? "/meta/difficulty" : "/meta/genre";
      if (pick(2) == 0) {
        out.patch.push_back({{"op", "remove"}, {"path", path}});
      } else {
        out.patch.push_back({{"op", "replace"}, {"path", path}, {"value", who}});
      }
    }
    if (kind == 6) out.patch.push_back({{"op", "add"}, {"path", "/meta/by_" + who}, {"value", true}});
    if (kind == 4) {
      const auto at = static_cast<std::size_t>(std::find(origin.begin(), origin.end(), target) - origin.begin());
      const std::string path = "/notes/" + std::to_string(at);
      switch (note_action[target]) {
        case 0:
          out.patch.push_back({{"op", "replace"}, {"path", path}, {"value", {{"t", 1}, {"by", who}}}});
          break;
        case 1:
          out.patch.push_back({{"op", "replace"}, {"path", path + "/t"}, {"value", -me}});
          break;
        case 2:
          out.patch.push_back({{"op", "test"}, {"path", path}, {"value", base["notes"][target]}});
          out.patch.push_back({{"op", "replace"}, {"path", path + "/lane"}, {"value", 7}});
          break;
        default:
          out.patch.push_back({{"op", "remove"}, {"path", path}});
          origin.erase(origin.begin() + static_cast<std::ptrdiff_t>(at));
          ++out.removed;
      }
    }
    if (kind == 5) {
      const int count = 1 + pick(2);
      for (int k = 0; k < count; ++k) {
        auto at = static_cast<std::size_t>(
            std::find_if(origin.begin(), origin.end(), [&](long o) { return o >= static_cast<long>(target); }) -
            origin.begin());
        const json note = {{"t", static_cast<int>(target) * 100 - 50 + k}, {"by", who}};
        const bool append = at == origin.size() && pick(2) == 0;
        out.patch.push_back(
            {{"op", "add"}, {"path", append ? "/notes/-" : "/notes/" + std::to_string(at)}, {"value", note}});
        // The next insert into this gap goes after this one (find_if skips the -1s).
        origin.insert(origin.begin() + static_cast<std::ptrdiff_t>(at), -1);
        ++out.inserted;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Rebasing either of two edits that touch different things gives the same document",
          "[core][json_patch][rebase]") {
  std::mt19937 rng(20261202);
  for (int round = 0; round < 1000; ++round) {
    const int n = 4 + static_cast<int>(rng() % 9);
    json base = {
        {"title", "Song"}, {"bpm", 120}, {"meta", {{"difficulty", "hard"}, {"genre", "rock"}}}, {"notes", notes(n)}};
    auto owner = [&] { return static_cast<int>(rng() % 3); };  // 0 nobody, 1 edit a, 2 edit b
    std::vector<int> fields(4), note_owner(static_cast<std::size_t>(n)), gap_owner(static_cast<std::size_t>(n) + 1);
    for (auto& o : fields) o = owner();
    for (auto& o : note_owner) o = owner();
    std::vector<int> note_action(note_owner.size());
    for (auto& k : note_action) k = static_cast<int>(rng() % 4);
    // Where the note after a gap is removed or replaced whole, the order of inserts about it is a matter of
    // convention (rebase_patch's header), so inserts go before notes that stay or that keep a field, or at the end.
    for (std::size_t g = 0; g < gap_owner.size(); ++g) {
      const bool anchor_lost = g < note_owner.size() && note_owner[g] != 0 && (note_action[g] % 3) == 0;
      gap_owner[g] = anchor_lost ? 0 : owner();
    }
    const RandomEdit a = random_edit(base, fields, note_owner, note_action, gap_owner, 1, rng);
    const RandomEdit b = random_edit(base, fields, note_owner, note_action, gap_owner, 2, rng);
    INFO("round " << round << "\nbase " << base.dump() << "\na " << a.patch.dump() << "\nb " << b.patch.dump());
    const json after_a = tyto::apply_patch(base, a.patch);
    const json after_b = tyto::apply_patch(base, b.patch);
    const auto b_on_a = tyto::rebase_patch(b.patch, base, after_a);
    const auto a_on_b = tyto::rebase_patch(a.patch, base, after_b);
    REQUIRE(b_on_a.ok);
    REQUIRE(a_on_b.ok);
    const json ab = tyto::apply_patch(after_a, b_on_a.patch);
    const json ba = tyto::apply_patch(after_b, a_on_b.patch);
    REQUIRE(ab == ba);
    CHECK(ab["notes"].size() == static_cast<std::size_t>(n) - a.removed - b.removed + a.inserted + b.inserted);
    CHECK(ab["meta"]["by_a"] == true);
    CHECK(ab["meta"]["by_b"] == true);
    for (int f = 0; f < 2; ++f) {
      const char* key = f == 0 ? "title" : "bpm";
      const json expected = fields[static_cast<std::size_t>(f)] == 1   ? after_a[key]
                            : fields[static_cast<std::size_t>(f)] == 2 ? after_b[key]
                                                                       : base[key];
      CHECK(ab[key] == expected);
    }
  }
}

TEST_CASE("Rebasing edits that may overlap either applies cleanly or names the conflicts, never throws",
          "[core][json_patch][rebase]") {
  std::mt19937 rng(7);
  int conflicted = 0;
  for (int round = 0; round < 1000; ++round) {
    const int n = 3 + static_cast<int>(rng() % 8);
    const json base = {
        {"title", "Song"}, {"bpm", 120}, {"meta", {{"difficulty", "hard"}, {"genre", "rock"}}}, {"notes", notes(n)}};
    // Each edit picks what it touches on its own, so both often touch the same things.
    std::vector<std::vector<int>> owners(6);
    for (auto& o : owners) o.resize(static_cast<std::size_t>(n) + 1);
    for (auto& o : owners) {
      for (auto& x : o) x = static_cast<int>(rng() % 2) + (&o - owners.data()) % 2;
    }
    std::vector<int> actions(static_cast<std::size_t>(n));
    for (auto& k : actions) k = static_cast<int>(rng() % 4);
    std::vector<int> fields_a(owners[0].begin(), owners[0].begin() + 4),
        fields_b(owners[1].begin(), owners[1].begin() + 4);
    std::vector<int> notes_a(owners[2].begin(), owners[2].begin() + n),
        notes_b(owners[3].begin(), owners[3].begin() + n);
    const RandomEdit a = random_edit(base, fields_a, notes_a, actions, owners[4], 1, rng);
    std::vector<int> actions_b = actions;
    for (auto& k : actions_b) k = static_cast<int>(rng() % 4);
    const RandomEdit b = random_edit(base, fields_b, notes_b, actions_b, owners[5], 2, rng);
    INFO("round " << round << "\na " << a.patch.dump() << "\nb " << b.patch.dump());
    const json after_a = tyto::apply_patch(base, a.patch);
    tyto::RebaseResult r;
    REQUIRE_NOTHROW(r = tyto::rebase_patch(b.patch, base, after_a));
    if (r.ok) {
      CHECK_NOTHROW(tyto::apply_patch(after_a, r.patch));
    } else {
      ++conflicted;
      CHECK_FALSE(r.conflicts.empty());
      for (const auto& c : r.conflicts) CHECK(c.index < b.patch.size());
    }
  }
  CHECK(conflicted > 100);
}
