// MediaSource on input that lies, is cut short, is empty, names what it must not, or never answers: a typed
// error each time, never a crash or a hang.
#include "media/source/child_process.hpp"
#include "media/source/media_samples.hpp"
#include "support/test_support.hpp"
#include "tyto/media/source.hpp"
#include "tyto/vision/image.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

using namespace tyto::test::media;
using tyto::ErrorCode;
using tyto::media::MediaSource;
using tyto::media::SourceOptions;

namespace {

std::filesystem::path mp4_sample(bool faststart) {
  const auto path = shared_media_dir() / (faststart ? "faststart.mp4" : "plain.mp4");
  if (!std::filesystem::exists(path))
    write_square_video(
        path, {}, std::string("-c:v libx264 -preset ultrafast -g 25") + (faststart ? " -movflags +faststart" : ""));
  return path;
}

// Opens and reads everything; returns the error thrown on the way.
tyto::Error error_reading(const SourceOptions& options) {
  return error_of([&] {
    auto source = MediaSource::open(options);
    decode_all(*source, false);
  });
}

SourceOptions bytes_options(std::string bytes) {
  SourceOptions options;
  options.bytes = std::make_shared<const std::string>(std::move(bytes));
  return options;
}

// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them) and never says a word.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("Zero bytes are refused as empty, as a file and in memory", "[media][errors]") {
  tyto::test::TempDir dir;
  const auto path = dir.path() / "empty.mp4";
  tyto::test::write_file(path, "");
  SourceOptions options;
  options.url = path.string();
  for (const auto& o : {options, bytes_options("")}) {
    const auto e = error_of([&] { MediaSource::open(o); });
    CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
    CHECK(e.details()["reason"] == "empty");
  }
}

TEST_CASE("A PNG named .mp4 is refused as a container Tyto does not read", "[media][errors]") {
  tyto::vision::Image image{64, 48, 3, std::vector<std::uint8_t>(64 * 48 * 3, 200)};
  tyto::test::TempDir dir;
  const auto path = dir.path() / "picture.mp4";
  tyto::test::write_file(path, tyto::vision::encode_png(image));
  SourceOptions options;
  options.url = path.string();
  const auto e = error_reading(options);
  CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
  CHECK(e.details()["reason"] == "unsupported_codec");
}

TEST_CASE("A truncated MP4 is refused as corrupt", "[media][errors]") {
  const auto whole = tyto::test::read_file(mp4_sample(false));
  for (const double fraction : {0.1, 0.5, 0.9}) {
    DYNAMIC_SECTION("cut at " << fraction) {
      const auto e = error_reading(bytes_options(whole.substr(0, static_cast<std::size_t>(whole.size() * fraction))));
      CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
      CHECK(e.details()["reason"] == "corrupt");
    }
  }
}

TEST_CASE("A truncated MP4 whose index comes first gives the frames it has, then ends", "[media][errors]") {
  const auto whole = tyto::test::read_file(mp4_sample(true));
  auto source = MediaSource::open(bytes_options(whole.substr(0, whole.size() / 2)));
  const auto d = decode_all(*source);
  CHECK(d.frames.size() > 0);
  CHECK(d.frames.size() < 50);
  for (const auto& f : d.frames) {
    const auto c = square_centre(f.image);
    REQUIRE(c);
    CHECK(std::abs(c->x - expected_centre_x({}, f.index)) <= 3.0);
  }
}

TEST_CASE("Text and noise are refused with a typed error", "[media][errors]") {
  std::mt19937 random(12);
  std::string noise(100'000, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  const std::string passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
  for (const auto& bytes : {passwd, noise, std::string("RIFF\x10\0\0\0WAVEfmt ", 16)}) {
    const auto e = error_reading(bytes_options(bytes));
    CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
  }
}

TEST_CASE("A codec FFmpeg has no decoder for is refused as unsupported", "[media][errors]") {
  // A WAV whose format tag (0x7777) names no codec.
  std::string wav = "RIFF";
  const auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) wav.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto u16 = [&](std::uint16_t v) {
    wav.push_back(static_cast<char>(v & 0xff));
    wav.push_back(static_cast<char>(v >> 8));
  };
  u32(36 + 8000);
  wav += "WAVEfmt ";
  u32(16);
  u16(0x7777);
  u16(1);
  u32(8000);
  u32(16000);
  u16(2);
  u16(16);
  wav += "data";
  u32(8000);
  wav += std::string(8000, '\x10');
  auto options = bytes_options(wav);
  options.want_audio = true;
  const auto e = error_reading(options);
  CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
  CHECK(e.details()["reason"] == "unsupported_codec");
}

TEST_CASE("A playlist in an upload cannot make FFmpeg open a local file", "[media][errors]") {
  for (const auto& playlist : {std::string("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://" +
                                           mp4_sample(false).string() + "\n#EXT-X-ENDLIST\n"),
                               std::string("ffconcat version 1.0\nfile '" + mp4_sample(false).string() + "'\n")}) {
    const auto e = error_reading(bytes_options(playlist));
    CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
  }
  // The same playlists as files: a path opens only itself.
  tyto::test::TempDir dir;
  const auto path = dir.path() / "list.m3u8";
  tyto::test::write_file(
      path, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n" + mp4_sample(false).string() + "\n#EXT-X-ENDLIST\n");
  SourceOptions options;
  options.url = path.string();
  CHECK(error_reading(options).code() == ErrorCode::kUnsupportedMediaType);
}

TEST_CASE("Sources that are not paths or rtsp/http(s) URLs are refused before anything opens", "[media][errors]") {
  for (const std::string url : {"ftp://127.0.0.1/x.mp4", "file:///etc/passwd", "file:/etc/passwd",
                                "concat:/etc/passwd|/etc/passwd", "udp://127.0.0.1:9"}) {
    SourceOptions options;
    options.url = url;
    const auto e = error_of([&] { MediaSource::open(options); });
    INFO(url);
    // "concat:…" has no "://" and is taken for a path, which does not exist.
    CHECK((e.code() == ErrorCode::kValidationFailed || e.code() == ErrorCode::kNotFound));
  }
  SourceOptions neither;
  CHECK(error_of([&] { MediaSource::open(neither); }).details()["reason"] == "bad_source");
  auto both = bytes_options("x");
  both.url = "/tmp/x.mp4";
  CHECK(error_of([&] { MediaSource::open(both); }).details()["reason"] == "bad_source");
  SourceOptions missing;
  missing.url = "/nonexistent/video.mp4";
  CHECK(error_of([&] { MediaSource::open(missing); }).details()["reason"] == "no_such_file");
  SourceOptions directory;
  directory.url = "/tmp";
  CHECK(error_of([&] { MediaSource::open(directory); }).code() == ErrorCode::kNotFound);
}

TEST_CASE("A server nobody listens on is unreachable", "[media][errors][network]") {
  for (const std::string scheme : {"rtsp", "http"}) {
    SourceOptions options;
    options.url = fmt::format("{}://127.0.0.1:1/stream", scheme);
    options.open_timeout = std::chrono::seconds(5);
    const auto e = error_of([&] { MediaSource::open(options); });
    INFO(scheme);
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(e.details()["reason"] == "unreachable");
  }
}

TEST_CASE("A server that accepts the connection and never answers times out the open", "[media][errors][network]") {
  SilentServer server;
  for (const std::string scheme : {"rtsp", "http"}) {
    SourceOptions options;
    options.url = fmt::format("{}://127.0.0.1:{}/stream", scheme, server.port());
    options.open_timeout = std::chrono::milliseconds(800);
    const auto started = std::chrono::steady_clock::now();
    const auto e = error_of([&] { MediaSource::open(options); });
    const auto waited = std::chrono::steady_clock::now() - started;
    INFO(scheme);
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(e.details()["reason"] == "timeout");
    CHECK(waited < std::chrono::seconds(10));  // not a speed check: without the deadline it would hang
  }
}

TEST_CASE("An MP4 served over HTTP decodes like the file", "[media][decode][network]") {
  const auto file = mp4_sample(false);
  ChildProcess server({"/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                       file.parent_path().string(), "0"});
  const auto line = server.wait_for_line("Serving HTTP");
  const auto port =
      line.substr(line.find("port ") + 5, line.find(' ', line.find("port ") + 5) - line.find("port ") - 5);
  SourceOptions options;
  options.url = fmt::format("http://127.0.0.1:{}/{}", port, file.filename().string());
  auto source = MediaSource::open(options);
  CHECK_FALSE(source->info().live);
  const auto d = decode_all(*source);
  REQUIRE(d.frames.size() == 50);
  for (const auto& f : d.frames) {
    const auto c = square_centre(f.image);
    REQUIRE(c);
    CHECK(std::abs(c->x - expected_centre_x({}, f.index)) <= 3.0);
  }
}

TEST_CASE("should_stop ends an open that waits on a silent server", "[media][errors][network]") {
  SilentServer server;
  SourceOptions options;
  options.url = fmt::format("rtsp://127.0.0.1:{}/stream", server.port());
  options.open_timeout = std::chrono::seconds(120);  // only should_stop can end the wait in time
  const auto stop_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  options.should_stop = [stop_at] { return std::chrono::steady_clock::now() >= stop_at; };
  const auto e = error_of([&] { MediaSource::open(options); });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.details()["reason"] == "interrupted");
}

TEST_CASE("Damaged copies of real files decode or throw a typed error, never crash", "[media][errors]") {
  // Small files of each container, each damaged 40 ways (bytes overwritten, cut, a block repeated).
  const VideoSpec small{160, 96, 25, 12};
  struct Sample {
    const char* file;
    const char* video;
    const char* audio;
  };
  const std::vector<Sample> samples{
      {"small.mp4", "-c:v libx264 -preset ultrafast -g 5 -movflags +faststart", "-c:a aac"},
      {"small.mkv", "-c:v libx264 -preset ultrafast -g 5", "-c:a flac"},
      {"small.webm", "-c:v libvpx -deadline realtime -g 5", "-c:a libvorbis"},
      {"small.mov", "-c:v mjpeg", "-c:a pcm_s16le"},
  };
  std::mt19937 random(2024);
  for (const auto& s : samples) {
    const auto path = shared_media_dir() / s.file;
    write_square_video(path, small, s.video, s.audio);
    const auto whole = tyto::test::read_file(path);
    for (int round = 0; round < 40; ++round) {
      std::string bytes = whole;
      switch (round % 3) {
        case 0:
          for (int i = 0; i < 1 + round; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
          break;
        case 1:
          bytes.resize(random() % bytes.size() + 1);
          break;
        default: {
          const auto from = random() % bytes.size();
          const auto len = std::min<std::size_t>(random() % 2000, bytes.size() - from);
          bytes.insert(random() % bytes.size(), bytes.substr(from, len));
        }
      }
      auto options = bytes_options(bytes);
      options.want_audio = true;
      INFO(s.file << " round " << round);
      try {
        auto source = MediaSource::open(options);
        decode_all(*source, false);
      } catch (const tyto::Error& e) {
        CHECK((e.code() == ErrorCode::kUnsupportedMediaType || e.code() == ErrorCode::kPayloadTooLarge));
      }
    }
  }
}
