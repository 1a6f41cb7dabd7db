// The matcher and the index: synthetic fingerprints with known offsets and bit errors, the index file, and
// the quality test on real music (clips at random offsets, clean, MP3 64 kbit/s, white noise at
// 10 dB SNR; clips of tracks that are not indexed).
#include "tyto/fingerprint/audio_match.hpp"
#include "fingerprint_audio/audio_samples.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <random>

using namespace tyto;
using namespace tyto::fingerprint;
using namespace tyto::test;
using namespace tyto::test::audio;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::uint32_t> random_fingerprint(std::size_t n, std::mt19937& rng) {
  std::vector<std::uint32_t> out(n);
  for (auto& v : out) v = static_cast<std::uint32_t>(rng());
  return out;
}

// Each bit flipped with probability `ber`.
std::vector<std::uint32_t> with_errors(std::vector<std::uint32_t> fp, double ber, std::mt19937& rng) {
  std::bernoulli_distribution flip(ber);
  for (auto& v : fp)
    for (int b = 0; b < 32; ++b)
      if (flip(rng)) v ^= 1u << b;
  return fp;
}

std::vector<std::uint32_t> slice(const std::vector<std::uint32_t>& fp, std::size_t from, std::size_t n) {
  return {fp.begin() + static_cast<std::ptrdiff_t>(from), fp.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

}  // namespace

TEST_CASE("The matcher finds the offset of a noisy excerpt and scores unrelated fingerprints low",
          "[fingerprint][audio]") {
  std::mt19937 rng(42);
  const auto track = random_fingerprint(3000, rng);
  for (const double ber : {0.0, 0.1, 0.2}) {
    INFO("bit-error rate " << ber);
    const auto query = with_errors(slice(track, 1234, 80), ber, rng);
    const auto a = align(query, track);
    REQUIRE(a);
    CHECK(a->offset == 1234);
    CHECK(a->offset_s == Approx(1234 * kItemSeconds));
    CHECK(a->overlap == 80);
    CHECK(a->ber == Approx(ber).margin(0.03));
    CHECK(a->score == Approx(1 - 2 * a->ber));
  }
  const auto unrelated = align(random_fingerprint(80, rng), track);
  REQUIRE(unrelated);
  CHECK(unrelated->score < 0.25);
  // A query that starts before the reference: a negative offset, the overlap only.
  const auto early = align(slice(track, 0, 60), slice(track, 20, 500));
  REQUIRE(early);
  CHECK(early->offset == -20);
  CHECK(early->overlap == 40);
  CHECK_FALSE(align_at(slice(track, 0, 60), track, 2990));  // overlap of 10 < min_overlap
}

TEST_CASE("The index finds an excerpt among many tracks, persists, and replaces a track by key",
          "[fingerprint][audio]") {
  std::mt19937 rng(7);
  AudioIndex index;
  std::vector<std::vector<std::uint32_t>> tracks;
  for (int t = 0; t < 60; ++t) {
    tracks.push_back(random_fingerprint(1500, rng));
    index.add({fmt::format("track-{}", t), 185.0, tracks.back()});
  }
  CHECK(index.size() == 60);
  const auto query = with_errors(slice(tracks[37], 700, 80), 0.15, rng);
  auto m = index.lookup(query);
  REQUIRE(m);
  CHECK(m->track == "track-37");
  CHECK(m->alignment.offset == 700);
  CHECK_FALSE(index.lookup(random_fingerprint(80, rng)));
  CHECK_FALSE(index.lookup(std::vector<std::uint32_t>(80, 12345u)));  // no content: silence

  TempDir dir;
  const auto db = dir.path() / "index.tfp";
  index.save(db);
  auto loaded = AudioIndex::load(db);
  CHECK(loaded.size() == 60);
  CHECK(loaded.tracks()[37].raw == tracks[37]);
  CHECK(loaded.tracks()[37].duration_s == 185.0);
  m = loaded.lookup(query);
  REQUIRE(m);
  CHECK(m->track == "track-37");

  // The same key replaces the track; remove takes it out.
  const auto replacement = random_fingerprint(1500, rng);
  loaded.add({"track-37", 1.0, replacement});
  CHECK(loaded.size() == 60);
  CHECK_FALSE(loaded.lookup(query));
  m = loaded.lookup(with_errors(slice(replacement, 300, 80), 0.15, rng));
  REQUIRE(m);
  CHECK(m->track == "track-37");
  CHECK(m->alignment.offset == 300);
  CHECK(loaded.remove("track-36"));
  CHECK_FALSE(loaded.remove("track-36"));
  CHECK(AudioIndex::load(dir.path() / "none.tfp").size() == 0);

  // A damaged file is refused, never half-read.
  std::string bytes = read_file(db);
  bytes[bytes.size() / 2] ^= 0x5A;
  write_file(dir.path() / "damaged.tfp", bytes);
  write_file(dir.path() / "short.tfp", read_file(db).substr(0, 100));
  for (const auto* name : {"damaged.tfp", "short.tfp"}) {
    try {
      AudioIndex::load(dir.path() / name);
      FAIL("loaded a damaged index");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
    }
  }
}

TEST_CASE("The index lists every version of a song a query matches, best first", "[fingerprint][audio]") {
  std::mt19937 rng(11);
  AudioIndex index;
  const auto song = random_fingerprint(1500, rng);
  // A remaster that starts 200 items later, a noisier copy, and unrelated tracks.
  std::vector<std::uint32_t> remaster(200, 0);
  for (auto& v : remaster) v = rng();
  remaster.insert(remaster.end(), song.begin(), song.end());
  index.add({"original", 185.0, song});
  index.add({"remaster", 210.0, remaster});
  index.add({"noisy", 185.0, with_errors(song, 0.12, rng)});
  for (int t = 0; t < 20; ++t) index.add({fmt::format("other-{}", t), 185.0, random_fingerprint(1500, rng)});

  const auto query = with_errors(slice(song, 500, 80), 0.10, rng);
  const auto all = index.lookup_all(query, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].alignment.score >= all[1].alignment.score);
  CHECK(all[1].alignment.score >= all[2].alignment.score);
  std::map<std::string, int> offsets;
  for (const auto& m : all) offsets[m.track] = m.alignment.offset;
  CHECK(offsets.at("original") == 500);
  CHECK(offsets.at("remaster") == 700);
  CHECK(offsets.at("noisy") == 500);
  CHECK(index.lookup(query)->track == all[0].track);
  CHECK(index.lookup_all(query, 1).size() == 1);
  CHECK(index.lookup_all(random_fingerprint(80, rng), 10).empty());
}

TEST_CASE("Clips at random offsets of indexed tracks are found where they are, also as MP3 and in noise",
          "[fingerprint][audio][quality]") {
  const auto all = music_tracks();
  // The tracks at even positions are indexed, a few at odd positions are not. silence.ogg is silence.
  std::vector<fs::path> indexed, others;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].filename() == "silence.ogg") continue;
    (i % 2 == 0 ? indexed : others).push_back(all[i]);
  }
  std::mt19937 rng(Catch::rngSeed());
  std::shuffle(others.begin(), others.end(), rng);
  others.resize(5);
  AudioIndex index;
  for (const auto& t : indexed) {
    auto fp = fingerprint_file(t, {.max_seconds = 0});
    index.add({t.string(), fp.duration_s, std::move(fp.raw)});
  }

  TempDir dir;
  struct Clip {
    fs::path source;
    double offset_s;
    bool indexed;
  };
  std::vector<Clip> clips;
  for (int n = 0; n < 10; ++n) {
    const auto& t = indexed[rng() % indexed.size()];
    const double d = probe_duration(t);
    clips.push_back({t, std::uniform_real_distribution<double>(0, std::max(0.0, d - 11))(rng), true});
  }
  for (const auto& t : others)
    clips.push_back({t, std::uniform_real_distribution<double>(0, std::max(0.0, probe_duration(t) - 11))(rng), false});

  int found = 0, expected_found = 0, false_matches = 0;
  double worst_score = 1, worst_offset_error = 0;
  for (std::size_t n = 0; n < clips.size(); ++n) {
    const auto& c = clips[n];
    const auto clean = dir.path() / fmt::format("clip{}.wav", n);
    const auto mp3 = dir.path() / fmt::format("clip{}.mp3", n);
    const auto noisy = dir.path() / fmt::format("clip{}_noise.wav", n);
    cut_clip(c.source, c.offset_s, 10, clean, "-ac 2 -ar 44100");
    cut_clip(clean, 0, 10, mp3, "-b:a 64k");
    add_white_noise(clean, noisy, 10.0, 1000 + n);
    for (const auto& file : {clean, mp3, noisy}) {
      INFO(file.filename() << " from " << c.source.filename() << " at " << c.offset_s << " s");
      const auto m = index.lookup(fingerprint_file(file).raw);
      if (c.indexed) {
        ++expected_found;
        REQUIRE(m);
        CHECK(m->track == c.source.string());
        CHECK(m->alignment.offset_s == Approx(c.offset_s).margin(0.25));
        found += m->track == c.source.string() && std::abs(m->alignment.offset_s - c.offset_s) <= 0.25;
        worst_score = std::min(worst_score, m->alignment.score);
        worst_offset_error = std::max(worst_offset_error, std::abs(m->alignment.offset_s - c.offset_s));
      } else {
        CHECK_FALSE(m);
        false_matches += m.has_value();
      }
    }
  }
  WARN(
      fmt::format("found {} of {} at the right offset (lowest score {:.3f}, largest offset error {:.3f} s), {} false "
                  "matches of {} unindexed clips",
                  found, expected_found, worst_score, worst_offset_error, false_matches, others.size() * 3));

  // The same through the commands: index, then lookup with --json.
  const auto db = (dir.path() / "catalog.tfp").string();
  std::vector<std::string> args = {"fingerprint", "index", "--db", db};
  for (std::size_t i = 0; i < 4; ++i) args.push_back(indexed[i].string());
  std::size_t target = 0;
  while (probe_duration(indexed[target]) < 60) ++target;  // one long enough for a clip at 30.5 s
  REQUIRE(target < 4);
  auto r = run_tyto(args);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("4 tracks"));
  const auto clip = dir.path() / "cli.mp3";
  cut_clip(indexed[target], 30.5, 10, clip, "-b:a 64k");
  const auto unknown = dir.path() / "unknown.mp3";
  cut_clip(others[0], 20, 10, unknown, "-b:a 64k");
  r = run_tyto({"fingerprint", "lookup", "--db", db, "--json", clip.string(), unknown.string()});
  REQUIRE(r.status == 0);
  const auto results = json::parse(r.out);
  REQUIRE(results.size() == 2);
  CHECK(results[0]["path"] == clip.string());
  CHECK(results[0]["match"]["track"] == indexed[target].string());
  CHECK(results[0]["match"]["offset_s"].get<double>() == Approx(30.5).margin(0.25));
  CHECK(results[0]["match"]["score"].get<double>() > 0.5);
  CHECK(results[1]["match"].is_null());
  r = run_tyto({"fingerprint", "lookup", "--db", db, clip.string(), unknown.string()});
  CHECK_THAT(r.out, Catch::Contains(clip.string() + ": " + indexed[target].string() + " offset_s=30."));
  CHECK_THAT(r.out, Catch::Contains(unknown.string() + ": no match"));
  write_file(dir.path() / "bad.tfp", "garbage");
  r = run_tyto({"fingerprint", "lookup", "--db", (dir.path() / "bad.tfp").string(), clip.string()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("validation_failed"));
}
