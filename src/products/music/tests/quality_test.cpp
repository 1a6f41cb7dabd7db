// Song identification through the API, measured (docs/quality.md, "Song identification"): 10-second snippets of
// Battle for Wesnoth's soundtrack at random offsets — clean, as 64 kbit/s MP3, and with white noise 10 dB under
// the music — against a catalog of 12 of its tracks, and snippets of 6 other tracks that must match nothing.
// The figures are printed; the assertions hold the floor they must not fall under.
#include "fingerprint_audio/audio_samples.hpp"
#include "support.hpp"

#include <iostream>

using namespace tyto::test;
using namespace tyto::test::music;

TEST_CASE("10-second snippets are identified through the API, clean, as MP3 and in noise, without false matches",
          "[integration][music][quality]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_MUSIC_LOOKUPS_PER_MINUTE", "0"}});
  const auto port = server->port();
  const auto tracks = audio::music_tracks();
  REQUIRE(tracks.size() >= 18);
  std::map<std::string, std::string> song_of;  // track path → song id
  for (int i = 0; i < 12; ++i) {
    song_of[tracks[i].string()] =
        add_song(port, tracks[i].stem().string(), read_file(tracks[i]), "audio/ogg", tracks[i].filename().string());
  }
  TempDir dir;
  std::mt19937 rng(2026);
  struct Tally {
    int right = 0, wrong = 0, missed = 0;
    std::vector<double> offset_errors;
  };
  std::map<std::string, Tally> tally;
  int n = 0;
  for (int i = 0; i < 12; ++i) {
    const auto& track = tracks[i];
    const double duration = audio::probe_duration(track);
    for (int k = 0; k < 2; ++k) {
      const double offset = std::uniform_real_distribution<double>(0, std::max(1.0, duration - 12))(rng);
      const auto base = dir.path() / fmt::format("q{}", n++);
      audio::cut_clip(track, offset, 10, base.string() + ".wav");
      audio::cut_clip(track, offset, 10, base.string() + ".mp3", "-b:a 64k");
      audio::add_white_noise(base.string() + ".wav", base.string() + "-noisy.wav", 10, static_cast<std::uint64_t>(n));
      const std::vector<std::tuple<std::string, std::string, std::string>> variants = {
          {"clean", base.string() + ".wav", "audio/wav"},
          {"mp3", base.string() + ".mp3", "audio/mpeg"},
          {"noisy", base.string() + "-noisy.wav", "audio/wav"}};
      for (const auto& [name, path, type] : variants) {
        const auto l = lookup(port, std::string(kAdminKey), upload_object(port, "audio", type, read_file(path), "q"));
        auto& t = tally[name];
        if (l["matches"].empty()) {
          ++t.missed;
        } else if (l["matches"][0]["song_id"] == song_of[track.string()]) {
          ++t.right;
          t.offset_errors.push_back(std::abs(l["matches"][0]["offset_s"].get<double>() - offset));
        } else {
          ++t.wrong;
        }
      }
    }
  }
  // Tracks not in the catalog: any match is a false one.
  int false_matches = 0, negatives = 0;
  for (std::size_t i = 12; i < 18; ++i) {
    const auto path = dir.path() / fmt::format("neg{}.mp3", i);
    audio::cut_clip(tracks[i], 30, 10, path, "-b:a 64k");
    const auto l =
        lookup(port, std::string(kAdminKey), upload_object(port, "audio", "audio/mpeg", read_file(path), "n"));
    ++negatives;
    false_matches += !l["matches"].empty();
  }
  for (const auto& [name, t] : tally) {
    auto errors = t.offset_errors;
    std::sort(errors.begin(), errors.end());
    const double median = errors.empty() ? 0 : errors[errors.size() / 2];
    std::cout << fmt::format(
        "music identification {}: {}/{} right, {} wrong, {} missed; offset error median {:.3f} s\n", name, t.right,
        t.right + t.wrong + t.missed, t.wrong, t.missed, median);
    CHECK(t.wrong == 0);
  }
  std::cout << fmt::format("music identification negatives: {} false matches of {}\n", false_matches, negatives);
  CHECK(false_matches == 0);
  CHECK(tally["clean"].right >= 23);
  CHECK(tally["mp3"].right >= 22);
  CHECK(tally["noisy"].right >= 18);
}
