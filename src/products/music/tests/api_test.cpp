// The music catalog through its API with the real binary, on SQLite and PostgreSQL: a song recognised, a drum map
// generated with progress, fixed, verified and rebased; karma, earned roles and notifications; snippets of real
// music identified with their offsets and from the cache; maps ported to other recordings; bad input.
#include "fingerprint_audio/audio_samples.hpp"
#include "support.hpp"
#include "support/webhook_receiver.hpp"
#include "tyto/core/ids.hpp"

#include <set>

using namespace tyto::test;
using namespace tyto::test::music;

namespace {

json map_content(std::uint16_t port, const std::string& token, const std::string& map_id,
                 const std::string& query = "") {
  auto r = api(port, "GET", "/api/v1/maps/" + map_id + "/content" + query, nullptr, bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 200);
  return r.body;
}

// Notifications of a member, oldest first: their kinds.
std::vector<std::string> notification_kinds(std::uint16_t port, const std::string& token) {
  auto r = api(port, "GET", "/api/v1/notifications?limit=200", nullptr, bearer(token));
  REQUIRE(r.status == 200);
  std::vector<std::string> kinds;
  for (const auto& n : r.body["items"]) kinds.insert(kinds.begin(), n["kind"].template get<std::string>());
  return kinds;
}

int karma_of(std::uint16_t port, const std::string& token, const std::string& user_id) {
  auto r = api(port, "GET", "/api/v1/users/" + user_id + "/karma", nullptr, bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 200);
  return r.body["karma"];
}

json generate(std::uint16_t port, const std::string& token, const std::string& song_id) {
  auto r = api(port, "POST", "/api/v1/songs/" + song_id + "/maps/generate", json::object(), bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 202);
  const auto job = wait_for_state(port, r.body["job_id"], "succeeded", std::chrono::seconds(90));
  CHECK(job["progress"].template get<double>() == Approx(1.0));
  auto m = api(port, "GET", "/api/v1/maps/" + r.body["map_id"].template get<std::string>(), nullptr, bearer(token));
  REQUIRE(m.status == 200);
  return m.body;
}

json decide(std::uint16_t port, const std::string& token, const std::string& edit_id, const std::string& decision) {
  auto r = api(port, "POST", "/api/v1/edits/" + edit_id + "/decision", {{"decision", decision}, {"comment", "ok"}},
               bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 200);
  return r.body;
}

std::string submit(std::uint16_t port, const std::string& token, const std::string& map_id, const json& patch) {
  auto r =
      api(port, "POST", "/api/v1/maps/" + map_id + "/edits", {{"patch", patch}, {"comment", "fix"}}, bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 201);
  CHECK(r.body["status"] == "pending");
  return r.body["id"];
}

}  // namespace

TEMPLATE_TEST_CASE("A player's song is mapped, fixed and verified, and karma, roles and notifications follow",
                   "[integration][music]", SqliteBackend, PostgresBackend) {
  TestType backend;
  // Two approved fixes (+10 each) earn the verifier role here.
  auto server = TytoProcess::serve(backend.args({"--outbound-allow", "127.0.0.1/32"}),
                                   {{"TYTO_PRODUCTS_MUSIC_VERIFIER_KARMA", "20"}});
  const auto port = server->port();
  WebhookReceiver receiver;
  REQUIRE(api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"music.*"}}}).status == 201);
  const auto player = member(port, "player@example.com", "user");
  const auto verifier = member(port, "verifier@example.com", "user", {"verifier"});
  const auto curator = member(port, "curator@example.com", "user", {"curator"});

  // The player uploads a recording nobody has added: not recognised, map generation offered.
  const auto loop = drum_loop(120, 24);
  const auto upload = upload_object(port, "audio", "audio/wav", wav(loop.samples, loop.rate), "mine.wav");
  const auto first = lookup(port, player.token, upload);
  CHECK(first["status"] == "completed");
  CHECK(first["matches"].empty());
  CHECK(first["offer"]["kind"] == "generate");
  CHECK(first["offer"]["reason"] == "not_recognised");

  // They add it, and it is recognised from then on.
  auto created = api(port, "POST", "/api/v1/songs", {{"title", "Backbeat"}, {"artist", "Tests"}, {"object_id", upload}},
                     bearer(player.token));
  INFO(created.raw.body);
  REQUIRE(created.status == 202);
  const std::string song_id = created.body["id"];
  wait_for_state(port, created.body["job_id"], "succeeded", std::chrono::seconds(60));
  const auto again =
      lookup(port, player.token, upload_object(port, "audio", "audio/wav", wav(loop.samples, loop.rate), "again.wav"));
  REQUIRE(again["matches"].size() >= 1);
  CHECK(again["matches"][0]["song_id"] == song_id);
  CHECK(again["matches"][0]["score"].template get<double>() > 0.9);
  CHECK(again["offer"]["kind"] == "generate");
  CHECK(again["offer"]["reason"] == "no_verified_map");

  // A draft map, generated with progress: unverified, with notes near the loop's hits and the tempo found.
  const auto map = generate(port, player.token, song_id);
  CHECK(map["state"] == "unverified");
  CHECK(map["version"] == 1);
  CHECK(map["has_stem"] == true);
  const std::string map_id = map["id"];
  const auto content = map_content(port, player.token, map_id);
  CHECK(content["format"] == "tyto.drum_map");
  CHECK(content["bpm"].template get<double>() == Approx(120).margin(2));
  CHECK(content["song"]["id"] == song_id);
  const auto notes = content["notes"];
  REQUIRE(notes.size() > 40);
  int near = 0;
  for (const auto& hit : loop.hits) {
    for (const auto& n : notes) {
      if (std::abs(n["t"].template get<double>() - hit.t) < 0.05) {
        ++near;
        break;
      }
    }
  }
  CHECK(near >= static_cast<int>(loop.hits.size() * 8 / 10));
  // Easier levels are thinner.
  const auto easy = map_content(port, player.token, map_id, "?difficulty=easy");
  CHECK(easy["notes"].size() < notes.size());
  CHECK(easy["difficulty"] == "easy");
  CHECK(
      api(port, "GET", "/api/v1/maps/" + map_id + "/content?difficulty=insane", nullptr, bearer(player.token)).status ==
      422);
  auto stem = api(port, "GET", "/api/v1/maps/" + map_id + "/stem", nullptr, bearer(player.token));
  REQUIRE(stem.status == 200);
  CHECK(stem.body["url"].template get<std::string>().find("/api/v1/") != std::string::npos);

  // Fixes: refused when malformed or when they break the map; a good one waits for a verifier.
  auto bad = api(port, "POST", "/api/v1/maps/" + map_id + "/edits", {{"patch", {{{"op", "jump"}, {"path", "/notes"}}}}},
                 bearer(player.token));
  CHECK(bad.status == 422);
  bad = api(port, "POST", "/api/v1/maps/" + map_id + "/edits",
            {{"patch", {{{"op", "replace"}, {"path", "/notes/0/lane"}, {"value", "cowbell"}}}}}, bearer(player.token));
  INFO(bad.raw.body);
  CHECK(bad.status == 422);
  bad = api(port, "POST", "/api/v1/maps/" + map_id + "/edits",
            {{"patch", {{{"op", "remove"}, {"path", "/notes/100000"}}}}}, bearer(player.token));
  CHECK(bad.status == 409);
  const auto first_note = notes[0];
  const auto fix =
      submit(port, player.token, map_id,
             {{{"op", "test"}, {"path", "/notes/0"}, {"value", first_note}}, {{"op", "remove"}, {"path", "/notes/0"}}});
  // Only verifiers reach the queue; nobody decides their own fix.
  CHECK(api(port, "GET", "/api/v1/edits?status=pending", nullptr, bearer(player.token)).status == 403);
  auto queue = api(port, "GET", "/api/v1/edits?status=pending", nullptr, bearer(verifier.token));
  REQUIRE(queue.status == 200);
  REQUIRE(queue.body["items"].size() == 1);
  CHECK(queue.body["items"][0]["id"] == fix);
  auto detail = api(port, "GET", "/api/v1/edits/" + fix, nullptr, bearer(verifier.token));
  REQUIRE(detail.status == 200);
  CHECK(detail.body["diff"]["removed"].size() == 1);
  CHECK(detail.body["diff"]["added"].empty());

  // Approval publishes version 2 (verified) and archives version 1; the song's map is now verified.
  const auto approved = decide(port, verifier.token, fix, "approve");
  CHECK(approved["status"] == "approved");
  const std::string v2 = approved["result_map_id"];
  auto v2_map = api(port, "GET", "/api/v1/maps/" + v2, nullptr, bearer(player.token));
  CHECK(v2_map.body["state"] == "verified");
  CHECK(v2_map.body["version"] == 2);
  CHECK(v2_map.body["versions"].size() == 2);
  CHECK(api(port, "GET", "/api/v1/maps/" + map_id, nullptr, bearer(player.token)).body["state"] == "archived");
  CHECK(map_content(port, player.token, v2)["notes"].size() == notes.size() - 1);
  CHECK(api(port, "GET", "/api/v1/songs/" + song_id, nullptr, bearer(player.token)).body["canonical_map_id"] == v2);
  CHECK(api(port, "POST", "/api/v1/edits/" + fix + "/decision", {{"decision", "reject"}}, bearer(verifier.token))
            .status == 409);

  // Karma moved by the rules, and the player heard of it.
  CHECK(karma_of(port, player.token, player.user_id) == 10);
  CHECK(karma_of(port, player.token, verifier.user_id) == 2);
  const auto kinds = notification_kinds(port, player.token);
  CHECK(std::count(kinds.begin(), kinds.end(), "map.ready") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "edit.decided") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "karma.changed") == 1);
  auto unread = api(port, "GET", "/api/v1/notifications?unread=true", nullptr, bearer(player.token));
  CHECK(unread.body["unread"].template get<int>() >= 3);
  CHECK(api(port, "POST", "/api/v1/notifications/read", json::object(), bearer(player.token)).body["unread"] == 0);

  // Two fixes of version 2 at once: the second is rebased onto version 3 (it touches another note); a third that
  // changes the note the first one removed is a conflict.
  const auto v2_notes = map_content(port, player.token, v2)["notes"];
  const auto last = v2_notes.size() - 1;
  const auto remove_last =
      submit(port, player.token, v2, {{{"op", "remove"}, {"path", fmt::format("/notes/{}", last)}}});
  const auto relane = submit(
      port, player.token, v2,
      {{{"op", "replace"}, {"path", "/notes/3/lane"}, {"value", v2_notes[3]["lane"] == "snare" ? "kick" : "snare"}}});
  const auto clash = submit(port, player.token, v2,
                            {{{"op", "replace"}, {"path", fmt::format("/notes/{}/velocity", last)}, {"value", 0.5}}});
  const std::string v3 = decide(port, verifier.token, remove_last, "approve")["result_map_id"];
  const auto rebased = decide(port, verifier.token, relane, "approve");
  CHECK(rebased["status"] == "approved");
  const std::string v4 = rebased["result_map_id"];
  const auto v4_notes = map_content(port, player.token, v4)["notes"];
  CHECK(v4_notes.size() == v2_notes.size() - 1);
  CHECK(v4_notes[3]["lane"] != v2_notes[3]["lane"]);
  CHECK(api(port, "GET", "/api/v1/maps/" + v3, nullptr, bearer(player.token)).body["state"] == "archived");
  const auto conflicted = decide(port, verifier.token, clash, "approve");
  CHECK(conflicted["status"] == "conflict");
  CHECK_FALSE(conflicted["conflicts"].empty());

  // With 30 karma the player earned the verifier role (threshold 20 here): they reach the queue now.
  CHECK(karma_of(port, player.token, player.user_id) == 30);
  CHECK(api(port, "GET", "/api/v1/edits?status=pending", nullptr, bearer(player.token)).status == 200);
  const auto roles = notification_kinds(port, player.token);
  CHECK(std::count(roles.begin(), roles.end(), "role.changed") == 1);

  // A curator reverts the last fix: a version with the content before it, and the karma it earned reversed.
  CHECK(api(port, "POST", "/api/v1/edits/" + relane + "/revert", json::object(), bearer(verifier.token)).status == 403);
  auto reverted =
      api(port, "POST", "/api/v1/edits/" + relane + "/revert", {{"comment", "wrong lane"}}, bearer(curator.token));
  INFO(reverted.raw.body);
  REQUIRE(reverted.status == 200);
  CHECK(reverted.body["edit"]["status"] == "reverted");
  CHECK(reverted.body["map"]["version"] == 5);
  CHECK(map_content(port, player.token, reverted.body["map"]["id"])["notes"] ==
        map_content(port, player.token, v3)["notes"]);
  CHECK(karma_of(port, player.token, player.user_id) == 20);
  auto ledger = api(port, "GET", "/api/v1/users/me/karma", nullptr, bearer(player.token));
  int reversals = 0;
  for (const auto& e : ledger.body["items"]) reversals += e["reason"] == "reversal";
  CHECK(reversals == 1);
  // Still a verifier at exactly the threshold.
  CHECK(api(port, "GET", "/api/v1/edits", nullptr, bearer(player.token)).status == 200);

  // The tenant's webhooks heard the story.
  CHECK(eventually([&] {
    std::set<std::string> types;
    for (const auto& r : receiver.requests()) types.insert(json::parse(r.body).value("type", ""));
    return types.contains("music.map.ready") && types.contains("music.edit.decided") &&
           types.contains("music.karma.changed") && types.contains("music.role.changed");
  }));
}

TEMPLATE_TEST_CASE("Snippets of real songs are identified with their offset, cached, and noise matches nothing",
                   "[integration][music]", SqliteBackend, PostgresS3Backend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto player = member(port, "player@example.com", "user");
  const auto tracks = audio::music_tracks();
  REQUIRE(tracks.size() >= 6);
  TempDir dir;
  std::map<std::string, std::string> song_of_track;
  for (int i = 0; i < 6; ++i) {
    song_of_track[tracks[i].string()] =
        add_song(port, tracks[i].stem().string(), read_file(tracks[i]), "audio/ogg", tracks[i].filename().string());
  }
  // A 10-second snippet from the middle of the fourth track, as MP3.
  const auto snippet = dir.path() / "snippet.mp3";
  const double offset = std::min(60.0, audio::probe_duration(tracks[3]) / 2);
  audio::cut_clip(tracks[3], offset, 10, snippet, "-b:a 96k");
  const auto bytes = read_file(snippet);
  const auto found = lookup(port, player.token, upload_object(port, "audio", "audio/mpeg", bytes, "snippet.mp3"));
  INFO(found.dump());
  REQUIRE(found["matches"].size() >= 1);
  CHECK(found["matches"][0]["song_id"] == song_of_track[tracks[3].string()]);
  CHECK(found["matches"][0]["offset_s"].template get<double>() == Approx(offset).margin(0.3));
  CHECK(found["matches"][0]["title"] == tracks[3].stem().string());
  CHECK(found["cached"] == false);

  // The same bytes again: answered at once from the cache, no job.
  auto cached =
      api(port, "POST", "/api/v1/songs/lookup",
          {{"object_id", upload_object(port, "audio", "audio/mpeg", bytes, "again.mp3")}}, bearer(player.token));
  INFO(cached.raw.body);
  REQUIRE(cached.status == 200);
  CHECK(cached.body["cached"] == true);
  CHECK(cached.body["matches"] == found["matches"]);

  // Noise and silence match nothing.
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0, 0.2f);
  std::vector<float> hiss(22050 * 10);
  for (auto& s : hiss) s = noise(rng);
  CHECK(lookup(port, player.token, upload_object(port, "audio", "audio/wav", wav(hiss, 22050), "hiss.wav"))["matches"]
            .empty());

  // Someone else's lookup is not theirs to read.
  const auto other = member(port, "other@example.com", "user");
  CHECK(
      api(port, "GET", "/api/v1/songs/lookups/" + found["id"].template get<std::string>(), nullptr, bearer(other.token))
          .status == 404);
}

TEST_CASE("A verified map is ported onto another recording of its song: later and faster", "[integration][music]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto player = member(port, "player@example.com", "user");
  const auto verifier = member(port, "verifier@example.com", "user", {"verifier"});
  const auto loop = drum_loop(100, 40, 0.0, 3);
  const auto song = add_song(port, "Groove", wav(loop.samples, loop.rate));
  const auto map = generate(port, player.token, song);
  REQUIRE(api(port, "POST", "/api/v1/maps/" + map["id"].template get<std::string>() + "/verify", json::object(),
              bearer(verifier.token))
              .status == 200);
  const auto reference = map_content(port, player.token, map["id"]);

  // The "remaster": the same performance 2.5 s later and 4% faster (synthesised at 104 BPM with the same seed).
  const auto faster = drum_loop(104, 40, 2.5, 3);
  const auto found = lookup(
      port, player.token, upload_object(port, "audio", "audio/wav", wav(faster.samples, faster.rate), "remaster.wav"));
  INFO(found.dump());
  REQUIRE(found["matches"].size() >= 1);
  CHECK(found["matches"][0]["song_id"] == song);
  CHECK(found["offer"]["kind"] == "map");
  CHECK(found["offer"]["map_id"] == map["id"]);
  const auto a = found["matches"][0]["alignment"];
  CHECK(a["ratio"].template get<double>() == Approx(100.0 / 104.0).margin(0.01));
  CHECK(a["offset_s"].template get<double>() == Approx(2.5).margin(0.2));

  // The ported map's notes sit on the remaster's hits.
  const auto ported =
      map_content(port, player.token, map["id"], "?lookup_id=" + found["id"].template get<std::string>());
  // The tempo moves with the recording (whatever octave the generator chose for it).
  CHECK(ported["bpm"].template get<double>() == Approx(reference["bpm"].template get<double>() * 1.04).epsilon(0.02));
  int near = 0, total = 0;
  for (const auto& n : ported["notes"]) {
    ++total;
    for (const auto& hit : faster.hits) {
      if (std::abs(n["t"].template get<double>() - hit.t) < 0.06) {
        ++near;
        break;
      }
    }
  }
  REQUIRE(total > 40);
  CHECK(near >= total * 8 / 10);
  CHECK(ported["notes"].size() <= reference["notes"].size());
  // A lookup that matched another song is refused for this map.
  CHECK(api(port, "GET",
            "/api/v1/maps/" + map["id"].template get<std::string>() + "/content?lookup_id=" + tyto::new_uuid_v7(),
            nullptr, bearer(player.token))
            .status == 404);
}

TEST_CASE("An unrecognised upload is asked of an AcoustID-shaped provider, through the outbound guard",
          "[integration][music]") {
  WebhookReceiver provider;  // a local fake of the provider: answers every request with the body set here
  provider.set_response_body(
      R"({"status":"ok","results":[{"id":"acoustid-1","score":0.92,"recordings":[{"id":"rec-1","title":"Night Drive",)"
      R"("artists":[{"name":"The Testers"}]}]},{"id":"acoustid-2","score":0.2,"recordings":[{"id":"rec-2",)"
      R"("title":"Unlikely"}]}]})");
  const auto loop = drum_loop(128, 15, 0.0, 12);
  const auto bytes = wav(loop.samples, loop.rate);
  SECTION("allowed: the provider's recordings come with the offer") {
    SqliteBackend backend;
    auto server = TytoProcess::serve(backend.args({"--outbound-allow", "127.0.0.1/32"}),
                                     {{"TYTO_PRODUCTS_MUSIC_LOOKUP_PROVIDER_URL", provider.url("/v2/lookup")},
                                      {"TYTO_PRODUCTS_MUSIC_LOOKUP_PROVIDER_KEY", "app-key-1"}});
    const auto port = server->port();
    const auto player = member(port, "player@example.com", "user");
    const auto l = lookup(port, player.token, upload_object(port, "audio", "audio/wav", bytes, "night.wav"));
    INFO(l.dump());
    CHECK(l["matches"].empty());
    REQUIRE(l["offer"]["external"].size() == 1);
    CHECK(l["offer"]["external"][0]["title"] == "Night Drive");
    CHECK(l["offer"]["external"][0]["artists"] == json::array({"The Testers"}));
    REQUIRE(provider.count() == 1);
    const auto sent = provider.requests()[0];
    CHECK(sent.method == "POST");
    CHECK(sent.body.find("client=app-key-1") != std::string::npos);
    CHECK(sent.body.find("meta=recordings") != std::string::npos);
    CHECK(sent.body.find("duration=15") != std::string::npos);
    CHECK(sent.body.find("fingerprint=AQAA") != std::string::npos);
  }
  SECTION("a private address not allowlisted: refused, and the lookup still completes") {
    SqliteBackend backend;
    auto server =
        TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_MUSIC_LOOKUP_PROVIDER_URL", provider.url("/v2/lookup")}});
    const auto port = server->port();
    const auto player = member(port, "player@example.com", "user");
    const auto l = lookup(port, player.token, upload_object(port, "audio", "audio/wav", bytes, "night.wav"));
    CHECK(l["status"] == "completed");
    CHECK(l["offer"]["external_error"]["code"] == "forbidden");
    CHECK(provider.count() == 0);
  }
}
