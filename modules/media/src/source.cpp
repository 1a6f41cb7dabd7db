// MediaSource over libavformat: picks the streams, checks the caps, reads packets under a deadline, feeds the
// decoders and the clip buffer, and hands decoded items out one at a time.
#include "tyto/media/source.hpp"

#include "detail/clip_feed.hpp"
#include "detail/decoders.hpp"
#include "detail/input.hpp"

#include <fmt/format.h>

#include <cmath>
#include <deque>
#include <exception>
#include <thread>

namespace tyto::media {
namespace {

using detail::SourceKind;

// Bitrates are judged over this much media time, with this much slack for keyframes' bursts.
constexpr double kBitrateWindowS = 4.0;
constexpr double kBitrateSlack = 1.5;

class FfmpegSource final : public MediaSource {
 public:
  explicit FfmpegSource(const SourceOptions& options) : options_(options), deadline_(options.should_stop) {
    input_ = detail::open_input(options_, deadline_);
    context_.name = input_.name;
    context_.caps = options_.caps;
    context_.live = input_.kind == SourceKind::kRtsp;
    context_.threads = options_.decoder_threads;
    check_declared_caps();
    set_up_streams();
    packet_ = detail::make_packet();
  }

  ~FfmpegSource() override {
    // Closing an RTSP session sends TEARDOWN: never let that wait on a dead server.
    deadline_.arm(std::min(options_.read_timeout, std::chrono::milliseconds(2000)));
  }

  std::optional<MediaItem> next() override {
    if (spent_) std::rethrow_exception(spent_);
    try {
      return read_next();
    } catch (...) {
      spent_ = std::current_exception();
      throw;
    }
  }

  StreamInfo info() const override { return info_; }

  void interrupt() noexcept override { deadline_.interrupt(); }

  std::string clip(double from_s, double to_s) const override {
    if (!clip_)
      throw Error(ErrorCode::kNotFound, fmt::format("{}: no clip buffer (clip.seconds is 0)", context_.name),
                  {{"reason", "no_clip_buffer"}});
    return clip_->write_mp4(from_s, to_s);
  }

  const ClipBuffer* clip_buffer() const noexcept override { return clip_.get(); }

 private:
  void check_declared_caps() {
    const AVFormatContext* f = input_.format.get();
    const auto& caps = options_.caps;
    if (caps.max_bitrate > 0 && f->bit_rate > caps.max_bitrate)
      detail::too_large(context_.name, "max_bitrate", static_cast<double>(caps.max_bitrate),
                        static_cast<double>(f->bit_rate));
    if (!context_.live && f->duration != AV_NOPTS_VALUE && f->duration > 0) {
      info_.duration_s = static_cast<double>(f->duration) / AV_TIME_BASE;
      if (caps.max_duration_s > 0 && info_.duration_s > caps.max_duration_s)
        detail::too_large(context_.name, "max_duration_s", caps.max_duration_s, info_.duration_s);
    }
  }

  // The best stream of a type that is not a cover picture, or -1.
  int pick(AVMediaType type) const {
    const AVFormatContext* f = input_.format.get();
    const int best = av_find_best_stream(input_.format.get(), type, -1, -1, nullptr, 0);
    if (best >= 0 && !(f->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) return best;
    for (unsigned i = 0; i < f->nb_streams; ++i)
      if (f->streams[i]->codecpar->codec_type == type && !(f->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return static_cast<int>(i);
    return -1;
  }

  void set_up_streams() {
    AVFormatContext* f = input_.format.get();
    info_.container = f->iformat ? f->iformat->name : "";
    info_.live = context_.live;
    if (options_.want_video) video_stream_ = pick(AVMEDIA_TYPE_VIDEO);
    if (options_.want_audio) audio_stream_ = pick(AVMEDIA_TYPE_AUDIO);
    if (video_stream_ < 0 && audio_stream_ < 0)
      detail::fail(ErrorCode::kUnsupportedMediaType, "no_stream", context_.name,
                   fmt::format("no {} stream", options_.want_video && options_.want_audio ? "video or audio"
                                               : options_.want_video                      ? "video"
                                                                                          : "audio"));
    set_origin();
    for (unsigned i = 0; i < f->nb_streams; ++i)
      if (static_cast<int>(i) != video_stream_ && static_cast<int>(i) != audio_stream_)
        f->streams[i]->discard = AVDISCARD_ALL;
    if (video_stream_ >= 0) set_up_video(*f->streams[video_stream_]);
    if (audio_stream_ >= 0) {
      const AVStream& st = *f->streams[audio_stream_];
      audio_ = std::make_unique<detail::AudioDecoder>(st, context_);
      info_.has_audio = true;
      info_.audio_codec = avcodec_get_name(st.codecpar->codec_id);
      info_.audio_sample_rate = st.codecpar->sample_rate;
      info_.audio_channels = st.codecpar->ch_layout.nb_channels;
    }
  }

  // Time 0 of a file: the video's first picture where there is video (an audio track that starts a few
  // milliseconds earlier, as Opus and Vorbis do, does not shift the frames), else the container's start.
  // RTSP: FFmpeg's RTP times already start at 0 with the first packet (which may itself carry no time).
  void set_origin() {
    const AVFormatContext* f = input_.format.get();
    if (context_.live) return;
    if (video_stream_ >= 0) {
      const AVStream& st = *f->streams[video_stream_];
      if (st.start_time != AV_NOPTS_VALUE) {
        context_.origin_s = detail::to_seconds(st.start_time, st.time_base);
        return;
      }
    }
    context_.origin_s = f->start_time != AV_NOPTS_VALUE ? static_cast<double>(f->start_time) / AV_TIME_BASE : 0.0;
  }

  void set_up_video(AVStream& st) {
    const AVCodecParameters& par = *st.codecpar;
    detail::VideoDecoder::check_size(par.width, par.height, options_.caps, context_.name);
    video_ = std::make_unique<detail::VideoDecoder>(st, context_);
    info_.has_video = true;
    info_.video_codec = avcodec_get_name(par.codec_id);
    info_.width = par.width;
    info_.height = par.height;
    std::tie(info_.output_width, info_.output_height) =
        detail::VideoDecoder::output_size(par.width, par.height, options_.caps);
    const AVRational rate = av_guess_frame_rate(input_.format.get(), &st, nullptr);
    info_.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
    if (options_.clip.seconds > 0) {
      clip_ = std::make_unique<ClipBuffer>(options_.clip);
      detail::ClipBufferAccess::configure(*clip_, par, st.time_base, context_.origin_s);
    }
  }

  std::optional<MediaItem> read_next() {
    deadline_.arm(options_.read_timeout);
    for (;;) {
      if (deadline_.interrupted()) detail::fail(ErrorCode::kUnavailable, "interrupted", context_.name, "interrupted");
      if (!pending_.empty()) {
        std::optional<MediaItem> item(std::in_place, std::move(pending_.front()));
        pending_.pop_front();
        ++items_out_;
        return item;
      }
      if (ended_) return std::nullopt;
      if (deadline_.passed())
        detail::fail(ErrorCode::kUnavailable, "timeout", context_.name,
                     fmt::format("nothing decoded within {} ms", options_.read_timeout.count()));
      const int ret = av_read_frame(input_.format.get(), packet_.get());
      if (ret == AVERROR(EAGAIN)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ret == AVERROR_EOF && !context_.live) {
        finish();
        continue;
      }
      if (ret < 0) detail::fail_input(ret, input_.kind, context_.name, deadline_, true, "cannot read");
      consume(*packet_);
      av_packet_unref(packet_.get());
    }
  }

  void consume(const AVPacket& packet) {
    count_bytes(packet);
    if (packet.stream_index == video_stream_) {
      if (clip_) detail::ClipBufferAccess::add(*clip_, packet);
      video_->decode(&packet, pending_);
    } else if (packet.stream_index == audio_stream_) {
      audio_->decode(&packet, pending_);
    }
  }

  void count_bytes(const AVPacket& packet) {
    const auto& caps = options_.caps;
    bytes_read_ += static_cast<std::uint64_t>(std::max(0, packet.size));
    if (caps.max_bytes > 0 && bytes_read_ > caps.max_bytes)
      detail::too_large(context_.name, "max_bytes", static_cast<double>(caps.max_bytes),
                        static_cast<double>(bytes_read_));
    if (caps.max_bitrate <= 0 || packet.dts == AV_NOPTS_VALUE) return;
    const double t = detail::to_seconds(packet.dts, input_.format->streams[packet.stream_index]->time_base);
    if (std::isnan(first_dts_s_)) first_dts_s_ = t;
    const double span = t - first_dts_s_;
    if (span < kBitrateWindowS) return;
    const double bitrate = static_cast<double>(bytes_read_) * 8.0 / span;
    if (bitrate > kBitrateSlack * static_cast<double>(caps.max_bitrate))
      detail::too_large(context_.name, "max_bitrate", static_cast<double>(caps.max_bitrate), std::round(bitrate));
  }

  // The end of a file: flush the decoders; a file that gave nothing at all is corrupt.
  void finish() {
    if (video_) video_->decode(nullptr, pending_);
    if (audio_) audio_->decode(nullptr, pending_);
    ended_ = true;
    if (items_out_ == 0 && pending_.empty()) {
      const auto refused = (video_ ? video_->refused_packets() : 0) + (audio_ ? audio_->refused_packets() : 0);
      detail::fail(ErrorCode::kUnsupportedMediaType, "corrupt", context_.name,
                   refused > 0 ? fmt::format("no frame could be decoded ({} packets refused)", refused)
                               : std::string("no frame in the file"));
    }
  }

  SourceOptions options_;
  detail::Deadline deadline_;  // before input_: the demuxer polls it until it is closed
  detail::OpenInput input_;
  detail::DecodeContext context_;
  int video_stream_ = -1;
  int audio_stream_ = -1;
  std::unique_ptr<detail::VideoDecoder> video_;
  std::unique_ptr<detail::AudioDecoder> audio_;
  std::unique_ptr<ClipBuffer> clip_;
  StreamInfo info_;
  detail::PacketPtr packet_;
  std::deque<MediaItem> pending_;
  bool ended_ = false;
  std::int64_t items_out_ = 0;
  std::uint64_t bytes_read_ = 0;
  double first_dts_s_ = std::nan("");
  std::exception_ptr spent_;
};

}  // namespace

std::unique_ptr<MediaSource> MediaSource::open(const SourceOptions& options) {
  return std::make_unique<FfmpegSource>(options);
}

}  // namespace tyto::media
