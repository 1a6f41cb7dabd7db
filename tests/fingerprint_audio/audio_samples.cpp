#include "fingerprint_audio/audio_samples.hpp"

#include "support/test_support.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace tyto::test::audio {

namespace fs = std::filesystem;

std::vector<fs::path> music_tracks() {
  const fs::path dir = "/usr/share/games/wesnoth/1.16/data/core/music";
  INFO("install Debian's wesnoth-1.16-music (scripts/packages/test.txt)");
  REQUIRE(fs::is_directory(dir));
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".ogg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  REQUIRE(out.size() >= 30);
  return out;
}

std::string quote(const std::string& word) {
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

double probe_duration(const fs::path& file) {
  const auto r = run_command("ffprobe -v error -show_entries format=duration -of csv=p=0 " + quote(file.string()));
  REQUIRE(r.status == 0);
  return std::stod(r.out);
}

void cut_clip(const fs::path& source, double offset_s, double seconds, const fs::path& out,
              const std::string& ffmpeg_args) {
  const auto cmd = fmt::format("ffmpeg -nostdin -v error -y -ss {:.3f} -t {:.3f} -i {} {} {}", offset_s, seconds,
                               quote(source.string()), ffmpeg_args, quote(out.string()));
  INFO(cmd);
  REQUIRE(run_command(cmd).status == 0);
  REQUIRE(fs::file_size(out) > 0);
}

std::string wav_bytes(int sample_rate, int channels, const std::vector<std::int16_t>& samples,
                      std::uint32_t declared_data_bytes) {
  std::string out;
  const auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  const auto u16 = [&](std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  };
  out += "RIFF";
  u32(36 + declared_data_bytes);
  out += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(static_cast<std::uint16_t>(channels));
  u32(static_cast<std::uint32_t>(sample_rate));
  u32(static_cast<std::uint32_t>(sample_rate * channels * 2));
  u16(static_cast<std::uint16_t>(channels * 2));
  u16(16);
  out += "data";
  u32(declared_data_bytes);
  for (const auto s : samples) u16(static_cast<std::uint16_t>(s));
  return out;
}

void add_white_noise(const fs::path& in, const fs::path& out, double snr_db, std::uint64_t seed) {
  const auto r = run_command("ffmpeg -nostdin -v error -i " + quote(in.string()) +
                             " -f s16le -ac 2 -ar 44100 -acodec pcm_s16le -");
  REQUIRE(r.status == 0);
  std::vector<std::int16_t> samples(r.out.size() / 2);
  std::memcpy(samples.data(), r.out.data(), samples.size() * 2);
  REQUIRE(!samples.empty());
  double power = 0;
  for (const auto s : samples) power += static_cast<double>(s) * s;
  power /= static_cast<double>(samples.size());
  REQUIRE(power > 0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, std::sqrt(power / std::pow(10.0, snr_db / 10.0)));
  for (auto& s : samples) s = static_cast<std::int16_t>(std::clamp(std::lround(s + noise(rng)), -32768L, 32767L));
  write_file(out, wav_bytes(44100, 2, samples, static_cast<std::uint32_t>(samples.size() * 2)));
}

}  // namespace tyto::test::audio
