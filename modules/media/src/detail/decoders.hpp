// The video decoder (libavcodec + swscale to RGB) and the audio decoder (libavcodec + swresample to 16 kHz
// mono float) of a MediaSource.
#pragma once

#include "detail/ffmpeg.hpp"
#include "tyto/media/source.hpp"

#include <deque>
#include <string>

namespace tyto::media::detail {

// What both decoders share with their source.
struct DecodeContext {
  std::string name;
  SourceCaps caps;
  bool live = false;
  int threads = 2;
  double origin_s = 0;  // subtracted from stream times, so the source starts at 0
};

// Opens a decoder for a stream; throws unsupported_codec when FFmpeg has none, corrupt when it refuses
// the stream's parameters.
CodecPtr open_decoder(const AVStream& stream, const DecodeContext& context);

class VideoDecoder {
 public:
  VideoDecoder(const AVStream& stream, const DecodeContext& context);

  // Sends a packet (nullptr: the end, flushing what the decoder holds) and appends the frames it yields.
  // A packet the decoder refuses is counted and skipped. Throws too_large when a frame passes the caps.
  void decode(const AVPacket* packet, std::deque<MediaItem>& out);

  // The size of the frames for an input of width x height under the output caps.
  static std::pair<int, int> output_size(int width, int height, const SourceCaps& caps);
  static void check_size(int width, int height, const SourceCaps& caps, std::string_view name);

  std::int64_t frames() const noexcept { return next_index_; }
  std::int64_t refused_packets() const noexcept { return refused_; }

 private:
  VideoFrame convert(const AVFrame& frame);
  double frame_period() const;  // seconds; 0 when the stream does not say

  const DecodeContext& context_;
  AVRational time_base_;
  CodecPtr codec_;
  FramePtr frame_ = make_frame();
  SwsPtr sws_;
  std::int64_t next_index_ = 0;
  std::int64_t refused_ = 0;
  double last_pts_s_ = 0;
  double frame_period_s_ = 0;
};

class AudioDecoder {
 public:
  AudioDecoder(const AVStream& stream, const DecodeContext& context);
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  // As VideoDecoder::decode, for chunks of 16 kHz mono samples (one per decoded frame).
  void decode(const AVPacket* packet, std::deque<MediaItem>& out);

  std::int64_t refused_packets() const noexcept { return refused_; }

 private:
  void set_up_resampler(const AVFrame& frame);
  void resample(const AVFrame* frame, std::deque<MediaItem>& out);

  const DecodeContext& context_;
  AVRational time_base_;
  CodecPtr codec_;
  FramePtr frame_ = make_frame();
  SwrPtr swr_;
  int swr_rate_ = 0;
  int swr_format_ = -1;
  AVChannelLayout swr_layout_{};
  bool started_ = false;
  double start_s_ = 0;        // time of the first sample out
  std::int64_t emitted_ = 0;  // samples out so far
  std::int64_t refused_ = 0;
};

}  // namespace tyto::media::detail
