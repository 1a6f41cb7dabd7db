// The antivirus module with the real libclamav and signature databases the tests write themselves (a body
// signature for a marker, the EICAR test string as a custom signature, an MD5 signature of a file): verdicts,
// the missing database, reload, archives within limits and zip bombs, concurrent scans, the stage and /ready.
#include "tyto/antivirus/scanner.hpp"
#include "signatures.hpp"
#include "support/test_support.hpp"
#include "tyto/modules/antivirus.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using namespace tyto::test::antivirus_signatures;
using antivirus::Verdict;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

antivirus::ScannerOptions options_for(const std::filesystem::path& dir) {
  antivirus::ScannerOptions o;
  o.database_dir = dir;
  o.reload_interval = 0ms;
  return o;
}

// The archives of make_archives.py, made once per test run with `payload` inside.
std::map<std::string, std::string> archives(const std::string& payload) {
  static TempDir dir;
  static std::map<std::string, std::map<std::string, std::string>> made;
  auto& out = made[payload];
  if (out.empty()) {
    const auto folder = dir.path() / hex(payload).substr(0, 16);
    std::filesystem::create_directories(folder);
    const std::string command = "/usr/bin/python3 '" +
                                (source_dir() / "modules/antivirus/tests/make_archives.py").string() + "' '" +
                                folder.string() + "' '" + payload + "'";
    REQUIRE(std::system(command.c_str()) == 0);
    for (const char* name : {"shallow.zip", "nested.zip", "bomb.zip", "many.zip"}) out[name] = read_file(folder / name);
  }
  return out;
}

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
    return it->second.substr(0, max_bytes);
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

}  // namespace

TEST_CASE("A marked file, the EICAR string and a file named by its MD5 are infected with their signatures' names",
          "[antivirus]") {
  TempDir db;
  write_databases(db.path());
  antivirus::Scanner scanner(options_for(db.path()));
  REQUIRE(scanner.available());
  CHECK(scanner.signatures() == 3);
  CHECK(scanner.problem().empty());
  CHECK_FALSE(antivirus::Scanner::engine_version().empty());

  auto r = scanner.scan(marked_file());
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Tyto.Test.Marked"));  // ClamAV adds ".UNOFFICIAL" to unsigned databases' names
  r = scanner.scan(kEicar);
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Tyto.Test.Eicar"));
  r = scanner.scan(kHashed);
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Tyto.Test.Hashed"));
  CHECK(antivirus::verdict_name(r.verdict) == "infected");
  // One byte more and the hash no longer matches.
  CHECK(scanner.scan(kHashed + " ").verdict == Verdict::kClean);
}

TEST_CASE("A clean WAV file and random bytes are clean", "[antivirus]") {
  TempDir db;
  write_databases(db.path());
  antivirus::Scanner scanner(options_for(db.path()));
  const auto r = scanner.scan(wav_file());
  CHECK(r.verdict == Verdict::kClean);
  CHECK(r.signature.empty());
  CHECK(antivirus::verdict_name(r.verdict) == "clean");
  CHECK(scanner.scan(random_bytes(100'000, 3)).verdict == Verdict::kClean);
  CHECK(scanner.scan("").verdict == Verdict::kClean);
}

TEST_CASE("Without a signature database the scanner is unavailable and scans answer not_scanned", "[antivirus]") {
  TempDir empty;
  write_file(empty.path() / "README", "no databases here\n");
  antivirus::Scanner scanner(options_for(empty.path()));
  CHECK_FALSE(scanner.available());
  CHECK(scanner.signatures() == 0);
  CHECK(scanner.problem().find(empty.path().string()) != std::string::npos);
  const auto r = scanner.scan(kEicar);
  CHECK(r.verdict == Verdict::kNotScanned);
  CHECK(antivirus::verdict_name(r.verdict) == "not_scanned");
  CHECK_FALSE(r.reason.empty());

  antivirus::Scanner missing(options_for(empty.path() / "does-not-exist"));
  CHECK_FALSE(missing.available());
  CHECK(missing.scan(kEicar).verdict == Verdict::kNotScanned);
}

TEST_CASE("A reload picks up a new signature, and removed databases stop the scanning", "[antivirus]") {
  TempDir db;
  write_databases(db.path());
  antivirus::Scanner scanner(options_for(db.path()));
  const std::string later = random_bytes(2000, 4) + kLater;
  CHECK(scanner.scan(later).verdict == Verdict::kClean);
  CHECK_FALSE(scanner.reload());  // nothing changed

  write_file(db.path() / "later.ndb", "Tyto.Test.Later:0:*:" + hex(kLater) + "\n");
  const auto r = scanner.scan(later);  // reload_interval 0: this scan notices the new file
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Tyto.Test.Later"));
  CHECK(scanner.signatures() == 4);

  // A database that fails to load keeps the engine that worked.
  write_file(db.path() / "broken.ndb", "this is not a signature\n");
  CHECK(scanner.scan(later).verdict == Verdict::kInfected);
  CHECK(scanner.available());

  std::filesystem::remove_all(db.path());
  std::filesystem::create_directories(db.path());
  CHECK(scanner.scan(later).verdict == Verdict::kNotScanned);
  CHECK_FALSE(scanner.available());
}

TEST_CASE("Archives are unpacked within the limits, and nested archives and zip bombs stay within them",
          "[antivirus]") {
  TempDir db;
  write_databases(db.path());
  const auto zips = archives(kEicar);
  auto o = options_for(db.path());
  o.max_recursion = 8;
  o.max_scan_size = 16u << 20;
  o.max_file_size = 16u << 20;
  o.max_files = 500;
  antivirus::Scanner scanner(o);

  // Two levels deep: found.
  auto r = scanner.scan(zips.at("shallow.zip"));
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Tyto.Test.Eicar"));
  // 24 levels deep, past max_recursion: reported as the limit it hit, not passed as clean.
  r = scanner.scan(zips.at("nested.zip"));
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Heuristics.Limits.Exceeded"));
  // 256 MiB of zeros in 250 KiB: stops at the size limits instead of inflating it all.
  r = scanner.scan(zips.at("bomb.zip"));
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Heuristics.Limits.Exceeded"));
  // More members than max_files.
  r = scanner.scan(zips.at("many.zip"));
  CHECK(r.verdict == Verdict::kInfected);
  CHECK(r.signature.starts_with("Heuristics.Limits.Exceeded"));

  // Without the alert, the limits still hold: the scan ends, and what it could not reach is not reported.
  o.alert_exceeds_max = false;
  antivirus::Scanner quiet(o);
  CHECK(quiet.scan(zips.at("nested.zip")).verdict == Verdict::kClean);
  CHECK(quiet.scan(zips.at("bomb.zip")).verdict == Verdict::kClean);
  CHECK(quiet.scan(zips.at("shallow.zip")).verdict == Verdict::kInfected);

  // Input larger than max_file_size is not scanned at all.
  o.max_file_size = 1000;
  antivirus::Scanner small(o);
  r = small.scan(marked_file());
  CHECK(r.verdict == Verdict::kNotScanned);
  CHECK(r.reason.find("max_file_size") != std::string::npos);
}

TEST_CASE("Several threads scan with one engine while it is reloaded", "[antivirus]") {
  TempDir db;
  write_databases(db.path());
  antivirus::Scanner scanner(options_for(db.path()));
  const std::string clean = wav_file();
  const std::string marked = marked_file();
  std::atomic<int> wrong{0}, scans{0};
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    while (!stop) {
      scanner.reload(true);
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const bool infected = (i + t) % 2 == 0;
        const auto r = scanner.scan(infected ? (i % 4 == 0 ? kEicar : marked) : clean);
        if (r.verdict != (infected ? Verdict::kInfected : Verdict::kClean)) ++wrong;
        ++scans;
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  reloader.join();
  CHECK(scans == 320);
  CHECK(wrong == 0);
}

TEST_CASE("The antivirus.scan stage reports an object's verdict and /ready says whether signatures are loaded",
          "[antivirus][stages]") {
  TempDir db;
  write_databases(db.path());
  modules::AntivirusModule module(options_for(db.path()), false);
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  const auto* def = registry.find("antivirus.scan");
  REQUIRE(def);
  const auto files = module.pipelines();
  REQUIRE(files.size() == 1);
  const auto pipeline = pipeline::parse_pipeline(json::parse(files[0].text), registry, files[0].path);
  CHECK(pipeline.name == "antivirus.scan");

  JobContext ctx;
  ctx.store.objects = {{"o-marked", marked_file()}, {"o-clean", wav_file()}};
  auto out = def->run(ctx, {{"object_id", "o-marked"}});
  CHECK(out["result"] == "infected");
  CHECK(out["signature"].get<std::string>().starts_with("Tyto.Test.Marked"));
  CHECK(out["signatures"] == 3);
  out = def->run(ctx, {{"object_id", "o-clean"}});
  CHECK(out["result"] == "clean");
  CHECK_FALSE(out.contains("signature"));
  CHECK_THROWS_AS(def->run(ctx, {{"object_id", "o-missing"}}), pipeline::StageError);
  CHECK(module.readiness() == std::vector<std::pair<std::string, std::string>>{{"signatures", "ok"}});

  // No database: ready with a note, or not ready when the operator requires scanning.
  TempDir empty;
  modules::AntivirusModule optional(options_for(empty.path()), false);
  const auto note = optional.readiness();
  REQUIRE(note.size() == 1);
  CHECK(note[0].second.starts_with("ok: no signature database"));
  modules::AntivirusModule required(options_for(empty.path()), true);
  CHECK(required.readiness()[0].second.starts_with("no signature database"));
  pipeline::StageRegistry other;
  optional.register_stages(other);
  CHECK(other.find("antivirus.scan")->run(ctx, {{"object_id", "o-marked"}})["result"] == "not_scanned");
}
