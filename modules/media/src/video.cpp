// Video: libavcodec's decoder, then swscale to RGB at the output size (aspect kept, never upscaled).
#include "detail/decoders.hpp"

#include <fmt/format.h>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <chrono>
#include <cmath>

namespace tyto::media::detail {

CodecPtr open_decoder(const AVStream& stream, const DecodeContext& context) {
  const AVCodecParameters& par = *stream.codecpar;
  const AVCodec* codec = avcodec_find_decoder(par.codec_id);
  if (!codec)
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", context.name,
         fmt::format("no decoder for {}", avcodec_get_name(par.codec_id)), {{"codec", avcodec_get_name(par.codec_id)}});
  CodecPtr c(avcodec_alloc_context3(codec));
  if (!c) throw std::bad_alloc();
  if (const int ret = avcodec_parameters_to_context(c.get(), &par); ret < 0)
    fail(ErrorCode::kUnsupportedMediaType, "corrupt", context.name,
         fmt::format("bad codec parameters: {}", av_message(ret)));
  c->pkt_timebase = stream.time_base;
  c->thread_count = std::max(1, context.threads);
  // Frame threads add a frame of latency per thread: live streams use slice threads only.
  c->thread_type = context.live ? FF_THREAD_SLICE : FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (context.live) c->flags |= AV_CODEC_FLAG_LOW_DELAY;
  if (const int ret = avcodec_open2(c.get(), codec, nullptr); ret < 0)
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", context.name,
         fmt::format("cannot open the {} decoder: {}", codec->name, av_message(ret)), {{"codec", codec->name}});
  return c;
}

std::pair<int, int> VideoDecoder::output_size(int width, int height, const SourceCaps& caps) {
  double scale = 1.0;
  if (caps.output_max_width > 0) scale = std::min(scale, static_cast<double>(caps.output_max_width) / width);
  if (caps.output_max_height > 0) scale = std::min(scale, static_cast<double>(caps.output_max_height) / height);
  if (scale >= 1.0) return {width, height};
  return {std::max(1, static_cast<int>(std::lround(width * scale))),
          std::max(1, static_cast<int>(std::lround(height * scale)))};
}

void VideoDecoder::check_size(int width, int height, const SourceCaps& caps, std::string_view name) {
  if (width <= 0 || height <= 0) return;
  if (caps.max_width <= 0 && caps.max_height <= 0) return;
  const int cap_long = std::max(caps.max_width, caps.max_height);
  const int cap_short =
      caps.max_width > 0 && caps.max_height > 0 ? std::min(caps.max_width, caps.max_height) : cap_long;
  const int long_side = std::max(width, height);
  const int short_side = std::min(width, height);
  if (long_side > cap_long || short_side > cap_short)
    fail(ErrorCode::kPayloadTooLarge, "too_large", name,
         fmt::format("{}x{} is over the cap {}x{}", width, height, caps.max_width, caps.max_height),
         {{"limit", long_side > cap_long ? "max_width" : "max_height"},
          {"max", fmt::format("{}x{}", caps.max_width, caps.max_height)},
          {"actual", fmt::format("{}x{}", width, height)}});
}

VideoDecoder::VideoDecoder(const AVStream& stream, const DecodeContext& context)
    : context_(context), time_base_(stream.time_base), codec_(open_decoder(stream, context)) {
  const AVRational rate = stream.avg_frame_rate.num > 0 ? stream.avg_frame_rate : stream.r_frame_rate;
  if (rate.num > 0 && rate.den > 0) frame_period_s_ = av_q2d(av_inv_q(rate));
}

void VideoDecoder::decode(const AVPacket* packet, std::deque<MediaItem>& out) {
  const int sent = avcodec_send_packet(codec_.get(), packet);
  if (sent < 0 && sent != AVERROR_EOF) ++refused_;  // a damaged packet: the next keyframe repairs the picture
  for (;;) {
    const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    if (ret < 0) {
      ++refused_;
      return;
    }
    if (frame_->width <= 0 || frame_->height <= 0 || !frame_->data[0]) {  // nothing to show: skip it
      ++refused_;
      av_frame_unref(frame_.get());
      continue;
    }
    VideoFrame f = convert(*frame_);
    av_frame_unref(frame_.get());
    out.emplace_back(std::move(f));
  }
}

double VideoDecoder::frame_period() const {
  if (frame_period_s_ > 0) return frame_period_s_;
  const AVRational rate = codec_->framerate;  // the bitstream's own (H.264's VUI timing)
  return rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 0.0;
}

VideoFrame VideoDecoder::convert(const AVFrame& frame) {
  check_size(frame.width, frame.height, context_.caps, context_.name);
  const auto [width, height] = output_size(frame.width, frame.height, context_.caps);
  const auto format = static_cast<AVPixelFormat>(frame.format);
  if (!sws_isSupportedInput(format))
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", context_.name,
         fmt::format("cannot convert {} pictures", av_get_pix_fmt_name(format) ? av_get_pix_fmt_name(format) : "?"));
  // Fast bilinear: about 1.5 to 2 times the frames per second of plain bilinear on this machine
  // (tests/bench/media_bench.cpp), and detectors do not see the difference.
  sws_.reset(sws_getCachedContext(sws_.release(), frame.width, frame.height, format, width, height, AV_PIX_FMT_RGB24,
                                  SWS_FAST_BILINEAR, nullptr, nullptr, nullptr));
  if (!sws_)
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", context_.name,
         fmt::format("cannot convert {}x{} pictures to {}x{} RGB", frame.width, frame.height, width, height));
  // The picture's own matrix and range (BT.709 for HD, full range for JPEG-like streams).
  const int space = frame.colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
  const int full_range = frame.color_range == AVCOL_RANGE_JPEG ? 1 : 0;
  sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(space), full_range, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                           0, 1 << 16, 1 << 16);

  VideoFrame f;
  f.index = next_index_++;
  // Live: the picture's own time only (FFmpeg's best effort falls back on a decoding time that it may have
  // made up, a few frames early, for RTP's first packet). Files: the best effort.
  const std::int64_t ts =
      context_.live || frame.best_effort_timestamp == AV_NOPTS_VALUE ? frame.pts : frame.best_effort_timestamp;
  // A picture without a time (RTP's first, before its clock is known) follows the one before it.
  if (ts != AV_NOPTS_VALUE)
    f.pts_s = to_seconds(ts, time_base_) - context_.origin_s;
  else
    f.pts_s = f.index == 0 ? 0.0 : last_pts_s_ + frame_period();
  last_pts_s_ = f.pts_s;
  f.image.width = width;
  f.image.height = height;
  f.image.channels = 3;
  const std::size_t size = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3;
  f.image.pixels.resize(size + 64);  // swscale's vector code may write a little past the last row
  std::uint8_t* planes[4] = {f.image.pixels.data(), nullptr, nullptr, nullptr};
  int strides[4] = {width * 3, 0, 0, 0};
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, frame.height, planes, strides);
  f.image.pixels.resize(size);
  f.decoded_at_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (context_.caps.max_duration_s > 0 && f.pts_s > context_.caps.max_duration_s)
    too_large(context_.name, "max_duration_s", context_.caps.max_duration_s, f.pts_s);
  return f;
}

}  // namespace tyto::media::detail
