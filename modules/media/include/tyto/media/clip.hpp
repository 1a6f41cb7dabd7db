// The encoded video packets of the last seconds of a source, and MP4 clips remuxed from them.
//
// A MediaSource with ClipOptions::seconds > 0 copies every packet of its video stream here as it reads it
// (a reference to FFmpeg's buffer, not a copy of the bytes). The buffer keeps whole groups of pictures
// (from a keyframe) and drops the oldest group once the newest packet is more than `seconds` after the
// second-oldest keyframe, or once the packets take more than `max_bytes`. write_mp4 remuxes a range into
// MP4 bytes without decoding or encoding anything: the same codec, the same packets.
//
// Times are the source's: seconds on the same clock as VideoFrame::pts_s.
//
// Thread-safety: every method may be called from any thread while the source's reading thread adds
// packets (one mutex; write_mp4 holds it only while it takes references to the packets).
//
// Errors (tyto::Error): write_mp4 throws not_found (details.reason "no_packets") when the buffer holds no
// keyframe at or before `to_s` from which the range can start, validation_failed for a range with
// to_s < from_s, and internal (reason "mux_failed") if FFmpeg's muxer refuses the packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tyto::media {

struct ClipOptions {
  double seconds = 0;                             // how much video to keep; 0: no buffer (and MediaSource::clip throws)
  std::size_t max_bytes = std::size_t{64} << 20;  // and never more encoded bytes than this
};

namespace detail {
struct ClipBufferAccess;  // how a source feeds the buffer (src/detail/clip_feed.hpp)
}

class ClipBuffer {
 public:
  explicit ClipBuffer(ClipOptions options);
  ~ClipBuffer();
  ClipBuffer(const ClipBuffer&) = delete;
  ClipBuffer& operator=(const ClipBuffer&) = delete;

  // MP4 bytes of the packets from the last keyframe at or before from_s (the first keyframe held when
  // from_s is before everything held) through the last packet whose decoding time is at or before to_s.
  // Timestamps in the file start at 0.
  std::string write_mp4(double from_s, double to_s) const;

  // How many packets write_mp4(from_s, to_s) would write (0 where it would throw not_found).
  std::size_t packet_count(double from_s, double to_s) const;

  // What is held now: the first and last packets' times (0 when empty), packets and their bytes.
  double earliest_s() const;
  double latest_s() const;
  std::size_t packets() const;
  std::size_t bytes() const;
  const ClipOptions& options() const noexcept { return options_; }

 private:
  friend struct detail::ClipBufferAccess;
  struct Impl;
  ClipOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::media
