// Opening a file, a stream or bytes with libavformat, under a deadline and with only the protocols and
// demuxers a media source needs.
#include "detail/input.hpp"

#include <fmt/format.h>

extern "C" {
#include <libavutil/log.h>
}

#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace tyto::media::detail {
namespace {

using Clock = std::chrono::steady_clock;

// The demuxers a media source may use (FFmpeg's format_whitelist; a name matches a demuxer whose
// comma-separated names include it). Images (png_pipe, image2 …), playlists of local files (concat), text
// and subtitle formats are not media sources; HLS playlists only come over HTTP, RTSP only from rtsp://.
constexpr const char* kFileDemuxers =
    "mov,matroska,webm,avi,flv,mpegts,mpeg,wav,w64,aiff,caf,mp3,ogg,flac,aac,amr,asf,ivf,h264,hevc,m4v";
constexpr const char* kHttpDemuxers =
    "mov,matroska,webm,avi,flv,mpegts,mpeg,wav,w64,aiff,caf,mp3,ogg,flac,aac,amr,asf,ivf,h264,hevc,m4v,mpjpeg,hls";
constexpr const char* kRtspDemuxers = "rtsp";

void init_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);  // errors come back as typed errors with FFmpeg's message
    avformat_network_init();
  });
}

int read_memory(void* opaque, std::uint8_t* buf, int size) {
  auto* in = static_cast<MemoryInput*>(opaque);
  const auto left = static_cast<std::int64_t>(in->bytes->size()) - in->pos;
  if (left <= 0) return AVERROR_EOF;
  const auto n = static_cast<int>(std::min<std::int64_t>(left, size));
  std::memcpy(buf, in->bytes->data() + in->pos, static_cast<std::size_t>(n));
  in->pos += n;
  return n;
}

std::int64_t seek_memory(void* opaque, std::int64_t offset, int whence) {
  auto* in = static_cast<MemoryInput*>(opaque);
  const auto size = static_cast<std::int64_t>(in->bytes->size());
  if (whence == AVSEEK_SIZE) return size;
  std::int64_t to = offset;
  if ((whence & 3) == SEEK_CUR) to = in->pos + offset;
  if ((whence & 3) == SEEK_END) to = size + offset;
  if (to < 0 || to > size) return AVERROR(EINVAL);
  in->pos = to;
  return to;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The URL without "user:password@", for messages and logs.
std::string redacted(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto host = scheme + 3;
  const auto at = url.find('@', host);
  const auto slash = url.find('/', host);
  if (at == std::string_view::npos || (slash != std::string_view::npos && at > slash)) return std::string(url);
  return fmt::format("{}***@{}", url.substr(0, host), url.substr(at + 1));
}

[[noreturn]] void bad_source(std::string_view what) {
  throw Error(ErrorCode::kValidationFailed, fmt::format("media source: {}", what),
              {{"reason", "bad_source"}, {"fields", {{"url", std::string(what)}}}});
}

SourceKind classify(const SourceOptions& options) {
  if (options.url.empty()) {
    if (!options.bytes) bad_source("neither a URL nor bytes");
    return SourceKind::kBytes;
  }
  if (options.bytes) bad_source("both a URL and bytes");
  if (starts_with(options.url, "rtsp://")) return SourceKind::kRtsp;
  if (starts_with(options.url, "http://") || starts_with(options.url, "https://")) return SourceKind::kHttp;
  if (options.url.find("://") != std::string::npos || starts_with(options.url, "file:"))
    bad_source("only paths and rtsp://, http:// and https:// URLs are sources");
  return SourceKind::kFile;
}

void check_size(std::uint64_t size, const SourceOptions& options, std::string_view name) {
  if (size == 0) fail(ErrorCode::kUnsupportedMediaType, "empty", name, "zero bytes");
  if (options.caps.max_bytes > 0 && size > options.caps.max_bytes)
    too_large(name, "max_bytes", static_cast<double>(options.caps.max_bytes), static_cast<double>(size));
}

// What FFmpeg is told besides the URL, by kind.
AVDictionary* open_options(const SourceOptions& options, SourceKind kind) {
  AVDictionary* d = nullptr;
  av_dict_set(&d, "format_whitelist",
              kind == SourceKind::kRtsp   ? kRtspDemuxers
              : kind == SourceKind::kHttp ? kHttpDemuxers
                                          : kFileDemuxers,
              0);
  switch (kind) {
    case SourceKind::kFile:
      av_dict_set(&d, "protocol_whitelist", "file", 0);
      break;
    case SourceKind::kBytes:
      av_dict_set(&d, "protocol_whitelist", "none", 0);  // nothing inside an upload may open anything
      break;
    case SourceKind::kRtsp:
      av_dict_set(&d, "protocol_whitelist", "rtsp,rtp,udp,tcp", 0);
      av_dict_set(&d, "rtsp_transport", options.transport == Transport::kUdp ? "udp" : "tcp", 0);
      if (options.want_video != options.want_audio)
        av_dict_set(&d, "allowed_media_types", options.want_video ? "video" : "audio", 0);
      break;
    case SourceKind::kHttp:
      av_dict_set(&d, "protocol_whitelist", "http,https,tcp,tls", 0);
      av_dict_set(&d, "user_agent", "Tyto", 0);
      av_dict_set(&d, "tls_verify", "1", 0);
      break;
  }
  return d;
}

}  // namespace

void Deadline::arm(std::chrono::milliseconds from_now) noexcept {
  const auto at = Clock::now() + from_now;
  at_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count(),
               std::memory_order_relaxed);
}

bool Deadline::interrupted() const noexcept {
  if (interrupted_.load(std::memory_order_relaxed)) return true;
  if (should_stop_ && should_stop_()) {
    interrupted_.store(true, std::memory_order_relaxed);
    return true;
  }
  return false;
}

bool Deadline::passed() const noexcept {
  if (interrupted()) return true;
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  return now >= at_ns_.load(std::memory_order_relaxed);
}

void fail_input(int ret, SourceKind kind, std::string_view name, const Deadline& deadline, bool opened,
                std::string_view what) {
  const auto message = fmt::format("{}: {}", what, av_message(ret));
  if (deadline.interrupted()) fail(ErrorCode::kUnavailable, "interrupted", name, "interrupted");
  if (ret == AVERROR_EXIT || ret == AVERROR(ETIMEDOUT) || deadline.passed())
    fail(ErrorCode::kUnavailable, "timeout", name, fmt::format("{} (deadline passed)", what));
  if (ret == AVERROR_DECODER_NOT_FOUND || ret == AVERROR_DEMUXER_NOT_FOUND || ret == AVERROR_PATCHWELCOME)
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", name, message);
  const bool stream = kind == SourceKind::kRtsp || kind == SourceKind::kHttp;
  if (stream) fail(ErrorCode::kUnavailable, opened ? "disconnected" : "unreachable", name, message);
  // A demuxer outside the whitelist is refused with EINVAL before it reads anything.
  if (!opened && ret == AVERROR(EINVAL))
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", name,
         fmt::format("{}: not a video or audio container Tyto reads", what));
  fail(ErrorCode::kUnsupportedMediaType, "corrupt", name, message);
}

OpenInput open_input(const SourceOptions& options, Deadline& deadline) {
  init_ffmpeg();
  OpenInput in;
  in.kind = classify(options);
  in.name = !options.name.empty() ? options.name : in.kind == SourceKind::kBytes ? "upload" : redacted(options.url);
  std::string url;
  if (in.kind == SourceKind::kFile) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.url, ec))
      fail(ErrorCode::kNotFound, "no_such_file", in.name, "no such file");
    in.size = std::filesystem::file_size(options.url, ec);
    if (ec) fail(ErrorCode::kNotFound, "no_such_file", in.name, "cannot read the file's size");
    check_size(in.size, options, in.name);
    url = "file:" + options.url;  // so that a path with a colon is never taken for a protocol
  } else if (in.kind == SourceKind::kBytes) {
    in.size = options.bytes->size();
    check_size(in.size, options, in.name);
    in.memory = std::make_unique<MemoryInput>(MemoryInput{options.bytes, 0});
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<std::uint8_t*>(av_malloc(kBufferSize));
    if (!buffer) throw std::bad_alloc();
    in.io.reset(avio_alloc_context(buffer, kBufferSize, 0, in.memory.get(), &read_memory, nullptr, &seek_memory));
    if (!in.io) {
      av_free(buffer);
      throw std::bad_alloc();
    }
  } else {
    url = options.url;
  }

  deadline.arm(options.open_timeout);
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw std::bad_alloc();
  raw->interrupt_callback = deadline.callback();
  if (in.io) {
    raw->pb = in.io.get();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  AVDictionary* dict = open_options(options, in.kind);
  const int ret = avformat_open_input(&raw, url.c_str(), nullptr, &dict);  // frees raw on failure
  av_dict_free(&dict);
  if (ret < 0) fail_input(ret, in.kind, in.name, deadline, false, "cannot open");
  in.format.reset(raw);
  if (const int r = avformat_find_stream_info(in.format.get(), nullptr); r < 0)
    fail_input(r, in.kind, in.name, deadline, false, "no stream information");
  return in;
}

}  // namespace tyto::media::detail
