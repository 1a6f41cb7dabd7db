// Real music and the tools that make test clips of it, for the audio fingerprint tests and benchmark.
//
// The music is Battle for Wesnoth's soundtrack (Debian's wesnoth-1.16-music, GPL-2+; scripts/packages/
// test.txt), 41 Ogg Vorbis tracks, 2.1 hours. Clips are cut and encoded with Debian's ffmpeg; the
// reference fingerprints come from Debian's fpcalc (libchromaprint-tools).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tyto::test::audio {

// The soundtrack's tracks, sorted by name. Fails the test (REQUIRE) where the package is missing.
std::vector<std::filesystem::path> music_tracks();

struct CommandResult {
  int status = -1;
  std::string out;  // stdout
};
// Runs a shell command line (arguments quoted with quote()), capturing stdout; stderr is discarded.
CommandResult run_command(const std::string& command);
std::string quote(const std::string& word);

double probe_duration(const std::filesystem::path& file);

// Cuts `seconds` from `offset_s` of `source` into `out` (its extension picks the container), with extra
// ffmpeg output arguments such as "-b:a 64k".
void cut_clip(const std::filesystem::path& source, double offset_s, double seconds, const std::filesystem::path& out,
              const std::string& ffmpeg_args = {});

// Writes `in` (any audio) to `out` as 16-bit stereo 44.1 kHz WAV with Gaussian white noise added at
// `snr_db` below the clip's own mean power.
void add_white_noise(const std::filesystem::path& in, const std::filesystem::path& out, double snr_db,
                     std::uint64_t seed);

// 16-bit PCM WAV bytes with the given header fields; `declared_data_bytes` may lie about the samples.
std::string wav_bytes(int sample_rate, int channels, const std::vector<std::int16_t>& samples,
                      std::uint32_t declared_data_bytes);

}  // namespace tyto::test::audio
