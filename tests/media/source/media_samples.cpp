#include "media/source/media_samples.hpp"

#include "support/test_support.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <variant>

namespace tyto::test::media {

double expected_centre_x(const VideoSpec& spec, std::int64_t n) {
  return static_cast<double>((4 * n) % (spec.width - 64)) + 31.5;
}

double expected_centre_y(const VideoSpec& spec) { return static_cast<double>((spec.height - 64) / 2) + 31.5; }

std::optional<Point> square_centre(const vision::Image& image) {
  double sx = 0, sy = 0;
  std::int64_t n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto* p = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
      if (p[0] + p[1] + p[2] > 3 * 128) {
        sx += x;
        sy += y;
        ++n;
      }
    }
  }
  if (n == 0) return std::nullopt;
  return Point{sx / static_cast<double>(n), sy / static_cast<double>(n)};
}

void run_ffmpeg(const std::string& args) {
  const auto command = "ffmpeg -nostdin -v error -y " + args;
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

std::string square_video_args(const VideoSpec& spec) {
  const double seconds = static_cast<double>(spec.frames) / spec.fps;
  return fmt::format(
      "-f lavfi -i color=c=black:s={w}x{h}:r={fps}:d={d:.6f} -f lavfi -i color=c=white:s=64x64:r={fps}:d={d:.6f} "
      "-filter_complex \"[0][1]overlay=x='mod(round(t*{fps})*4,{range})':y={y}:eval=frame,format=yuv420p[v]\"",
      fmt::arg("w", spec.width), fmt::arg("h", spec.height), fmt::arg("fps", spec.fps), fmt::arg("d", seconds),
      fmt::arg("range", spec.width - 64), fmt::arg("y", (spec.height - 64) / 2));
}

void write_square_video(const std::filesystem::path& out, const VideoSpec& spec, const std::string& video_args,
                        const std::string& audio_args) {
  const double seconds = static_cast<double>(spec.frames) / spec.fps;
  std::string args = square_video_args(spec);
  if (!audio_args.empty())
    args += fmt::format(" -f lavfi -i sine=frequency=440:sample_rate=44100:duration={:.6f} -map 2:a {} -ac 2", seconds,
                        audio_args);
  args += fmt::format(" -map [v] -frames:v {} {} '{}'", spec.frames, video_args, out.string());
  run_ffmpeg(args);
}

void write_sine(const std::filesystem::path& out, double seconds, int rate, int channels, const std::string& args) {
  run_ffmpeg(fmt::format("-f lavfi -i sine=frequency=440:sample_rate={}:duration={:.6f} -ac {} {} '{}'", rate, seconds,
                         channels, args, out.string()));
}

const std::filesystem::path& shared_media_dir() {
  static const auto dir = std::make_unique<TempDir>();
  return dir->path();
}

Decoded decode_all(tyto::media::MediaSource& source, bool keep_pixels) {
  Decoded d;
  while (auto item = source.next()) {
    if (auto* frame = std::get_if<tyto::media::VideoFrame>(&*item)) {
      if (!keep_pixels) frame->image.pixels.clear();
      d.frames.push_back(std::move(*frame));
    } else {
      auto& chunk = std::get<tyto::media::AudioChunk>(*item);
      if (d.first_audio_pts_s < 0) d.first_audio_pts_s = chunk.pts_s;
      d.audio.insert(d.audio.end(), chunk.samples.begin(), chunk.samples.end());
    }
  }
  return d;
}

double tone_frequency(const std::vector<float>& samples, int rate) {
  std::int64_t crossings = 0;
  for (std::size_t i = 1; i < samples.size(); ++i)
    if ((samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  return samples.empty() ? 0.0 : static_cast<double>(crossings) / 2.0 / (static_cast<double>(samples.size()) / rate);
}

}  // namespace tyto::test::media
