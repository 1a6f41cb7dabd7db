// MediaSource on files of every container and codec of the list that Debian's ffmpeg writes: frame
// counts, sizes and where the square is in each decoded picture; audio at 16 kHz mono of the right length
// and pitch; the caps.
#include "media/source/media_samples.hpp"
#include "support/test_support.hpp"
#include "tyto/media/source.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <mutex>

using namespace tyto::test::media;
using tyto::ErrorCode;
using tyto::media::MediaSource;
using tyto::media::SourceOptions;

namespace {

struct VideoSample {
  const char* file;
  VideoSpec spec;
  const char* video_args;
  const char* audio_args;
  const char* codec;  // FFmpeg's name of the video codec
};

// One sample per container and video codec (the MP4 one has B-frames and an AAC track).
const std::vector<VideoSample>& video_samples() {
  static const std::vector<VideoSample> samples{
      {"h264.mp4",
       {},
       "-c:v libx264 -preset veryfast -g 25 -keyint_min 25 -sc_threshold 0",
       "-c:a aac -b:a 96k",
       "h264"},
      {"h264.mkv", {}, "-c:v libx264 -preset ultrafast -g 25", "-c:a libopus -b:a 48k", "h264"},
      {"vp8.webm", {}, "-c:v libvpx -deadline realtime -cpu-used 8 -b:v 1M -g 25", "", "vp8"},
      {"vp9.webm", {}, "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 1M -g 25", "-c:a libvorbis", "vp9"},
      {"h264.mov", {}, "-c:v libx264 -preset ultrafast -g 25", "", "h264"},
      {"mjpeg.mov", {}, "-c:v mjpeg -q:v 3", "", "mjpeg"},
  };
  return samples;
}

std::filesystem::path video_file(const VideoSample& s) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const auto path = shared_media_dir() / s.file;
  if (!std::filesystem::exists(path)) write_square_video(path, s.spec, s.video_args, s.audio_args ? s.audio_args : "");
  return path;
}

std::unique_ptr<MediaSource> open_path(const std::filesystem::path& path, bool audio = false) {
  SourceOptions options;
  options.url = path.string();
  options.want_audio = audio;
  return MediaSource::open(options);
}

void check_squares(const Decoded& d, const VideoSpec& spec, double scale = 1.0) {
  REQUIRE(d.frames.size() == static_cast<std::size_t>(spec.frames));
  for (const auto& f : d.frames) {
    INFO("frame " << f.index);
    CHECK(f.pts_s == Approx(static_cast<double>(f.index) / spec.fps).margin(0.002));
    const auto c = square_centre(f.image);
    REQUIRE(c);
    CHECK(std::abs(c->x - expected_centre_x(spec, f.index) * scale) <= 3.0);
    CHECK(std::abs(c->y - expected_centre_y(spec) * scale) <= 3.0);
  }
}

}  // namespace

TEST_CASE("Every video container and codec decodes to RGB frames with the square where it was drawn",
          "[media][decode]") {
  for (const auto& sample : video_samples()) {
    DYNAMIC_SECTION(sample.file) {
      auto source = open_path(video_file(sample));
      const auto info = source->info();
      CHECK(info.video_codec == sample.codec);
      CHECK(info.width == 640);
      CHECK(info.height == 360);
      CHECK(info.output_width == 640);
      CHECK(info.fps == Approx(25.0));
      CHECK(info.duration_s == Approx(2.0).margin(0.1));
      CHECK_FALSE(info.live);
      CHECK_FALSE(info.has_audio);  // not wanted
      const auto d = decode_all(*source);
      for (std::size_t i = 0; i < d.frames.size(); ++i) {
        CHECK(d.frames[i].index == static_cast<std::int64_t>(i));
        CHECK(d.frames[i].image.width == 640);
        CHECK(d.frames[i].image.height == 360);
        CHECK(d.frames[i].image.channels == 3);
        CHECK(d.frames[i].image.pixels.size() == 640u * 360u * 3u);
      }
      check_squares(d, sample.spec);
      CHECK_FALSE(source->next());  // the end stays the end
    }
  }
}

TEST_CASE("A video's audio track comes out as 16 kHz mono chunks of the right length and pitch",
          "[media][decode][audio]") {
  for (const auto& sample : video_samples()) {
    if (!sample.audio_args[0]) continue;
    DYNAMIC_SECTION(sample.file) {
      auto source = open_path(video_file(sample), true);
      const auto info = source->info();
      CHECK(info.has_video);
      CHECK(info.has_audio);
      CHECK(info.audio_channels == 2);
      const auto d = decode_all(*source);
      CHECK(d.frames.size() == 50);
      CHECK(static_cast<double>(d.audio.size()) / tyto::media::kAudioSampleRate == Approx(2.0).margin(0.1));
      CHECK(d.first_audio_pts_s == Approx(0.0).margin(0.05));
      CHECK(tone_frequency(d.audio, tyto::media::kAudioSampleRate) == Approx(440.0).epsilon(0.02));
    }
  }
}

TEST_CASE("Audio files of every container decode to 16 kHz mono of the right length and pitch",
          "[media][decode][audio]") {
  struct AudioSample {
    const char* file;
    int rate;
    int channels;
    const char* args;
    const char* codec;
  };
  const std::vector<AudioSample> samples{
      {"tone.wav", 44100, 2, "-c:a pcm_s16le", "pcm_s16le"},
      {"tone.mp3", 44100, 2, "-c:a libmp3lame -b:a 128k", "mp3"},
      {"tone.ogg", 48000, 2, "-c:a libvorbis", "vorbis"},
      {"tone.flac", 22050, 1, "-c:a flac", "flac"},
  };
  for (const auto& s : samples) {
    DYNAMIC_SECTION(s.file) {
      const auto path = shared_media_dir() / s.file;
      if (!std::filesystem::exists(path)) write_sine(path, 3.0, s.rate, s.channels, s.args);
      SourceOptions options;
      options.url = path.string();
      options.want_audio = true;  // and video, which these do not have
      auto source = MediaSource::open(options);
      const auto info = source->info();
      CHECK_FALSE(info.has_video);
      CHECK(info.has_audio);
      CHECK(info.audio_codec == s.codec);
      CHECK(info.audio_sample_rate == s.rate);
      CHECK(info.audio_channels == s.channels);
      const auto d = decode_all(*source);
      CHECK(d.frames.empty());
      CHECK(static_cast<double>(d.audio.size()) / tyto::media::kAudioSampleRate == Approx(3.0).margin(0.06));
      CHECK(tone_frequency(d.audio, tyto::media::kAudioSampleRate) == Approx(440.0).epsilon(0.02));
      double peak = 0;
      for (float v : d.audio) peak = std::max(peak, static_cast<double>(std::abs(v)));
      CHECK(peak > 0.05);
      CHECK(peak <= 1.0);
    }
  }
}

TEST_CASE("An audio file opened for video only is refused as having no stream", "[media][decode][errors]") {
  const auto path = shared_media_dir() / "only-audio.wav";
  write_sine(path, 0.5, 16000, 1, "-c:a pcm_s16le");
  const auto e = error_of([&] { open_path(path); });
  CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
  CHECK(e.details()["reason"] == "no_stream");
}

TEST_CASE("Bytes in memory decode like the file they came from", "[media][decode]") {
  const auto& sample = video_samples().front();
  SourceOptions options;
  options.bytes = std::make_shared<const std::string>(tyto::test::read_file(video_file(sample)));
  auto source = MediaSource::open(options);
  CHECK(source->info().container.find("mp4") != std::string::npos);
  check_squares(decode_all(*source), sample.spec);
}

TEST_CASE("A 1080p input is refused under a 720p cap, and scaled to 720p under a 720p output cap",
          "[media][decode][caps]") {
  const VideoSpec spec{1920, 1080, 25, 10};
  const auto path = shared_media_dir() / "1080p.mp4";
  if (!std::filesystem::exists(path)) write_square_video(path, spec, "-c:v libx264 -preset ultrafast -g 25");

  SourceOptions options;
  options.url = path.string();
  SECTION("refused") {
    options.caps.max_width = 1280;
    options.caps.max_height = 720;
    const auto e = error_of([&] { MediaSource::open(options); });
    CHECK(e.code() == ErrorCode::kPayloadTooLarge);
    CHECK(e.details()["reason"] == "too_large");
    CHECK(e.details()["limit"] == "max_width");
  }
  SECTION("a portrait cap of the same size is the same cap") {
    options.caps.max_width = 720;
    options.caps.max_height = 1280;
    CHECK(error_of([&] { MediaSource::open(options); }).code() == ErrorCode::kPayloadTooLarge);
  }
  SECTION("scaled, aspect kept") {
    options.caps.output_max_width = 1280;
    options.caps.output_max_height = 1280;
    auto source = MediaSource::open(options);
    CHECK(source->info().width == 1920);
    CHECK(source->info().output_width == 1280);
    CHECK(source->info().output_height == 720);
    const auto d = decode_all(*source);
    for (const auto& f : d.frames) {
      CHECK(f.image.width == 1280);
      CHECK(f.image.height == 720);
    }
    check_squares(d, spec, 2.0 / 3.0);
  }
}

TEST_CASE("Duration, size and bitrate caps refuse what passes them", "[media][decode][caps]") {
  const auto& sample = video_samples().front();  // 2 s
  SourceOptions options;
  options.url = video_file(sample).string();
  std::string limit;
  SECTION("duration") {
    options.caps.max_duration_s = 1.0;
    limit = "max_duration_s";
  }
  SECTION("bytes") {
    options.caps.max_bytes = 1000;
    limit = "max_bytes";
  }
  SECTION("bytes in memory") {
    options.url.clear();
    options.bytes = std::make_shared<const std::string>(tyto::test::read_file(video_file(sample)));
    options.caps.max_bytes = 1000;
    limit = "max_bytes";
  }
  SECTION("bitrate") {
    options.caps.max_bitrate = 10'000;
    limit = "max_bitrate";
  }
  const auto e = error_of([&] { MediaSource::open(options); });
  CHECK(e.code() == ErrorCode::kPayloadTooLarge);
  CHECK(e.details()["limit"] == limit);
}
