// The clip buffer: MP4 clips remuxed from the encoded packets of a file and of an RTSP stream, checked by
// decoding them again (same codec, one frame per packet, the square where the source had it), and the
// buffer's bounds.
#include "media/source/child_process.hpp"
#include "media/source/media_samples.hpp"
#include "support/test_support.hpp"
#include "tyto/media/source.hpp"

#include <catch2/catch.hpp>

#include <variant>

using namespace tyto::test::media;
using tyto::ErrorCode;
using tyto::media::MediaSource;
using tyto::media::SourceOptions;

namespace {

const VideoSpec kSpec{640, 360, 25, 250};  // 10 s

// With B-frames (veryfast), keyframes exactly every 25 frames.
std::filesystem::path clip_source_file(bool b_frames) {
  const auto path = shared_media_dir() / (b_frames ? "clip-b.mp4" : "clip.mp4");
  if (!std::filesystem::exists(path))
    write_square_video(path, kSpec,
                       std::string("-c:v libx264 -g 25 -keyint_min 25 -sc_threshold 0 ") +
                           (b_frames ? "-preset veryfast" : "-preset ultrafast -bf 0"));
  return path;
}

Decoded decode_clip(const std::string& mp4) {
  SourceOptions options;
  options.bytes = std::make_shared<const std::string>(mp4);
  auto source = MediaSource::open(options);
  CHECK(source->info().video_codec == "h264");
  CHECK(source->info().container.find("mp4") != std::string::npos);
  return decode_all(*source);
}

// The first frame of a clip is the keyframe at or before from_s; the square says which frame it is.
std::int64_t first_frame_number(double from_s) { return static_cast<std::int64_t>(from_s * 25) / 25 * 25; }

}  // namespace

TEST_CASE("A clip of a file is a valid MP4 of the same packets, from the keyframe before its start", "[media][clip]") {
  const bool b_frames = GENERATE(false, true);
  SourceOptions options;
  options.url = clip_source_file(b_frames).string();
  options.clip.seconds = 30;
  auto source = MediaSource::open(options);
  const auto all = decode_all(*source, false);
  REQUIRE(all.frames.size() == 250);
  const auto* buffer = source->clip_buffer();
  REQUIRE(buffer);
  CHECK(buffer->packets() == 250);

  const double from_s = 3.3, to_s = 5.5;
  const auto mp4 = source->clip(from_s, to_s);
  const auto packets = buffer->packet_count(from_s, to_s);
  INFO("B-frames: " << b_frames << ", packets " << packets);
  // From frame 75 (the keyframe at 3.0 s) through about frame 137 (5.5 s).
  CHECK(packets >= 137 - 75);
  CHECK(packets <= 140 - 75);
  const auto clip = decode_clip(mp4);
  CHECK(clip.frames.size() == packets);  // no re-encode: one frame per packet
  // Frame n of the clip (by its time: with B-frames the last pictures of the range may be left out) is frame
  // first + n of the file.
  const auto first = first_frame_number(from_s);
  REQUIRE_FALSE(clip.frames.empty());
  CHECK(clip.frames.front().pts_s == Approx(0.0).margin(0.002));
  for (const auto& f : clip.frames) {
    INFO("clip frame " << f.index << " at " << f.pts_s << " s");
    const auto n = std::lround(f.pts_s * 25);
    CHECK(f.pts_s == Approx(static_cast<double>(n) / 25).margin(0.002));
    const auto c = square_centre(f.image);
    REQUIRE(c);
    CHECK(std::abs(c->x - expected_centre_x(kSpec, first + n)) <= 3.0);
  }
}

TEST_CASE("The clip buffer keeps whole groups of pictures within its seconds and bytes", "[media][clip]") {
  SourceOptions options;
  options.url = clip_source_file(false).string();
  SECTION("seconds") {
    options.clip.seconds = 2;
    auto source = MediaSource::open(options);
    decode_all(*source, false);
    const auto* buffer = source->clip_buffer();
    CHECK(buffer->latest_s() == Approx(9.96).margin(0.01));
    // At least 2 s, and less than one group (1 s) more.
    CHECK(buffer->latest_s() - buffer->earliest_s() >= 2.0 - 0.05);
    CHECK(buffer->latest_s() - buffer->earliest_s() < 3.0);
    CHECK(std::fmod(buffer->earliest_s() + 1e-6, 1.0) < 0.01);  // it starts at a keyframe
    // What is gone cannot be clipped; the range starts at the first keyframe held.
    const auto e = error_of([&] { source->clip(0.0, 1.0); });
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(e.details()["reason"] == "no_packets");
    CHECK(decode_clip(source->clip(0.0, 9.0)).frames.size() == buffer->packet_count(0.0, 9.0));
  }
  SECTION("bytes") {
    const auto cap = std::filesystem::file_size(options.url) / 3;
    options.clip.seconds = 60;
    options.clip.max_bytes = cap;
    auto source = MediaSource::open(options);
    decode_all(*source, false);
    const auto* buffer = source->clip_buffer();
    CHECK(buffer->bytes() <= cap);
    CHECK(buffer->packets() > 0);
    CHECK(buffer->earliest_s() > 0.0);
  }
}

TEST_CASE("Clips are refused without a buffer and for a backwards range", "[media][clip]") {
  SourceOptions options;
  options.url = clip_source_file(false).string();
  auto without = MediaSource::open(options);
  CHECK(without->clip_buffer() == nullptr);
  CHECK(error_of([&] { without->clip(0, 1); }).details()["reason"] == "no_clip_buffer");
  options.clip.seconds = 10;
  auto with = MediaSource::open(options);
  CHECK(error_of([&] { with->clip(0, 1); }).details()["reason"] == "no_packets");  // nothing read yet
  with->next();
  CHECK(error_of([&] { with->clip(2, 1); }).code() == ErrorCode::kValidationFailed);
}

TEST_CASE("A clip of an RTSP stream is a valid MP4 of the packets received", "[media][clip][rtsp]") {
  const VideoSpec spec{640, 360, 25, 288};
  const auto file = shared_media_dir() / "clip-stream.mp4";
  if (!std::filesystem::exists(file))
    write_square_video(file, spec, "-c:v libx264 -preset ultrafast -bf 0 -g 25 -keyint_min 25 -sc_threshold 0");
  RtspServer server(file, "cam", false);
  SourceOptions options;
  options.url = server.url();
  options.open_timeout = std::chrono::seconds(15);
  options.clip.seconds = 10;
  auto source = MediaSource::open(options);
  std::vector<tyto::media::VideoFrame> frames;
  while (frames.size() < 100) {
    auto item = source->next();
    REQUIRE(item);
    frames.push_back(std::get<tyto::media::VideoFrame>(std::move(*item)));
  }
  const double from_s = frames[30].pts_s, to_s = frames[80].pts_s;
  const auto mp4 = source->clip(from_s, to_s);
  const auto packets = source->clip_buffer()->packet_count(from_s, to_s);
  CHECK(packets >= 51);
  const auto clip = decode_clip(mp4);
  CHECK(clip.frames.size() == packets);
  // The clip's pictures are the stream's: the square moves on by 4 px a frame from the keyframe it starts at.
  REQUIRE(clip.frames.size() >= 2);
  const auto first = square_centre(clip.frames.front().image);
  REQUIRE(first);
  for (const auto& f : clip.frames) {
    const auto c = square_centre(f.image);
    REQUIRE(c);
    CHECK(std::abs(std::fmod(c->x - first->x + 576.0, 576.0) - std::fmod(4.0 * f.index, 576.0)) <= 3.0);
  }
  // The last frame of the clip is the stream's frame at to_s.
  const auto last = square_centre(clip.frames.back().image);
  const auto at_to = square_centre(frames[80].image);
  REQUIRE(last);
  REQUIRE(at_to);
  CHECK(std::abs(last->x - at_to->x) <= 3.0);
}
