// The stages audio.fingerprint and audio.match, run the way the job runner runs them: through the
// registry, with a context whose artifacts are the test's files.
#include "fingerprint_audio/audio_samples.hpp"
#include "support/test_support.hpp"
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"
#include "tyto/fingerprint/audio_wiring.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace tyto;
using namespace tyto::test;
using namespace tyto::test::audio;
using nlohmann::json;

namespace {

class FileArtifacts final : public pipeline::Artifacts {
 public:
  std::map<std::string, std::string> objects;
  pipeline::Artifact put(const pipeline::NewArtifact&, std::string_view) override {
    throw std::logic_error("not used");
  }
  std::string get(std::string_view id, std::size_t max_bytes) override {
    const auto it = objects.find(std::string(id));
    if (it == objects.end()) throw pipeline::StageError("not_found", "no such object", false);
    if (it->second.size() > max_bytes) throw pipeline::StageError("artifact_too_large", "too large", false);
    return it->second;
  }
  pipeline::Artifact stat(std::string_view) override { throw std::logic_error("not used"); }
};

class Context final : public pipeline::StageContext {
 public:
  FileArtifacts files;
  pipeline::CancellationToken cancel;
  double last_progress = -1;
  const std::string& job_id() const override { return id_; }
  const std::string& tenant_id() const override { return id_; }
  int attempt() const override { return 1; }
  void progress(double f, std::string_view) override { last_progress = f; }
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return cancel; }
  bool sleep_for(std::chrono::milliseconds) override { return !cancel.cancelled(); }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { throw std::logic_error("not used"); }
  pipeline::Artifacts& artifacts() override { return files; }

 private:
  std::string id_ = "t";
};

std::string stage_error_code(const pipeline::StageDef& stage, Context& ctx, const json& input, bool& retryable) {
  try {
    stage.run(ctx, input);
  } catch (const pipeline::StageError& e) {
    retryable = e.retryable();
    return e.code();
  }
  FAIL("no StageError");
  return {};
}

}  // namespace

TEST_CASE("audio.fingerprint and audio.match fingerprint an object and find a clip in references",
          "[fingerprint][audio]") {
  pipeline::StageRegistry registry;
  fingerprint::register_audio_stages(registry);
  const auto* fp_stage = registry.find("audio.fingerprint");
  const auto* match_stage = registry.find("audio.match");
  REQUIRE(fp_stage);
  REQUIRE(match_stage);

  const auto tracks = music_tracks();
  TempDir dir;
  const auto clip = dir.path() / "clip.mp3";
  cut_clip(tracks[1], 42.0, 10, clip, "-b:a 64k");
  Context ctx;
  ctx.files.objects["track"] = read_file(tracks[1]);
  ctx.files.objects["other"] = read_file(tracks[3]);
  ctx.files.objects["clip"] = read_file(clip);
  ctx.files.objects["text"] = "hello, not audio";

  const auto track = fp_stage->run(ctx, {{"object_id", "track"}, {"max_seconds", 0}});
  CHECK(ctx.last_progress == 1.0);
  const auto expected = fingerprint::fingerprint_file(tracks[1], {.max_seconds = 0});
  CHECK(track["fingerprint"] == fingerprint::compress_fingerprint(expected.raw));
  CHECK(track["items"] == expected.raw.size());
  CHECK(track["duration"].get<double>() == Approx(expected.duration_s));
  const auto other = fp_stage->run(ctx, {{"object_id", "other"}});
  const auto query = fp_stage->run(ctx, {{"object_id", "clip"}});
  CHECK(query["fingerprinted_s"].get<double>() == Approx(10).margin(0.1));

  // Few references: exact alignment; many: through an index. Both find the clip where it is.
  json refs = json::array({{{"id", "other"}, {"fingerprint", other["fingerprint"]}},
                           {{"id", "track"}, {"fingerprint", track["fingerprint"]}}});
  auto out = match_stage->run(ctx, {{"query", query["fingerprint"]}, {"references", refs}});
  REQUIRE(out["match"].is_object());
  CHECK(out["match"]["id"] == "track");
  CHECK(out["match"]["offset_s"].get<double>() == Approx(42.0).margin(0.25));
  CHECK(out["match"]["score"].get<double>() > 0.5);
  for (int i = 0; i < 10; ++i)
    refs.push_back({{"id", "other-" + std::to_string(i)}, {"fingerprint", other["fingerprint"]}});
  out = match_stage->run(ctx, {{"query", query["fingerprint"]}, {"references", refs}});
  REQUIRE(out["match"].is_object());
  CHECK(out["match"]["id"] == "track");
  CHECK(out["match"]["offset_s"].get<double>() == Approx(42.0).margin(0.25));
  out = match_stage->run(ctx, {{"query", query["fingerprint"]}, {"references", json::array({refs[0]})}});
  CHECK(out["match"].is_null());

  // Failures carry the tyto::Error's code; bad input is not worth retrying.
  bool retryable = true;
  CHECK(stage_error_code(*fp_stage, ctx, {{"object_id", "text"}}, retryable) == "unsupported_media_type");
  CHECK_FALSE(retryable);
  CHECK(stage_error_code(*match_stage, ctx, {{"query", "@@@"}, {"references", refs}}, retryable) ==
        "validation_failed");
  CHECK_FALSE(retryable);
  // A cancelled job stops decoding and unwinds as cancelled.
  ctx.cancel.cancel(pipeline::CancellationToken::Reason::kCancelled);
  CHECK_THROWS_AS(fp_stage->run(ctx, {{"object_id", "track"}, {"max_seconds", 0}}), pipeline::Cancelled);
}
