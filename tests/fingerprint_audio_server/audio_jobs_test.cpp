// The audio stages inside the real server: an uploaded recording fingerprinted by a job (reading the object
// through ctx.artifacts()), a clip found in it by another, a text file failing with its stable code.
#include "fingerprint_audio/audio_samples.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/hash.hpp"

#include <catch2/catch.hpp>

using namespace tyto::test;
using namespace tyto::test::audio;
using nlohmann::json;

namespace {

std::string upload(std::uint16_t port, const std::string& type, const std::string& bytes, const std::string& name) {
  auto declared = api(port, "POST", "/api/v1/uploads",
                      {{"filename", name},
                       {"content_type", type},
                       {"size", bytes.size()},
                       {"purpose", "audio"},
                       {"sha256", tyto::sha256_hex(bytes)}});
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  const std::string url = declared.body["url"];
  REQUIRE(url.starts_with("/"));  // the local object store: a signed URL of this server
  REQUIRE(request(port, "PUT", url, bytes, {{"Content-Type", type}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete");
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

json run_job(std::uint16_t port, const std::string& pipeline, const json& input, const std::string& state) {
  auto res = api(port, "POST", "/api/v1/jobs", {{"pipeline", pipeline}, {"input", input}});
  INFO(res.raw.body);
  REQUIRE(res.status == 202);
  return wait_for_state(port, res.body["id"], state, std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("Jobs fingerprint an uploaded recording and find a clip of it", "[integration][fingerprint][audio]") {
  const auto tracks = music_tracks();
  TempDir dir;
  // Pipelines of one stage each, from a pipelines directory (the module ships none of its own).
  write_file(dir.path() / "pipelines" / "audio.fp.json",
             R"({"name": "audio.fp", "version": 1, "description": "fingerprint",
                 "stages": [{"id": "fp", "stage": "audio.fingerprint"}]})");
  write_file(dir.path() / "pipelines" / "audio.m.json",
             R"({"name": "audio.m", "version": 1, "description": "match",
                 "stages": [{"id": "m", "stage": "audio.match"}]})");
  auto server = TytoProcess::serve({"--jobs-pipelines-dir", (dir.path() / "pipelines").string()});
  const auto port = server->port();

  const auto clip = dir.path() / "clip.mp3";
  cut_clip(tracks[1], 25.0, 10, clip, "-b:a 64k");
  const auto track_id = upload(port, "audio/ogg", read_file(tracks[1]), "track.ogg");
  const auto clip_id = upload(port, "audio/mpeg", read_file(clip), "clip.mp3");

  auto job = run_job(port, "audio.fp", {{"object_id", track_id}, {"max_seconds", 0}}, "succeeded");
  const auto fpcalc = run_command("fpcalc -length 0 -json " + quote(tracks[1].string()));
  CHECK(job["result"]["fingerprint"] == json::parse(fpcalc.out)["fingerprint"]);
  const std::string track_fp = job["result"]["fingerprint"];
  job = run_job(port, "audio.fp", {{"object_id", clip_id}}, "succeeded");
  const std::string clip_fp = job["result"]["fingerprint"];

  job = run_job(port, "audio.m", {{"query", clip_fp}, {"references", {{{"id", "track"}, {"fingerprint", track_fp}}}}},
                "succeeded");
  CHECK(job["result"]["match"]["id"] == "track");
  CHECK(job["result"]["match"]["offset_s"].get<double>() == Approx(25.0).margin(0.25));

  // An Ogg cut off in its headers passes the upload's content check but is no audio: the job fails at once
  // (no retries) with the stable code. The schema refuses junk before any stage runs.
  const auto text_id = upload(port, "audio/ogg", read_file(tracks[0]).substr(0, 3000), "cut.ogg");
  job = run_job(port, "audio.fp", {{"object_id", text_id}}, "failed");
  CHECK(job.dump().find("unsupported_media_type") != std::string::npos);
  CHECK(job["attempts"] == 1);
  CHECK(api(port, "POST", "/api/v1/jobs", {{"pipeline", "audio.m"}, {"input", {{"query", 5}}}}).status == 422);
}
