// The antivirus module in the real server (SQLite, local objects: no services): /ready with and without
// signatures, and uploaded WAV files scanned by antivirus.scan jobs.
#include "signatures.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using namespace tyto::test::antivirus_signatures;
using nlohmann::json;

namespace {

std::map<std::string, std::string> admin() { return {{"Authorization", std::string("Bearer ") + kAdminKey}}; }

std::string upload(std::uint16_t port, const std::string& bytes) {
  auto declared = api(
      port, "POST", "/api/v1/uploads",
      {{"filename", "song.wav"}, {"content_type", "audio/wav"}, {"size", bytes.size()}, {"purpose", "audio"}}, admin());
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  url = url.substr(url.find("/api/"));
  REQUIRE(request(port, "PUT", url, bytes, {{"Content-Type", "audio/wav"}, {"Authorization", ""}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete",
                  nullptr, admin());
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

json scan_job(std::uint16_t port, const std::string& object_id) {
  auto created = api(port, "POST", "/api/v1/jobs",
                     {{"pipeline", "antivirus.scan"}, {"input", {{"object_id", object_id}}}}, admin());
  INFO(created.raw.body);
  REQUIRE(created.status == 202);
  json job;
  REQUIRE(eventually(
      [&] {
        job = api(port, "GET", "/api/v1/jobs/" + created.body["id"].get<std::string>(), nullptr, admin()).body;
        return job["state"] != "queued" && job["state"] != "running";
      },
      std::chrono::seconds(60)));
  return job;
}

}  // namespace

TEST_CASE("The server scans uploads with the signatures of its database folder and says so in /ready",
          "[antivirus][server]") {
  TempDir dir, db;
  write_databases(db.path());
  auto server = TytoProcess::serve({"--data-dir", dir.path().string()},
                                   {{"TYTO_MODULES_ANTIVIRUS_DATABASE_DIR", db.path().string()}});
  const auto port = server->port();
  const auto ready = request(port, "GET", "/ready");
  INFO(ready.body);
  CHECK(ready.status == 200);
  CHECK(json::parse(ready.body)["checks"]["antivirus.signatures"] == "ok");

  // A WAV file with the marker in its samples, and the same file without it.
  const std::string clean = wav_file();
  std::string marked = clean;
  marked.replace(2000, kMarker.size(), kMarker);
  auto job = scan_job(port, upload(port, marked));
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["result"] == "infected");
  CHECK(job["result"]["signature"].get<std::string>().starts_with("Tyto.Test.Marked"));
  job = scan_job(port, upload(port, clean));
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["result"] == "clean");
  CHECK(job["result"]["signatures"] == 3);
}

TEST_CASE("Without signatures the server is ready with a note, unless the antivirus is required",
          "[antivirus][server]") {
  TempDir dir, empty;
  {
    auto server = TytoProcess::serve({"--data-dir", dir.path().string()},
                                     {{"TYTO_MODULES_ANTIVIRUS_DATABASE_DIR", empty.path().string()}});
    const auto ready = request(server->port(), "GET", "/ready");
    INFO(ready.body);
    CHECK(ready.status == 200);
    CHECK(json::parse(ready.body)["checks"]["antivirus.signatures"].get<std::string>().starts_with(
        "ok: no signature database"));
    const auto job = scan_job(server->port(), upload(server->port(), wav_file()));
    CHECK(job["result"]["result"] == "not_scanned");
  }
  auto server = TytoProcess::serve(
      {"--data-dir", dir.path().string()},
      {{"TYTO_MODULES_ANTIVIRUS_DATABASE_DIR", empty.path().string()}, {"TYTO_MODULES_ANTIVIRUS_REQUIRED", "true"}});
  const auto ready = request(server->port(), "GET", "/ready");
  INFO(ready.body);
  CHECK(ready.status == 503);
  CHECK(ready.body.find("antivirus.signatures") != std::string::npos);
}
