// MediaSource on RTSP from GStreamer's RTSP server (tests/services/rtsp_server.py) serving the square video:
// frames over TCP and UDP, a server killed mid-stream, a server that freezes with its connection open, and
// interrupt() from another thread. Each deadline is checked for the error it gives, not for speed.
#include "media/source/child_process.hpp"
#include "media/source/media_samples.hpp"
#include "support/test_support.hpp"
#include "tyto/media/source.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>
#include <variant>

using namespace tyto::test::media;
using tyto::ErrorCode;
using tyto::media::MediaSource;
using tyto::media::SourceOptions;
using tyto::media::Transport;
using tyto::media::VideoFrame;

namespace {

// 288 frames (11.52 s, two sweeps of the square), no B-frames (RTP carries them in order).
const VideoSpec kSpec{640, 360, 25, 288};

const std::filesystem::path& stream_file() {
  static const auto path = [] {
    const auto p = shared_media_dir() / "stream.mp4";
    write_square_video(p, kSpec, "-c:v libx264 -preset ultrafast -bf 0 -g 25 -keyint_min 25 -sc_threshold 0");
    return p;
  }();
  return path;
}

SourceOptions rtsp_options(const std::string& url, Transport transport = Transport::kTcp) {
  SourceOptions options;
  options.url = url;
  options.transport = transport;
  options.open_timeout = std::chrono::seconds(15);
  options.read_timeout = std::chrono::seconds(10);  // generous: a loaded machine is not a dead camera
  return options;
}

VideoFrame next_frame(MediaSource& source) {
  auto item = source.next();
  REQUIRE(item);
  REQUIRE(std::holds_alternative<VideoFrame>(*item));
  return std::get<VideoFrame>(std::move(*item));
}

// The square's left edge, 0 … 575.
double square_left(const VideoFrame& f) {
  const auto c = square_centre(f.image);
  REQUIRE(c);
  return c->x - 31.5;
}

// Reads `count` frames and checks that the square moves 4 px a frame (modulo its sweep), allowing for frames
// that RTP lost (over UDP) by the frames' own times.
void check_motion(MediaSource& source, int count) {
  auto previous = next_frame(source);
  for (int i = 1; i < count; ++i) {
    auto frame = next_frame(source);
    CHECK(frame.image.width == 640);
    CHECK(frame.image.height == 360);
    const auto frames_between = std::lround((frame.pts_s - previous.pts_s) * kSpec.fps);
    CHECK(frames_between >= 1);
    const double moved = std::fmod(square_left(frame) - square_left(previous) + 576.0, 576.0);
    INFO("frame " << frame.index << " at " << frame.pts_s << " s");
    CHECK(std::abs(moved - std::fmod(4.0 * frames_between, 576.0)) <= 3.0);
    previous = std::move(frame);
  }
}

}  // namespace

TEST_CASE("Frames arrive over RTSP/TCP and the square moves 4 px a frame", "[media][rtsp]") {
  RtspServer server(stream_file(), "cam", true);
  auto source = MediaSource::open(rtsp_options(server.url()));
  const auto info = source->info();
  CHECK(info.live);
  CHECK(info.container == "rtsp");
  CHECK(info.video_codec == "h264");
  CHECK(info.width == 640);
  CHECK(info.height == 360);
  CHECK(info.duration_s == 0.0);
  check_motion(*source, 60);
}

TEST_CASE("Frames arrive over RTSP/UDP and the square moves", "[media][rtsp]") {
  RtspServer server(stream_file(), "cam", true);
  auto source = MediaSource::open(rtsp_options(server.url(), Transport::kUdp));
  check_motion(*source, 40);
}

TEST_CASE("A looping RTSP stream goes on past the end of its file", "[media][rtsp][slow]") {
  RtspServer server(stream_file(), "cam", true);
  auto source = MediaSource::open(rtsp_options(server.url()));
  // 288 frames in the file; 320 are only there when the server loops, and the square keeps moving.
  check_motion(*source, 320);
}

TEST_CASE("An RTSP server killed mid-stream makes next() throw disconnected", "[media][rtsp]") {
  RtspServer server(stream_file(), "cam", true);
  auto source = MediaSource::open(rtsp_options(server.url()));
  for (int i = 0; i < 10; ++i) next_frame(*source);
  server.process().kill_and_wait();
  const auto started = std::chrono::steady_clock::now();
  const auto e = error_of([&] {
    while (source->next()) {
    }
  });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.details()["reason"] == "disconnected");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10) + std::chrono::seconds(10));
  // The source is spent: it says so again.
  CHECK(error_of([&] { source->next(); }).details()["reason"] == "disconnected");
}

TEST_CASE("An RTSP server that stops sending with its connection open makes next() time out", "[media][rtsp]") {
  const auto transport = GENERATE(Transport::kTcp, Transport::kUdp);
  INFO((transport == Transport::kTcp ? "TCP" : "UDP"));
  RtspServer server(stream_file(), "cam", true);
  auto options = rtsp_options(server.url(), transport);
  options.read_timeout = std::chrono::milliseconds(1500);
  auto source = MediaSource::open(options);
  for (int i = 0; i < 10; ++i) next_frame(*source);
  server.process().signal(SIGUSR1);
  server.process().wait_for_line("FROZEN");
  const auto started = std::chrono::steady_clock::now();
  const auto e = error_of([&] {
    while (source->next()) {
    }
  });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.details()["reason"] == "timeout");
  // Frames already on their way may come first; then the deadline (a bound against a hang, not a speed test).
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
  CHECK(server.process().running());  // the server did not go away: it froze
}

TEST_CASE("A freeze through the control file times out, and a new source gets frames once it thaws", "[media][rtsp]") {
  tyto::test::TempDir dir;
  const auto control = dir.path() / "freeze";
  RtspServer server(stream_file(), "cam", true, control);
  auto options = rtsp_options(server.url());
  options.read_timeout = std::chrono::milliseconds(1500);
  {
    auto source = MediaSource::open(options);
    next_frame(*source);
    tyto::test::write_file(control, "");
    server.process().wait_for_line("FROZEN");
    const auto e = error_of([&] {
      while (source->next()) {
      }
    });
    CHECK(e.details()["reason"] == "timeout");
  }
  std::filesystem::remove(control);
  server.process().wait_for_line("THAWED");
  auto again = MediaSource::open(options);
  check_motion(*again, 10);
}

TEST_CASE("interrupt() from another thread unblocks a next() waiting on a frozen stream", "[media][rtsp]") {
  RtspServer server(stream_file(), "cam", true);
  auto options = rtsp_options(server.url());
  options.read_timeout = std::chrono::seconds(120);  // only interrupt() can end the wait in time
  auto source = MediaSource::open(options);
  next_frame(*source);
  server.process().signal(SIGUSR1);
  server.process().wait_for_line("FROZEN");
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    source->interrupt();
  });
  const auto e = error_of([&] {
    while (source->next()) {
    }
  });
  stopper.join();
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.details()["reason"] == "interrupted");
  CHECK(error_of([&] { source->next(); }).details()["reason"] == "interrupted");
}

TEST_CASE("An RTSP path the server does not serve is unreachable", "[media][rtsp]") {
  RtspServer server(stream_file(), "cam", true);
  auto options = rtsp_options(server.url() + "-missing");
  const auto e = error_of([&] { MediaSource::open(options); });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.details()["reason"] == "unreachable");
}
