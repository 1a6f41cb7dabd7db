// The stages through a stand-in job context, and `tyto hash` from the real binary.
#include "fingerprint/fingerprint_support.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/fingerprint/fingerprint_index.hpp"
#include "tyto/modules/fingerprint.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto;
using namespace tyto::test;
using nlohmann::json;

namespace {

class FakeArtifacts final : public pipeline::Artifacts {
 public:
  std::map<std::string, std::string> objects;
  int reads = 0;
  pipeline::Artifact put(const pipeline::NewArtifact&, std::string_view) override { throw std::logic_error("unused"); }
  std::string get(std::string_view id, std::size_t) override {
    ++reads;
    return objects.at(std::string(id));
  }
  pipeline::Artifact stat(std::string_view id) override {
    const auto& bytes = objects.at(std::string(id));
    return {std::string(id), "upload", "x", "image/jpeg", bytes.size(), sha256_hex(bytes)};
  }
};

class FakeContext final : public pipeline::StageContext {
 public:
  explicit FakeContext(std::string tenant) : tenant_(std::move(tenant)) {}
  FakeArtifacts store;
  const std::string& job_id() const override { return job_; }
  const std::string& tenant_id() const override { return tenant_; }
  int attempt() const override { return 1; }
  void progress(double, std::string_view) override {}
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { throw std::logic_error("unused"); }
  pipeline::Artifacts& artifacts() override { return store; }

 private:
  std::string job_ = "job";
  std::string tenant_;
  pipeline::CancellationToken token_;
};

cv::Mat scene(int seed) {
  cv::Mat bgr(300, 400, CV_8UC3, cv::Scalar(40 * seed % 256, 90, 160));
  cv::RNG rng(seed);
  for (int i = 0; i < 12; ++i)
    cv::rectangle(bgr, cv::Rect(rng.uniform(0, 350), rng.uniform(0, 250), rng.uniform(20, 120), rng.uniform(20, 120)),
                  cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), -1);
  return bgr;
}

}  // namespace

TEST_CASE("image.hash hashes content once, and image.match finds it again in the tenant's index", "[fingerprint]") {
  TempDir dir;
  FakeContext ctx("tenant-a");
  ctx.store.objects["o1"] = fp::encode(scene(1), "jpg");
  ctx.store.objects["o1-copy"] = ctx.store.objects["o1"];
  ctx.store.objects["o2"] = fp::encode(scene(2), "jpg");
  ctx.store.objects["bad"] = "not an image";
  {
    modules::FingerprintModule module({.dir = dir.path()});
    module.start();
    pipeline::StageRegistry registry;
    module.register_stages(registry);
    REQUIRE(registry.find("image.hash"));
    REQUIRE(registry.find("image.match"));
    std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
    CHECK_NOTHROW(pipeline::load_owned_pipelines(module.pipelines(), "fingerprint", registry, pipelines));
    CHECK(pipelines.size() == 2);

    const json first = module.hash(ctx, {{"object_id", "o1"}, {"index", "brand"}, {"add", true}});
    CHECK(first["cached"] == false);
    CHECK(first["pdq"].get<std::string>().size() == 64);
    REQUIRE(first["colour"].size() == fingerprint::kColourBins);
    for (double v : first["colour"]) CHECK(std::abs(v * 1e4 - std::round(v * 1e4)) < 1e-6);  // four places
    CHECK(ctx.store.reads == 1);
    // The same bytes under another id come from the cache: not read, not decoded.
    const json copy = module.hash(ctx, {{"object_id", "o1-copy"}});
    CHECK(copy["cached"] == true);
    CHECK(copy["phash"] == first["phash"]);
    CHECK(ctx.store.reads == 1);
    module.hash(ctx, {{"object_id", "o2"}, {"index", "brand"}, {"add", true}, {"key", "second"}});

    try {
      module.hash(ctx, {{"object_id", "bad"}});
      FAIL("an undecodable object was hashed");
    } catch (const pipeline::StageError& e) {
      CHECK(e.code() == "unsupported_media_type");
      CHECK_FALSE(e.retryable());
    }
  }

  // A new module (a restart) rebuilds the index from disk and still has the cache.
  modules::FingerprintModule module({.dir = dir.path()});
  module.start();
  const std::string jpeg = fp::encode(scene(1), "jpg", 40);  // the first scene, recompressed
  ctx.store.objects["query"] = jpeg;
  json hashed = module.hash(ctx, {{"object_id", "o1"}});
  CHECK(hashed["cached"] == true);
  hashed = module.hash(ctx, {{"object_id", "query"}, {"index", "brand"}});
  const json found = module.match(ctx, hashed);  // a pipeline passes image.hash's output on
  CHECK(found["hash"] == "pdq");
  REQUIRE(found["matches"].size() == 1);
  CHECK(found["matches"][0]["key"] == "o1");
  const json by_phash = module.match(ctx, {{"index", "brand"}, {"phash", hashed["phash"]}, {"radius", 64}});
  REQUIRE(by_phash["matches"].size() == 2);
  CHECK(by_phash["matches"][0]["key"] == "o1");
  // Another tenant's index of the same name is another index.
  FakeContext other("tenant-b");
  CHECK(module.match(other, {{"index", "brand"}, {"phash", hashed["phash"]}, {"radius", 64}})["matches"].empty());
  CHECK_THROWS_AS(module.match(ctx, {{"index", "brand"}}), pipeline::StageError);
  CHECK_THROWS(module.index("tenant-a", "../escape"));
}

TEST_CASE("tyto hash prints one line per file, JSON with --json, and an error entry for a bad file",
          "[fingerprint][cli]") {
  TempDir dir;
  const auto good = (dir.path() / "scene.jpg").string();
  const auto png_named_jpg = (dir.path() / "really-a-png.jpg").string();
  const auto empty = (dir.path() / "empty.jpg").string();
  write_file(good, fp::encode(scene(3), "jpg"));
  write_file(png_named_jpg, fp::encode(scene(4), "png"));
  write_file(empty, "");
  const auto expected = fp::hash_bytes(fp::read_bytes(good));

  auto r = run_tyto({"hash", good, png_named_jpg});
  CHECK(r.status == 0);
  const auto first_line = r.out.substr(0, r.out.find('\n'));
  CHECK(first_line ==
        good + " ahash=" + fingerprint::to_hex(expected.ahash) + " dhash=" + fingerprint::to_hex(expected.dhash) +
            " phash=" + fingerprint::to_hex(expected.phash) + " pdq=" + fingerprint::to_hex(expected.pdq) +
            " pdq_quality=" + std::to_string(expected.pdq_quality));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);

  r = run_tyto({"hash", "--json", good, empty, png_named_jpg});
  CHECK(r.status == 1);
  const json out = json::parse(r.out);
  REQUIRE(out.size() == 3);
  CHECK(out[0]["path"] == good);
  CHECK(out[0]["phash"] == fingerprint::to_hex(expected.phash));
  CHECK(out[0]["pdq"] == fingerprint::to_hex(expected.pdq));
  CHECK(out[0]["pdq_quality"] == expected.pdq_quality);
  CHECK_FALSE(out[0].contains("error"));
  CHECK(out[1]["path"] == empty);
  CHECK(out[1]["error"].is_string());
  CHECK_FALSE(out[1].contains("phash"));
  CHECK(out[2]["ahash"].get<std::string>().size() == 16);

  CHECK(run_tyto({"hash"}).status == 2);
  CHECK(run_tyto({"hash", "--nope", good}).status == 2);
  const auto help = run_tyto({"help"});
  CHECK_THAT(help.out, Catch::Contains("hash [--json] FILE…"));
}
