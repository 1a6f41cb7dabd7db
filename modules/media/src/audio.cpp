// Audio: libavcodec's decoder, then swresample to 16 kHz mono float, timed by the samples put out.
#include "detail/decoders.hpp"

#include <fmt/format.h>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <algorithm>

namespace tyto::media::detail {

AudioDecoder::AudioDecoder(const AVStream& stream, const DecodeContext& context)
    : context_(context), time_base_(stream.time_base), codec_(open_decoder(stream, context)) {}

AudioDecoder::~AudioDecoder() { av_channel_layout_uninit(&swr_layout_); }

void AudioDecoder::decode(const AVPacket* packet, std::deque<MediaItem>& out) {
  const int sent = avcodec_send_packet(codec_.get(), packet);
  if (sent < 0 && sent != AVERROR_EOF) ++refused_;
  for (;;) {
    const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret == AVERROR(EAGAIN)) return;
    if (ret == AVERROR_EOF) {
      if (packet == nullptr && swr_) resample(nullptr, out);  // what the resampler still holds
      return;
    }
    if (ret < 0) {
      ++refused_;
      return;
    }
    if (frame_->nb_samples > 0 && frame_->sample_rate > 0 && frame_->ch_layout.nb_channels > 0) {
      set_up_resampler(*frame_);
      resample(frame_.get(), out);
    }
    av_frame_unref(frame_.get());
  }
}

void AudioDecoder::set_up_resampler(const AVFrame& frame) {
  if (!started_) {
    started_ = true;
    const std::int64_t ts = frame.best_effort_timestamp != AV_NOPTS_VALUE ? frame.best_effort_timestamp : frame.pts;
    start_s_ = ts == AV_NOPTS_VALUE ? 0.0 : std::max(0.0, to_seconds(ts, time_base_) - context_.origin_s);
  }
  if (swr_ && frame.sample_rate == swr_rate_ && frame.format == swr_format_ &&
      av_channel_layout_compare(&frame.ch_layout, &swr_layout_) == 0)
    return;
  // A stream that changes its format mid-way (some radio streams do) gets a new resampler.
  if (swr_) {
    std::deque<MediaItem> drained;
    resample(nullptr, drained);
  }
  AVChannelLayout in_layout{};
  if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default(&in_layout, frame.ch_layout.nb_channels);
  else
    av_channel_layout_copy(&in_layout, &frame.ch_layout);
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  const int ret = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, kAudioSampleRate, &in_layout,
                                      static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
  av_channel_layout_uninit(&in_layout);
  swr_.reset(raw);
  if (ret < 0 || !swr_ || swr_init(swr_.get()) < 0)
    fail(ErrorCode::kUnsupportedMediaType, "unsupported_codec", context_.name,
         fmt::format("cannot resample {} Hz audio of {} channels", frame.sample_rate, frame.ch_layout.nb_channels));
  swr_rate_ = frame.sample_rate;
  swr_format_ = frame.format;
  av_channel_layout_uninit(&swr_layout_);
  av_channel_layout_copy(&swr_layout_, &frame.ch_layout);
}

void AudioDecoder::resample(const AVFrame* frame, std::deque<MediaItem>& out) {
  const int in_samples = frame ? frame->nb_samples : 0;
  const int room = std::max(256, swr_get_out_samples(swr_.get(), in_samples));
  AudioChunk chunk;
  chunk.samples.resize(static_cast<std::size_t>(room));
  auto* dst = reinterpret_cast<std::uint8_t*>(chunk.samples.data());
  const int n = swr_convert(swr_.get(), &dst, room,
                            frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr, in_samples);
  if (n <= 0) return;
  chunk.samples.resize(static_cast<std::size_t>(n));
  chunk.pts_s = start_s_ + static_cast<double>(emitted_) / kAudioSampleRate;
  emitted_ += n;
  if (context_.caps.max_duration_s > 0 && chunk.pts_s > context_.caps.max_duration_s)
    too_large(context_.name, "max_duration_s", context_.caps.max_duration_s, chunk.pts_s);
  out.emplace_back(std::move(chunk));
}

}  // namespace tyto::media::detail
