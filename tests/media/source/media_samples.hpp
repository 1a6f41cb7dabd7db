// Test media for the media module, generated with Debian's ffmpeg (lavfi) at test time, and the tools that
// check decoded pictures against what was drawn.
//
// Every video is a 64x64 white square on black moving 4 px per frame along the middle row: in frame n of a
// width x height video its left edge is at x = (4 n) mod (width - 64) and its top at y = (height - 64) / 2.
// Keyframes every 25 frames. Audio, where there is some, is a 440 Hz sine.
#pragma once

#include "tyto/core/error.hpp"
#include "tyto/media/source.hpp"
#include "tyto/vision/image.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tyto::test::media {

struct VideoSpec {
  int width = 640;
  int height = 360;
  int fps = 25;
  int frames = 50;
};

// The square's expected centre in frame n of a video of that size.
double expected_centre_x(const VideoSpec& spec, std::int64_t n);
double expected_centre_y(const VideoSpec& spec);

// The centre of the bright pixels (the square), or nullopt when there are none.
struct Point {
  double x = 0;
  double y = 0;
};
std::optional<Point> square_centre(const vision::Image& image);

// Runs ffmpeg with these arguments (after -nostdin -v error -y); fails the test (REQUIRE) when it fails.
void run_ffmpeg(const std::string& args);

// The lavfi inputs and filter for the square video (two inputs, the filter's output labelled [v]), as ffmpeg
// arguments.
std::string square_video_args(const VideoSpec& spec);

// Writes the square video (and a sine, when audio_args is not empty) to `out` with these codec arguments.
void write_square_video(const std::filesystem::path& out, const VideoSpec& spec, const std::string& video_args,
                        const std::string& audio_args = {});

// Writes `seconds` of a 440 Hz sine at `rate` Hz with `channels` channels to `out` with these codec arguments.
void write_sine(const std::filesystem::path& out, double seconds, int rate, int channels, const std::string& args);

// A folder that lives until the test program exits, for media generated once and shared by tests.
const std::filesystem::path& shared_media_dir();

// Reads a whole source: its frames and its audio.
struct Decoded {
  std::vector<tyto::media::VideoFrame> frames;
  std::vector<float> audio;
  double first_audio_pts_s = -1;
};
Decoded decode_all(tyto::media::MediaSource& source, bool keep_pixels = true);

// Zero crossings per second of a signal sampled at `rate`, / 2: its frequency for a pure tone.
double tone_frequency(const std::vector<float>& samples, int rate);

// The tyto::Error a callable throws (fails the test when it throws nothing or something else).
template <typename F>
tyto::Error error_of(F&& f);

}  // namespace tyto::test::media

#include "media/source/media_samples_inl.hpp"
