// How a MediaSource feeds its ClipBuffer (the buffer's public header names no FFmpeg type).
#pragma once

#include "tyto/media/clip.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace tyto::media::detail {

struct ClipBufferAccess {
  // Once, before any packet: the video stream's parameters (copied) and time base, and the seconds to
  // subtract from the stream's timestamps to get the source's times (VideoFrame::pts_s).
  static void configure(ClipBuffer& buffer, const AVCodecParameters& parameters, AVRational time_base, double origin_s);
  // A packet of that stream as the demuxer returned it (a new reference is kept; the caller keeps its own).
  static void add(ClipBuffer& buffer, const AVPacket& packet);
};

}  // namespace tyto::media::detail
