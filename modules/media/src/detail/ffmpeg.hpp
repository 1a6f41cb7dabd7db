// FFmpeg's types owned by unique_ptr, and the module's typed errors. Private to modules/media/src.
#pragma once

#include "tyto/core/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>
#include <string_view>

namespace tyto::media::detail {

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct OutputFormatFreer {
  void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct ParametersFreer {
  void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); }
};
struct SwrFreer {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct IoFreer {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatFreer>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using ParametersPtr = std::unique_ptr<AVCodecParameters, ParametersFreer>;
using SwrPtr = std::unique_ptr<SwrContext, SwrFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;
using IoPtr = std::unique_ptr<AVIOContext, IoFreer>;

PacketPtr make_packet();
FramePtr make_frame();

// FFmpeg's text for an error code.
std::string av_message(int err);

// Seconds of a timestamp in a time base.
inline double to_seconds(std::int64_t ts, AVRational tb) { return static_cast<double>(ts) * av_q2d(tb); }

// The module's errors (source.hpp lists them): code, message "<name>: <what>", details.reason.
[[noreturn]] void fail(ErrorCode code, std::string_view reason, std::string_view name, std::string_view what,
                       nlohmann::json extra = nlohmann::json::object());
[[noreturn]] void too_large(std::string_view name, std::string_view limit, double max, double actual);

}  // namespace tyto::media::detail
