// The audio.transcribe stage through a stand-in job context, the module's options and readiness, and
// `tyto transcribe` through the real binary.
#include "audio/speech_support.hpp"
#include "support/test_support.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/modules/audio.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <map>

using namespace tyto;
using namespace tyto::test::speech;
using nlohmann::json;

namespace {

// Objects by id; the stage only reads.
class ObjectsOnly final : public pipeline::Artifacts {
 public:
  std::map<std::string, std::string, std::less<>> objects;
  pipeline::Artifact put(const pipeline::NewArtifact&, std::string_view) override {
    throw std::logic_error("the stage writes nothing");
  }
  std::string get(std::string_view id, std::size_t max_bytes) override {
    const auto it = objects.find(id);
    if (it == objects.end()) throw pipeline::StageError("not_found", "no such object", false);
    if (it->second.size() > max_bytes) throw pipeline::StageError("artifact_too_large", "too large", false);
    return it->second;
  }
  pipeline::Artifact stat(std::string_view id) override { return {std::string(id)}; }
};

class JobContext final : public pipeline::StageContext {
 public:
  ObjectsOnly store;
  pipeline::CancellationToken token_;
  const std::string& job_id() const override { return id_; }
  const std::string& tenant_id() const override { return id_; }
  int attempt() const override { return 1; }
  void progress(double, std::string_view) override {}
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { throw std::logic_error("unused"); }
  pipeline::Artifacts& artifacts() override { return store; }

 private:
  std::string id_ = "job";
};

std::string speech_mp3(const std::string& sentence, const std::string& name) {
  const auto samples = quiet_room(sentence);
  const auto wav = write_file(work_dir() / (name + ".wav"), wav_file(samples));
  return read_file(convert(wav, work_dir() / (name + ".mp3"), "-b:a 64k"));
}

}  // namespace

TEST_CASE("The audio module registers audio.transcribe and its pipeline", "[audio][stages]") {
  modules::AudioModule module(modules::AudioOptions{.decoders = 1});
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  const auto* def = registry.find("audio.transcribe");
  REQUIRE(def);
  CHECK(def->input_schema["required"] == json::array({"object_id"}));
  std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
  REQUIRE_NOTHROW(pipeline::load_owned_pipelines(module.pipelines(), "audio", registry, pipelines));
  CHECK(pipelines.count("audio.transcribe") == 1);
  CHECK(module.readiness() == std::vector<std::pair<std::string, std::string>>{{"pocketsphinx", "ok"}});

  modules::AudioModule broken(modules::AudioOptions{.dict = "/nonexistent.dict"});
  REQUIRE(broken.readiness().size() == 1);
  CHECK(broken.readiness()[0].second.find("/nonexistent.dict") != std::string::npos);
}

TEST_CASE("audio.transcribe turns an MP3 object into text with timed words", "[audio][stages]") {
  modules::AudioModule module(modules::AudioOptions{.decoders = 1});
  JobContext ctx;
  ctx.store.objects["clip"] = speech_mp3(corpus()[6], "phone");
  const json out = module.transcribe(ctx, {{"object_id", "clip"}});
  INFO(out.dump());
  CHECK(out["object_id"] == "clip");
  CHECK(out["backend"] == "pocketsphinx");
  CHECK(out["duration_s"].get<double>() > 2);
  CHECK(word_error_rate(corpus()[6], out["text"].get<std::string>()) < 0.3);
  REQUIRE(out["words"].size() >= 8);
  CHECK(out["words"][0]["start_s"].get<double>() >= 0.1);
  CHECK(out["words"][0].contains("confidence"));
  CHECK(out["segments"].size() == 1);
}

TEST_CASE("audio.transcribe refuses bad objects with permanent stage errors", "[audio][stages]") {
  modules::AudioModule module(modules::AudioOptions{.decoders = 1, .max_clip_seconds = 2});
  JobContext ctx;
  ctx.store.objects["text"] = "hello, this is text";
  ctx.store.objects["long"] = wav_file(silence(3));
  ctx.store.objects["empty"] = "";
  struct Case {
    const char* id;
    const char* code;
  };
  for (const Case& c : {Case{"text", "unsupported_media_type"}, Case{"empty", "unsupported_media_type"},
                        Case{"long", "payload_too_large"}}) {
    INFO(c.id);
    try {
      module.transcribe(ctx, {{"object_id", c.id}});
      FAIL("no error");
    } catch (const pipeline::StageError& e) {
      CHECK(e.code() == c.code);
      CHECK_FALSE(e.retryable());
    }
  }
}

TEST_CASE("tyto transcribe prints the text of audio files, or JSON with word timings", "[audio][cli]") {
  const auto mp3 = write_file(work_dir() / "cli.mp3", speech_mp3(corpus()[8], "cli"));
  const std::string command = test::tyto_binary().string() + " transcribe --json " + quote(mp3.string()) + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  INFO(out);
  REQUIRE(status == 0);
  const json j = json::parse(out);
  CHECK(j["file"] == mp3.string());
  CHECK(word_error_rate(corpus()[8], j["text"].get<std::string>()) < 0.5);
  CHECK_FALSE(j["words"].empty());

  const std::string bad =
      test::tyto_binary().string() + " transcribe " + quote((work_dir() / "missing.wav").string()) + " 2>/dev/null";
  CHECK(WEXITSTATUS(std::system(bad.c_str())) == 1);
}
