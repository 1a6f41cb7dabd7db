// Audio to mono at a chosen rate through FFmpeg's libraries: demux, decode the best audio stream, downmix
// and resample with libswresample (to signed 16-bit or float). Every blocking FFmpeg call polls the deadline.
#include "tyto/audio/decode.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cstring>
#include <memory>
#include <system_error>
#include <type_traits>
#include <vector>

namespace tyto::audio {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string av_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

[[noreturn]] void refuse(std::string_view name, std::string_view reason, std::string_view why, json more = {}) {
  json details = {{"reason", reason}};
  if (more.is_object()) details.update(more);
  throw Error(ErrorCode::kUnsupportedMediaType, fmt::format("{}: not decodable audio ({})", name, why),
              std::move(details));
}

// The input, the decoder and the resampler of one decode, freed together.
struct AvState {
  AVIOContext* io = nullptr;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  SwrContext* swr = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;

  AvState() = default;
  AvState(const AvState&) = delete;
  AvState& operator=(const AvState&) = delete;
  ~AvState() {
    av_packet_free(&packet);
    av_frame_free(&frame);
    swr_free(&swr);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// Bytes in memory read through an AVIOContext.
struct MemoryReader {
  std::string_view bytes;
  std::size_t at = 0;

  static int read(void* opaque, std::uint8_t* buf, int size) {
    auto* self = static_cast<MemoryReader*>(opaque);
    const std::size_t n = std::min(self->bytes.size() - self->at, static_cast<std::size_t>(size));
    if (n == 0) return AVERROR_EOF;
    std::memcpy(buf, self->bytes.data() + self->at, n);
    self->at += n;
    return static_cast<int>(n);
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* self = static_cast<MemoryReader*>(opaque);
    const auto size = static_cast<std::int64_t>(self->bytes.size());
    if (whence & AVSEEK_SIZE) return size;
    const std::int64_t base = (whence & 3) == SEEK_CUR   ? static_cast<std::int64_t>(self->at)
                              : (whence & 3) == SEEK_END ? size
                                                         : 0;
    const std::int64_t to = base + offset;
    if (to < 0 || to > size) return AVERROR(EINVAL);
    self->at = static_cast<std::size_t>(to);
    return to;
  }
};

// The output sample type's FFmpeg format: Out is Pcm16k (int16 samples) or Pcm (floats).
template <class Out>
constexpr AVSampleFormat sample_format() {
  return std::is_same_v<Out, Pcm16k> ? AV_SAMPLE_FMT_S16 : AV_SAMPLE_FMT_FLT;
}

template <class Out>
class PcmDecoder {
 public:
  PcmDecoder(std::string name, int rate, const DecodeOptions& options)
      : name_(std::move(name)), rate_(rate), options_(options), until_(Clock::now() + options.deadline) {
    av_log_set_level(AV_LOG_QUIET);
  }

  Out from_bytes(std::string_view bytes) {
    if (bytes.empty()) refuse(name_, "empty", "zero bytes");
    if (bytes.size() > options_.max_bytes) too_large(bytes.size());
    reader_.bytes = bytes;
    constexpr int kBuffer = 32 * 1024;
    auto* buffer = static_cast<std::uint8_t*>(av_malloc(kBuffer));
    if (!buffer) throw std::bad_alloc();
    av_.io = avio_alloc_context(buffer, kBuffer, 0, &reader_, &MemoryReader::read, nullptr, &MemoryReader::seek);
    if (!av_.io) {
      av_free(buffer);
      throw std::bad_alloc();
    }
    return run(nullptr, "none");  // nothing inside an upload may open another resource
  }

  Out from_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw Error(ErrorCode::kNotFound, fmt::format("{}: no such file", name_), {{"reason", "no_such_file"}});
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size == 0) refuse(name_, "empty", "zero bytes");
    if (size > options_.max_bytes) too_large(size);
    return run(path.c_str(), "file");
  }

 private:
  static int interrupt(void* opaque) { return static_cast<PcmDecoder*>(opaque)->late() ? 1 : 0; }
  bool late() const { return Clock::now() >= until_ || (options_.should_stop && options_.should_stop()); }

  [[noreturn]] void timed_out() const {
    if (options_.should_stop && options_.should_stop())
      throw Error(ErrorCode::kTimeout, fmt::format("{}: decoding stopped", name_), {{"reason", "stopped"}});
    throw Error(ErrorCode::kTimeout,
                fmt::format("{}: decoding took longer than {} ms", name_, options_.deadline.count()),
                {{"reason", "deadline"}});
  }
  [[noreturn]] void too_large(std::uint64_t bytes) const {
    throw Error(ErrorCode::kPayloadTooLarge,
                fmt::format("{}: {} bytes, more than {}", name_, bytes, options_.max_bytes),
                {{"reason", "too_large"}, {"max_bytes", options_.max_bytes}});
  }
  [[noreturn]] void too_long() const {
    throw Error(ErrorCode::kPayloadTooLarge,
                fmt::format("{}: more than the {} s of audio that may be decoded", name_, options_.max_seconds),
                {{"reason", "too_long"}, {"max_seconds", options_.max_seconds}});
  }
  void check(int ret, std::string_view what) const {
    if (ret >= 0) return;
    if (ret == AVERROR_EXIT || late()) timed_out();
    // The end of the input before its headers or its first frame: a file cut short.
    refuse(name_, ret == AVERROR_EOF ? "truncated" : "not_audio", fmt::format("{}: {}", what, av_text(ret)));
  }

  Out run(const char* url, const char* protocols) {
    open(url, protocols);
    open_codec();
    open_resampler();
    decode_all();
    return std::move(out_);
  }

  void open(const char* url, const char* protocols) {
    av_.format = avformat_alloc_context();
    if (!av_.format) throw std::bad_alloc();
    av_.format->interrupt_callback = {&PcmDecoder::interrupt, this};
    if (av_.io) {
      av_.format->pb = av_.io;
      av_.format->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "protocol_whitelist", protocols, 0);
    const int ret = avformat_open_input(&av_.format, url ? url : "", nullptr, &opts);  // frees format on failure
    av_dict_free(&opts);
    check(ret, "cannot open");
    check(avformat_find_stream_info(av_.format, nullptr), "no stream information");
    out_.container = av_.format->iformat ? av_.format->iformat->name : "";
  }

  void open_codec() {
    const AVCodec* codec = nullptr;
    stream_ = av_find_best_stream(av_.format, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_ < 0 || !codec) refuse(name_, "no_audio_stream", "no audio stream");
    const AVStream* st = av_.format->streams[stream_];
    av_.codec = avcodec_alloc_context3(codec);
    if (!av_.codec) throw std::bad_alloc();
    check(avcodec_parameters_to_context(av_.codec, st->codecpar), "bad codec parameters");
    check(avcodec_open2(av_.codec, codec, nullptr), "cannot open the codec");
    if (av_.codec->sample_rate <= 0 || av_.codec->ch_layout.nb_channels <= 0)
      refuse(name_, "not_audio", "no sample rate or channels");
    out_.codec = avcodec_get_name(codec->id);  // "mp3", not the decoder's "mp3float"
    out_.source_rate = av_.codec->sample_rate;
    out_.source_channels = av_.codec->ch_layout.nb_channels;
    // A length the container states (not one guessed from the bitrate) is checked before and after decoding.
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
      declared_s_ = static_cast<double>(st->duration) * av_q2d(st->time_base);
    else if (av_.format->duration != AV_NOPTS_VALUE &&
             av_.format->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE)
      declared_s_ = static_cast<double>(av_.format->duration) / AV_TIME_BASE;
    if (declared_s_ > options_.max_seconds) too_long();
  }

  void open_resampler() {
    AVChannelLayout in{};
    if (av_.codec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&in, av_.codec->ch_layout.nb_channels);
    else
      av_channel_layout_copy(&in, &av_.codec->ch_layout);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    const int channels = in.nb_channels;
    const int ret = swr_alloc_set_opts2(&av_.swr, &mono, sample_format<Out>(), rate_, &in, av_.codec->sample_fmt,
                                        av_.codec->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in);
    check(ret, "cannot set up the resampler");
    // The mean of the channels (FFmpeg's own downmix lowers stereo by 3 dB and leaves out LFE and surrounds).
    const std::vector<double> mean(static_cast<std::size_t>(channels), 1.0 / channels);
    check(swr_set_matrix(av_.swr, mean.data(), channels), "cannot set up the downmix");
    check(swr_init(av_.swr), "cannot set up the resampler");
    max_samples_ = static_cast<std::size_t>(options_.max_seconds * rate_);
  }

  // Resamples one frame (or, with nullptr, what the resampler still holds) onto the output.
  void append(const AVFrame* frame) {
    const int in = frame ? frame->nb_samples : 0;
    const int room = swr_get_out_samples(av_.swr, in);
    if (room <= 0) return;
    auto& s = out_.samples;
    const std::size_t before = s.size();
    s.resize(before + static_cast<std::size_t>(room));
    std::uint8_t* dst[1] = {reinterpret_cast<std::uint8_t*>(s.data() + before)};
    const int n =
        swr_convert(av_.swr, dst, room, frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr, in);
    s.resize(before + static_cast<std::size_t>(std::max(n, 0)));
    check(n, "cannot resample");
    if (s.size() > max_samples_) too_long();
  }

  void receive_frames() {
    while (true) {
      const int ret = avcodec_receive_frame(av_.codec, av_.frame);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret == AVERROR_INVALIDDATA) continue;  // a damaged frame is skipped, as players do
      check(ret, "cannot decode");
      append(av_.frame);
      av_frame_unref(av_.frame);
      if (late()) timed_out();
    }
  }

  void decode_all() {
    av_.frame = av_frame_alloc();
    av_.packet = av_packet_alloc();
    if (!av_.frame || !av_.packet) throw std::bad_alloc();
    bool broke_off = false;
    while (true) {
      const int ret = av_read_frame(av_.format, av_.packet);
      if (ret == AVERROR_EOF) break;
      if (ret < 0) {
        if (ret == AVERROR_EXIT || late()) timed_out();
        if (out_.samples.empty()) check(ret, "cannot read");
        broke_off = true;
        break;
      }
      if (av_.packet->stream_index == stream_) {
        const int sent = avcodec_send_packet(av_.codec, av_.packet);
        if (sent < 0 && sent != AVERROR_INVALIDDATA && sent != AVERROR(EAGAIN)) check(sent, "cannot decode");
        receive_frames();
      }
      av_packet_unref(av_.packet);
    }
    avcodec_send_packet(av_.codec, nullptr);
    receive_frames();
    append(nullptr);
    if (out_.samples.empty()) refuse(name_, "not_audio", "no audio decoded");
    const double decoded = static_cast<double>(out_.samples.size()) / rate_;
    if (broke_off || (declared_s_ > 0 && decoded < declared_s_ * (1.0 - options_.truncation_tolerance)))
      refuse(name_, "truncated",
             declared_s_ > 0 ? fmt::format("the audio stops at {:.2f} s of {:.2f} s", decoded, declared_s_)
                             : fmt::format("the audio breaks off at {:.2f} s", decoded),
             {{"decoded_s", decoded}, {"declared_s", declared_s_}});
  }

  std::string name_;
  int rate_;
  const DecodeOptions& options_;
  Clock::time_point until_;
  MemoryReader reader_;
  AvState av_;
  int stream_ = -1;
  double declared_s_ = 0;
  std::size_t max_samples_ = 0;
  Out out_;
};

void check_rate(int rate) {
  if (rate < kMinRate || rate > kMaxRate)
    throw Error(ErrorCode::kBadRequest,
                fmt::format("decode_pcm: a rate of {} Hz is outside [{}, {}]", rate, kMinRate, kMaxRate),
                {{"reason", "bad_rate"}, {"rate", rate}});
}

}  // namespace

Pcm decode_pcm(std::string_view bytes, int rate, const DecodeOptions& options, std::string_view name) {
  check_rate(rate);
  Pcm out = PcmDecoder<Pcm>(std::string(name), rate, options).from_bytes(bytes);
  out.rate = rate;
  return out;
}

Pcm decode_pcm_file(const std::filesystem::path& path, int rate, const DecodeOptions& options) {
  check_rate(rate);
  Pcm out = PcmDecoder<Pcm>(path.string(), rate, options).from_file(path);
  out.rate = rate;
  return out;
}

Pcm16k decode_pcm16k(std::string_view bytes, const DecodeOptions& options, std::string_view name) {
  return PcmDecoder<Pcm16k>(std::string(name), kSampleRate, options).from_bytes(bytes);
}

Pcm16k decode_pcm16k_file(const std::filesystem::path& path, const DecodeOptions& options) {
  return PcmDecoder<Pcm16k>(path.string(), kSampleRate, options).from_file(path);
}

std::vector<float> to_float(std::span<const std::int16_t> samples) {
  std::vector<float> out(samples.size());
  std::transform(samples.begin(), samples.end(), out.begin(), [](std::int16_t s) { return s / 32768.0f; });
  return out;
}

}  // namespace tyto::audio
