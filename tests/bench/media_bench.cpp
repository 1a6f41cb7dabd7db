// The media module's costs on this machine: decoding H.264 files to RGB frames (720p as is, 1080p scaled
// to 720p, with one and two decoder threads), and remuxing a 6-second clip from the clip buffer. The videos
// are made first with Debian's ffmpeg (lavfi: moving shapes over a test pattern, so the encoder has real
// work). Measures; never asserts. Usage: tyto_bench_media
#include "tyto/media/source.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <variant>

using clock_type = std::chrono::steady_clock;

namespace {

std::filesystem::path make_video(const std::filesystem::path& dir, int width, int height) {
  const auto path = dir / fmt::format("bench-{}p.mp4", height);
  if (std::filesystem::exists(path)) return path;
  const auto command = fmt::format(
      "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s={}x{}:r=25:d=20 -c:v libx264 -preset veryfast "
      "-g 50 -b:v {}k '{}'",
      width, height, height >= 1080 ? 6000 : 3000, path.string());
  if (std::system(command.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + command);
  return path;
}

void decode(const std::string& label, const std::filesystem::path& file, int threads, int out_w, int out_h) {
  tyto::media::SourceOptions options;
  options.url = file.string();
  options.decoder_threads = threads;
  options.caps.max_width = 1920;
  options.caps.max_height = 1080;
  options.caps.output_max_width = out_w;
  options.caps.output_max_height = out_h;
  const auto start = clock_type::now();
  auto source = tyto::media::MediaSource::open(options);
  std::int64_t frames = 0;
  while (auto item = source->next())
    if (std::holds_alternative<tyto::media::VideoFrame>(*item)) ++frames;
  const double s = std::chrono::duration<double>(clock_type::now() - start).count();
  fmt::print("{:<44} {:>5} frames  {:>7.1f} fps  {:>6.2f} ms/frame\n", label, frames, frames / s, 1000.0 * s / frames);
}

void clip(const std::filesystem::path& file) {
  tyto::media::SourceOptions options;
  options.url = file.string();
  options.clip.seconds = 12;
  auto source = tyto::media::MediaSource::open(options);
  while (source->next()) {
  }
  constexpr int kRounds = 20;
  std::size_t bytes = 0;
  const auto start = clock_type::now();
  for (int i = 0; i < kRounds; ++i) bytes = source->clip(10.0, 16.0).size();
  const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count() / kRounds;
  fmt::print("{:<44} {:>5} packets {:>6.2f} ms ({} KiB, held {} KiB)\n", "clip of 6 s from the buffer (720p, remux)",
             source->clip_buffer()->packet_count(10.0, 16.0), ms, bytes / 1024, source->clip_buffer()->bytes() / 1024);
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / "tyto-bench-media";
  std::filesystem::create_directories(dir);
  const auto v720 = make_video(dir, 1280, 720);
  const auto v1080 = make_video(dir, 1920, 1080);
  fmt::print("-- decode to RGB (H.264, 20 s, 25 fps, testsrc2)\n");
  decode("720p, 1 decoder thread", v720, 1, 0, 0);
  decode("720p, 2 decoder threads", v720, 2, 0, 0);
  decode("1080p scaled to 720p, 1 decoder thread", v1080, 1, 1280, 720);
  decode("1080p scaled to 720p, 2 decoder threads", v1080, 2, 1280, 720);
  decode("720p scaled to 480p (cpu-only), 2 threads", v720, 2, 854, 480);
  clip(v720);
  std::filesystem::remove_all(dir);
}
