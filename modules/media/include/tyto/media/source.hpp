// Decoding of files, streams and uploaded bytes through FFmpeg's libraries, in process.
//
// MediaSource::open reads a file path, an rtsp:// URL (RTP over TCP by default, over UDP by option), an
// http:// or https:// URL, or bytes in memory (an uploaded file). next() returns decoded items one at a
// time: RGB video frames (scaled down to the output caps, aspect kept) and 16 kHz mono float audio chunks.
//
// Nothing blocks without a deadline: opening runs under open_timeout, and each next() under read_timeout
// (every blocking FFmpeg call polls an interrupt callback that checks the deadline and interrupt()). A camera
// that dies, or a server that keeps its connection open and sends nothing, makes next() throw
// unavailable/"timeout" once read_timeout has passed.
//
// Only the protocols a source needs are open to FFmpeg (its protocol_whitelist): a path gets "file", rtsp://
// gets rtsp, rtp, udp and tcp, http(s):// gets http, https, tcp and tls, bytes get none; so a playlist or a
// reference inside a file can never make FFmpeg open another file or protocol.
//
// Errors (tyto::Error; details.reason is stable):
//   unavailable            "timeout" (open or a read passed its deadline), "unreachable" (connection refused,
//                          no such host, HTTP error, RTSP refused), "disconnected" (a live stream ended or
//                          broke after it was open), "interrupted" (interrupt() was called, or should_stop)
//   unsupported_media_type "unsupported_codec" (no decoder, or a container outside the media demuxers: a PNG
//                          named .mp4), "corrupt" (FFmpeg cannot make sense of the bytes: a truncated file,
//                          noise), "empty" (zero bytes), "no_stream" (none of the wanted streams is there)
//   payload_too_large      "too_large": a cap was passed; details.limit names it ("max_width", "max_height",
//                          "max_bitrate", "max_duration_s", "max_bytes") with details.max and details.actual
//   not_found              "no_such_file" (a path that does not exist or is not a regular file)
//   validation_failed      "bad_source": options that name no source, both a URL and bytes, or a scheme
//                          other than rtsp, http, https
// Nothing else escapes (std::bad_alloc aside); no input makes it crash.
//
// Thread-safety: one thread calls next() (and open()); interrupt(), clip() and info() may be called from
// any thread at any time while it does.
#pragma once

#include "tyto/media/clip.hpp"
#include "tyto/vision/image.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tyto::media {

enum class Transport { kTcp, kUdp };  // RTP under RTSP

// Caps per profile. 0 means "no cap" for every field.
struct SourceCaps {
  // The input's picture, refused above (too_large). Compared orientation-free: the longer side against
  // the larger of the two, the shorter against the smaller, so a portrait 720x1280 passes 1280x720.
  int max_width = 3840;
  int max_height = 2160;
  // The frames next() returns are scaled down (never up) to fit in this box, aspect kept (swscale).
  int output_max_width = 0;
  int output_max_height = 0;
  // Bits per second: the declared bitrate at open, then what was read over media time once 4 s are read
  // (refused above 1.5 times the cap there, as keyframes come in bursts).
  std::int64_t max_bitrate = 0;
  // Seconds: a declared duration above it is refused at open; media past it throws while decoding.
  double max_duration_s = 0;
  // Bytes: of the file or the bytes at open, and of everything read from a stream.
  std::uint64_t max_bytes = 0;
};

struct SourceOptions {
  std::string url;                           // a path, rtsp://…, http://…, https://…; or empty with bytes
  std::shared_ptr<const std::string> bytes;  // an uploaded file in memory (shared, never copied)
  std::string name;                          // for messages; the URL (without credentials) when empty
  Transport transport = Transport::kTcp;
  std::chrono::milliseconds open_timeout{10'000};
  std::chrono::milliseconds read_timeout{5'000};
  SourceCaps caps;
  bool want_video = true;
  bool want_audio = false;
  ClipOptions clip;         // seconds > 0 keeps the last seconds of encoded video
  int decoder_threads = 2;  // per decoder (slice threads only for live streams)
  // Polled by every blocking call (open included, where interrupt() cannot reach yet), on the thread that
  // calls open() or next(); true makes that call throw unavailable/"interrupted". Must be cheap and not throw.
  std::function<bool()> should_stop;
};

struct StreamInfo {
  std::string container;    // FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "rtsp", "matroska,webm"
  bool live = false;        // rtsp:// (its end is an error, "disconnected"), else a file that ends
  bool has_video = false;   // a video stream is decoded (wanted and present)
  bool has_audio = false;   // an audio stream is decoded (wanted and present)
  std::string video_codec;  // FFmpeg's codec names: "h264", "vp9", …; empty without the stream
  std::string audio_codec;
  int width = 0;  // the input's picture
  int height = 0;
  int output_width = 0;  // the frames next() returns
  int output_height = 0;
  double fps = 0;             // 0 when unknown
  double duration_s = 0;      // 0 when unknown or live
  int audio_sample_rate = 0;  // the input's; chunks are always 16 kHz mono
  int audio_channels = 0;
};

struct VideoFrame {
  std::int64_t index = 0;          // 0, 1, 2 … in the order next() returns frames
  double pts_s = 0;                // presentation time, seconds from the start of the source
  std::int64_t decoded_at_ns = 0;  // std::chrono::steady_clock when it was decoded
  vision::Image image;             // RGB, output_width x output_height
};

struct AudioChunk {
  double pts_s = 0;            // time of the first sample, seconds from the start of the source
  std::vector<float> samples;  // 16 kHz mono, -1..1
};

using MediaItem = std::variant<VideoFrame, AudioChunk>;

inline constexpr int kAudioSampleRate = 16'000;

class MediaSource {
 public:
  // Opens, reads the stream headers and sets the decoders up; throws as the file comment says.
  static std::unique_ptr<MediaSource> open(const SourceOptions& options);

  virtual ~MediaSource() = default;

  // The next decoded frame or audio chunk; nullopt at the end of a file (a live stream's end throws
  // "disconnected"). After a throw the source is spent: every later call throws again.
  virtual std::optional<MediaItem> next() = 0;

  // What open() found. Safe from any thread.
  virtual StreamInfo info() const = 0;

  // Makes the blocked (or next) call to next() throw unavailable/"interrupted" promptly; sticky. Any thread.
  virtual void interrupt() noexcept = 0;

  // MP4 bytes of the encoded video between from_s and to_s from the clip buffer (ClipBuffer::write_mp4).
  // Throws not_found (reason "no_clip_buffer") when SourceOptions::clip.seconds was 0. Any thread.
  virtual std::string clip(double from_s, double to_s) const = 0;

  // The clip buffer itself, or nullptr when SourceOptions::clip.seconds was 0.
  virtual const ClipBuffer* clip_buffer() const noexcept = 0;
};

}  // namespace tyto::media
