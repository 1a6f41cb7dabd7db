// The music catalog's safety through the real binary: infected uploads refused before they are decoded (ClamAV with
// a signature database the test writes), audio that lies about its format, rate limits, another tenant, and a
// decided fix mailed through a real SMTP server (tests/mail/smtp_server.py, Debian's python3-aiosmtpd).
#include "integration/isolation_matrix.hpp"
#include "media/source/child_process.hpp"
#include "support.hpp"
#include "support/sample_media.hpp"

#include <set>
#include <thread>

#include <openssl/evp.h>

using namespace tyto::test;
using namespace tyto::test::music;

namespace {

std::string md5_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_md5(), nullptr) == 1);
  return tyto::hex_encode(std::string(reinterpret_cast<char*>(digest), n));
}

class SmtpSink {
 public:
  SmtpSink()
      : process_({"/usr/bin/python3", (source_dir() / "tests/mail/smtp_server.py").string(), "--dir",
                  dir_.path().string(), "--port", "0"}) {
    port_ = static_cast<std::uint16_t>(std::stoi(process_.wait_for_line("READY ").substr(6)));
  }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<json> received() const {
    std::vector<json> out;
    for (int n = 1;; ++n) {
      const auto path = dir_.path() / fmt::format("{:04d}.json", n);
      if (!std::filesystem::exists(path)) break;
      out.push_back(json::parse(read_file(path)));
    }
    return out;
  }

 private:
  TempDir dir_;
  tyto::test::media::ChildProcess process_;
  std::uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("Infected or lying audio never reaches the decoder, and decisions are mailed", "[integration][music]") {
  SqliteBackend backend;
  // The marked recording: a real WAV whose exact bytes an MD5 signature names.
  const auto loop = drum_loop(110, 20, 0.0, 9);
  const auto marked = wav(loop.samples, loop.rate);
  TempDir signatures;
  write_file(signatures.path() / "tyto-music-test.hdb",
             md5_hex(marked) + ":" + std::to_string(marked.size()) + ":Tyto.Test.MarkedSong\n");
  SmtpSink smtp;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_MODULES_ANTIVIRUS_DATABASE_DIR", signatures.path().string()},
                                                    {"TYTO_MAIL_SMTP_URL", smtp.url()},
                                                    {"TYTO_MAIL_FROM", "Tyto <noreply@tyto.example>"},
                                                    {"TYTO_MAIL_STARTTLS", "off"},
                                                    {"TYTO_PRODUCTS_MUSIC_LOOKUPS_PER_MINUTE", "4"}});
  const auto port = server->port();
  const auto player = member(port, "player@example.com", "user");
  const auto verifier = member(port, "verifier@example.com", "user", {"verifier"});

  // The marked recording: the lookup's job fails for good with the signature named; nothing is fingerprinted.
  auto r = api(port, "POST", "/api/v1/songs/lookup",
               {{"object_id", upload_object(port, "audio", "audio/wav", marked, "marked.wav")}}, bearer(player.token));
  REQUIRE(r.status == 202);
  const auto job = wait_for_state(port, r.body["job_id"], "failed", std::chrono::seconds(60));
  INFO(job.dump());
  CHECK(job["error"]["code"] == "infected");
  auto l = api(port, "GET", "/api/v1/songs/lookups/" + r.body["lookup_id"].get<std::string>(), nullptr,
               bearer(player.token));
  CHECK(l.body["status"] == "failed");
  CHECK(l.body["error"]["code"] == "infected");
  CHECK(l.body["error"]["message"].get<std::string>().find("Tyto.Test.MarkedSong") != std::string::npos);
  CHECK(l.body["fingerprint_hash"].is_null());

  // An object that is not an audio upload is refused up front; an unknown one is 404.
  const auto image = upload_object(port, "image", "image/jpeg", small_jpeg(), "photo.jpg");
  auto wrong = api(port, "POST", "/api/v1/songs/lookup", {{"object_id", image}}, bearer(player.token));
  CHECK(wrong.status == 422);
  CHECK(wrong.body["error"]["details"]["fields"].contains("object_id"));
  CHECK(api(port, "POST", "/api/v1/songs/lookup", {{"object_id", "../../etc/passwd"}}, bearer(player.token)).status ==
        404);
  CHECK(api(port, "POST", "/api/v1/songs/lookup", {{"object_id", 7}}, bearer(player.token)).status == 422);
  CHECK(api(port, "GET", "/api/v1/songs/not-a-uuid", nullptr, bearer(player.token)).status == 404);

  // A WAV cut short mid-header: the audio decoder's stable code, for good.
  const auto clean = wav(drum_loop(90, 12, 0.0, 4).samples, 22050);
  auto cut = api(port, "POST", "/api/v1/songs/lookup",
                 {{"object_id", upload_object(port, "audio", "audio/wav", clean.substr(0, 30), "cut.wav")}},
                 bearer(player.token));
  if (cut.status == 202) {
    const auto failed = wait_for_state(port, cut.body["job_id"], "failed", std::chrono::seconds(60));
    CHECK(failed["error"]["code"] == "unsupported_media_type");
  } else {
    CHECK(cut.status == 415);  // the upload flow itself refused bytes that are not audio
  }

  // Four fingerprinting lookups a minute here; the fifth is refused with Retry-After.
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    auto bytes = wav(drum_loop(80 + 10 * i, 8, 0.0, 20 + i).samples, 22050);
    auto a = api(port, "POST", "/api/v1/songs/lookup",
                 {{"object_id", upload_object(port, "audio", "audio/wav", bytes, "x.wav")}}, bearer(player.token));
    if (a.status == 429) {
      ++refused;
      CHECK(a.body["error"]["code"] == "rate_limited");
      CHECK_FALSE(a.raw.header("Retry-After").empty());
    }
  }
  CHECK(refused >= 2);

  // A fix decided by a verifier reaches the player by e-mail (and karma changes do not).
  const auto song = add_song(port, "Mailed", clean);
  auto gen = api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token));
  REQUIRE(gen.status == 202);
  wait_for_state(port, gen.body["job_id"], "succeeded", std::chrono::seconds(90));
  const std::string map_id = gen.body["map_id"];
  auto fix =
      api(port, "POST", "/api/v1/maps/" + map_id + "/edits",
          {{"patch", {{{"op", "remove"}, {"path", "/notes/0"}}}}, {"comment", "a ghost note"}}, bearer(player.token));
  REQUIRE(fix.status == 201);
  REQUIRE(api(port, "POST", "/api/v1/edits/" + fix.body["id"].get<std::string>() + "/decision",
              {{"decision", "reject"}, {"comment", "that note is real"}}, bearer(verifier.token))
              .status == 200);
  REQUIRE(eventually([&] { return smtp.received().size() >= 2; }, std::chrono::seconds(30)));
  std::set<std::string> subjects;
  for (const auto& m : smtp.received()) {
    CHECK(m["rcpt_tos"] == json::array({"player@example.com"}));
    subjects.insert(m["message"]["subject"].get<std::string>());
  }
  CHECK(subjects.contains("Tyto: your drum map for \"Mailed\" is ready"));
  CHECK(subjects.contains("Tyto: your fix was rejected"));
  // The player turns e-mail off: the next notification stays in the app.
  REQUIRE(api(port, "PUT", "/api/v1/notifications/settings", {{"email", false}}, bearer(player.token)).status == 200);
  auto fix2 = api(port, "POST", "/api/v1/maps/" + map_id + "/edits",
                  {{"patch", {{{"op", "remove"}, {"path", "/notes/1"}}}}}, bearer(player.token));
  REQUIRE(fix2.status == 201);
  REQUIRE(api(port, "POST", "/api/v1/edits/" + fix2.body["id"].get<std::string>() + "/decision",
              {{"decision", "approve"}}, bearer(verifier.token))
              .status == 200);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(smtp.received().size() == 2);
}

TEST_CASE("The music catalog answers another tenant's admin with 404 and a too-small role with 403",
          "[integration][music]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    const auto loop = drum_loop(120, 10, 0.0, 2);
                    const auto bytes = wav(loop.samples, loop.rate);
                    const auto song = add_song(port, "Victim", bytes);
                    v.add("/api/v1/songs/", song);
                    auto gen = api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object());
                    REQUIRE(gen.status == 202);
                    wait_for_state(port, gen.body["job_id"], "succeeded", std::chrono::seconds(90));
                    const std::string map = gen.body["map_id"];
                    v.add("/api/v1/maps/", map);
                    auto edit = api(port, "POST", "/api/v1/maps/" + map + "/edits",
                                    {{"patch", {{{"op", "remove"}, {"path", "/notes/0"}}}}});
                    REQUIRE(edit.status == 201);
                    v.add("/api/v1/edits/", edit.body["id"]);
                    auto look = api(port, "POST", "/api/v1/songs/lookup",
                                    {{"object_id", upload_object(port, "audio", "audio/wav", bytes, "v.wav")}});
                    REQUIRE((look.status == 202 || look.status == 200));
                    v.add("/api/v1/songs/lookups/", look.body.value("lookup_id", look.body.value("id", "")));
                    v.bodies["/api/v1/maps/{id}/edits"] = {{"patch", {{{"op", "remove"}, {"path", "/notes/0"}}}}};
                    v.bodies["/api/v1/edits/{id}/decision"] = {{"decision", "reject"}};
                    v.bodies["/api/v1/notifications/settings"] = {{"email", true}};
                  }});
}

TEST_CASE("Stems of maps nobody verified are deleted after the retention, a verified map keeps its stem",
          "[integration][music]") {
  SqliteBackend backend;
  // A retention of 0 days and a sweep every second: every unverified stem is due at once.
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_MUSIC_STEM_RETENTION_DAYS", "0"},
                                                    {"TYTO_PRODUCTS_MUSIC_SWEEP_INTERVAL_S", "1"},
                                                    {"TYTO_PRODUCTS_MUSIC_GENERATIONS_PER_MINUTE", "0"}});
  const auto port = server->port();
  const auto player = member(port, "player@example.com", "user");
  const auto verifier = member(port, "verifier@example.com", "user", {"verifier"});
  const auto loop = drum_loop(120, 10, 0.0, 31);
  const auto song = add_song(port, "Kept", wav(loop.samples, loop.rate));
  std::vector<std::string> maps;
  for (int i = 0; i < 2; ++i) {
    auto g = api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token));
    REQUIRE(g.status == 202);
    wait_for_state(port, g.body["job_id"], "succeeded", std::chrono::seconds(90));
    maps.push_back(g.body["map_id"]);
  }
  // The first is verified (promoted) as soon as it is ready; the sweep may have been faster for the second only.
  auto verified = api(port, "POST", "/api/v1/maps/" + maps[0] + "/verify", json::object(), bearer(verifier.token));
  if (verified.status == 200) {
    CHECK(eventually([&] {
      return api(port, "GET", "/api/v1/maps/" + maps[1], nullptr, bearer(player.token)).body["has_stem"] == false;
    }));
    CHECK(api(port, "GET", "/api/v1/maps/" + maps[1] + "/stem", nullptr, bearer(player.token)).status == 404);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    // A verified map that still had its stem keeps it past several sweeps.
    if (verified.body["has_stem"] == true) {
      CHECK(api(port, "GET", "/api/v1/maps/" + maps[0] + "/stem", nullptr, bearer(player.token)).status == 200);
    }
    // The map file itself stays: only the stem goes.
    CHECK(api(port, "GET", "/api/v1/maps/" + maps[1] + "/content", nullptr, bearer(player.token)).status == 200);
  }
  // Either way no unverified map keeps a stem for long.
  CHECK(eventually([&] {
    return api(port, "GET", "/api/v1/maps/" + maps[1], nullptr, bearer(player.token)).body["has_stem"] == false;
  }));
}
