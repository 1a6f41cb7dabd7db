// The audio.transcribe pipeline in the real server (SQLite, local object store: no services): an uploaded
// MP3 of synthesised speech transcribed as a job, a text file refused, and the recogniser in /ready.
#include "audio/speech_support.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using nlohmann::json;

namespace {

std::map<std::string, std::string> admin() { return {{"Authorization", std::string("Bearer ") + kAdminKey}}; }

std::string upload_audio(std::uint16_t port, const std::string& bytes, const std::string& content_type) {
  auto declared = api(
      port, "POST", "/api/v1/uploads",
      {{"filename", "clip"}, {"content_type", content_type}, {"size", bytes.size()}, {"purpose", "audio"}}, admin());
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  url = url.substr(url.find("/api/"));
  REQUIRE(request(port, "PUT", url, bytes, {{"Content-Type", content_type}, {"Authorization", ""}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete",
                  nullptr, admin());
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

json run_job(std::uint16_t port, const json& input) {
  auto created = api(port, "POST", "/api/v1/jobs", {{"pipeline", "audio.transcribe"}, {"input", input}}, admin());
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

TEST_CASE("The server transcribes an uploaded MP3 as an audio.transcribe job", "[audio][server]") {
  TempDir dir;
  auto server = TytoProcess::serve({"--data-dir", dir.path().string()});
  const auto port = server->port();
  const auto ready = request(port, "GET", "/ready");
  INFO(ready.body);
  CHECK(ready.status == 200);
  CHECK(json::parse(ready.body)["checks"]["audio.pocketsphinx"] == "ok");

  const std::string sentence = speech::corpus()[7];
  const auto samples = speech::quiet_room(sentence);
  const auto wav = speech::write_file(speech::work_dir() / "server.wav", speech::wav_file(samples));
  const auto mp3 = speech::read_file(speech::convert(wav, speech::work_dir() / "server.mp3", "-b:a 64k"));
  const std::string object_id = upload_audio(port, mp3, "audio/mpeg");

  json job = run_job(port, {{"object_id", object_id}});
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  const json result = job["result"];
  CHECK(result["backend"] == "pocketsphinx");
  CHECK(speech::word_error_rate(sentence, result["text"].get<std::string>()) < 0.3);
  REQUIRE_FALSE(result["words"].empty());
  CHECK(result["words"][0]["start_s"].get<double>() >= 0.1);

  // A WAV upload that holds no audio (sniffing lets a RIFF header through; the decoder does not).
  std::string fake = speech::wav_file({});
  const std::string empty_id = upload_audio(port, fake, "audio/wav");
  job = run_job(port, {{"object_id", empty_id}});
  CHECK(job["state"] == "failed");
  CHECK(job["error"]["code"] == "unsupported_media_type");
}
