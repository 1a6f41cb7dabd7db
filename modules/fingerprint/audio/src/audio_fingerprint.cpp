// Decoding (libavformat, libavcodec), resampling (libswresample) and Chromaprint, in process.
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"

#include <fmt/format.h>

extern "C" {
#include <chromaprint.h>
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

namespace tyto::fingerprint {
namespace {

using Clock = std::chrono::steady_clock;

std::string av_message(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

[[noreturn]] void not_audio(std::string_view name, std::string_view why) {
  throw Error(ErrorCode::kUnsupportedMediaType, fmt::format("{}: not decodable audio ({})", name, why),
              {{"reason", "not_audio"}});
}

struct Deadline {
  Clock::time_point at;
  const std::function<bool()>* should_stop = nullptr;
  bool passed() const { return Clock::now() >= at || (should_stop && *should_stop && (*should_stop)()); }
};

// FFmpeg's blocking calls poll this; non-zero aborts them with AVERROR_EXIT.
int interrupt_when_late(void* opaque) { return static_cast<const Deadline*>(opaque)->passed() ? 1 : 0; }

// Bytes in memory as an AVIOContext.
struct MemoryInput {
  std::string_view bytes;
  std::int64_t pos = 0;

  static int read(void* opaque, std::uint8_t* buf, int size) {
    auto* in = static_cast<MemoryInput*>(opaque);
    const auto left = static_cast<std::int64_t>(in->bytes.size()) - in->pos;
    if (left <= 0) return AVERROR_EOF;
    const auto n = static_cast<int>(std::min<std::int64_t>(left, size));
    std::memcpy(buf, in->bytes.data() + in->pos, static_cast<std::size_t>(n));
    in->pos += n;
    return n;
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* in = static_cast<MemoryInput*>(opaque);
    const auto size = static_cast<std::int64_t>(in->bytes.size());
    if (whence == AVSEEK_SIZE) return size;
    std::int64_t to = offset;
    if ((whence & 3) == SEEK_CUR) to = in->pos + offset;
    if ((whence & 3) == SEEK_END) to = size + offset;
    if (to < 0 || to > size) return AVERROR(EINVAL);
    in->pos = to;
    return to;
  }
};

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
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
struct SwrFreer {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct IoFreer {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
struct ChromaprintFreer {
  void operator()(ChromaprintContext* c) const { chromaprint_free(c); }
};

// One decode of one input: open, pick the best audio stream, decode, downmix and resample to what
// Chromaprint wants with fpcalc's resampler settings, feed Chromaprint.
class Decoder {
 public:
  Decoder(std::string name, const FingerprintOptions& options)
      : name_(std::move(name)), options_(options), deadline_{Clock::now() + options.deadline, &options_.should_stop} {
    av_log_set_level(AV_LOG_QUIET);
  }

  AudioFingerprint run_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw Error(ErrorCode::kNotFound, fmt::format("{}: no such file", name_), {{"reason", "no_such_file"}});
    if (std::filesystem::is_directory(path, ec)) not_audio(name_, "a directory");
    if (std::filesystem::file_size(path, ec) == 0) not_audio(name_, "zero bytes");
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    open(path.string().c_str(), &opts);
    return decode();
  }

  AudioFingerprint run_bytes(std::string_view bytes) {
    if (bytes.empty()) not_audio(name_, "zero bytes");
    memory_.bytes = bytes;
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<std::uint8_t*>(av_malloc(kBufferSize));
    if (!buffer) throw std::bad_alloc();
    io_.reset(avio_alloc_context(buffer, kBufferSize, 0, &memory_, &MemoryInput::read, nullptr, &MemoryInput::seek));
    if (!io_) {
      av_free(buffer);
      throw std::bad_alloc();
    }
    AVDictionary* opts = nullptr;
    // Nothing in an uploaded file (a playlist, a reference) may open anything else.
    av_dict_set(&opts, "protocol_whitelist", "none", 0);
    open(nullptr, &opts);
    return decode();
  }

 private:
  void check(int ret, std::string_view what) {
    if (ret >= 0) return;
    if (ret == AVERROR_EXIT || deadline_.passed()) late();
    not_audio(name_, fmt::format("{}: {}", what, av_message(ret)));
  }
  [[noreturn]] void late() {
    if (options_.should_stop && options_.should_stop())
      throw Error(ErrorCode::kTimeout, fmt::format("{}: decoding stopped", name_), {{"reason", "stopped"}});
    throw Error(ErrorCode::kTimeout,
                fmt::format("{}: decoding took longer than {} ms", name_, options_.deadline.count()),
                {{"reason", "deadline"}});
  }

  void open(const char* url, AVDictionary** opts) {
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) throw std::bad_alloc();
    raw->interrupt_callback = {&interrupt_when_late, &deadline_};
    if (io_) {
      raw->pb = io_.get();
      raw->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    const int ret = avformat_open_input(&raw, url ? url : "", nullptr, opts);  // frees raw on failure
    av_dict_free(opts);
    check(ret, "cannot open");
    format_.reset(raw);
    check(avformat_find_stream_info(format_.get(), nullptr), "no stream information");

    const AVCodec* codec = nullptr;
    const int stream = av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream < 0 || !codec) not_audio(name_, "no audio stream");
    stream_ = stream;
    const AVStream* st = format_->streams[stream_];
    codec_.reset(avcodec_alloc_context3(codec));
    if (!codec_) throw std::bad_alloc();
    check(avcodec_parameters_to_context(codec_.get(), st->codecpar), "bad codec parameters");
    codec_->request_sample_fmt = AV_SAMPLE_FMT_S16;
    check(avcodec_open2(codec_.get(), codec, nullptr), "cannot open the codec");
    if (codec_->sample_rate <= 0 || codec_->ch_layout.nb_channels <= 0) not_audio(name_, "no sample rate or channels");

    // fpcalc's duration: the stream's, else the container's, in whole milliseconds.
    std::int64_t ms = -1;
    if (st->duration != AV_NOPTS_VALUE && st->time_base.den > 0)
      ms = 1000 * st->time_base.num * st->duration / st->time_base.den;
    else if (format_->duration != AV_NOPTS_VALUE)
      ms = 1000 * format_->duration / AV_TIME_BASE;
    duration_s_ = ms < 0 ? 0.0 : static_cast<double>(ms) / 1000.0;
    if (options_.max_seconds <= 0 && duration_s_ > options_.max_decode_seconds) too_long();
  }

  [[noreturn]] void too_long() {
    throw Error(ErrorCode::kPayloadTooLarge,
                fmt::format("{}: longer than the {} s of audio that may be fingerprinted whole", name_,
                            options_.max_decode_seconds),
                {{"reason", "too_long"}, {"max_seconds", options_.max_decode_seconds}});
  }

  void start_chromaprint() {
    chromaprint_.reset(chromaprint_new(CHROMAPRINT_ALGORITHM_DEFAULT));
    if (!chromaprint_) throw std::bad_alloc();
    rate_ = chromaprint_get_sample_rate(chromaprint_.get());
    const int channels = chromaprint_get_num_channels(chromaprint_.get());
    if (!chromaprint_start(chromaprint_.get(), rate_, channels)) throw std::runtime_error("chromaprint_start failed");

    AVChannelLayout in_layout{};
    if (codec_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&in_layout, codec_->ch_layout.nb_channels);
    else
      av_channel_layout_copy(&in_layout, &codec_->ch_layout);
    AVChannelLayout out_layout{};
    av_channel_layout_default(&out_layout, channels);
    SwrContext* swr = swr_alloc();
    if (!swr) throw std::bad_alloc();
    swr_.reset(swr);
    // fpcalc's "compatible mode", so that the samples (and so the fingerprint) are the same as its own.
    av_opt_set_int(swr, "resampler", SWR_ENGINE_SWR, 0);
    av_opt_set_int(swr, "filter_size", 16, 0);
    av_opt_set_int(swr, "phase_shift", 8, 0);
    av_opt_set_int(swr, "linear_interp", 1, 0);
    av_opt_set_double(swr, "cutoff", 0.8, 0);
    av_opt_set_chlayout(swr, "in_chlayout", &in_layout, 0);
    av_opt_set_int(swr, "in_sample_fmt", codec_->sample_fmt, 0);
    av_opt_set_int(swr, "in_sample_rate", codec_->sample_rate, 0);
    av_opt_set_chlayout(swr, "out_chlayout", &out_layout, 0);
    av_opt_set_int(swr, "out_sample_fmt", AV_SAMPLE_FMT_S16, 0);
    av_opt_set_int(swr, "out_sample_rate", rate_, 0);
    av_channel_layout_uninit(&in_layout);
    av_channel_layout_uninit(&out_layout);
    check(swr_init(swr), "cannot set up the resampler");
    channels_ = channels;
    limit_ = options_.max_seconds > 0 ? static_cast<std::size_t>(options_.max_seconds * rate_) : 0;
    hard_limit_ = static_cast<std::size_t>(options_.max_decode_seconds * rate_);
  }

  // Converts (or, with frame == nullptr, drains) and feeds; returns false once the limit is reached.
  bool feed(const AVFrame* frame) {
    const int in_samples = frame ? frame->nb_samples : 0;
    // As much room as fpcalc gives (swr_convert's output depends on it where it is short).
    const int room = std::max({8192, in_samples, static_cast<int>(swr_get_out_samples(swr_.get(), in_samples))});
    if (static_cast<int>(buffer_.size()) < room * channels_) buffer_.resize(static_cast<std::size_t>(room * channels_));
    std::uint8_t* out[1] = {reinterpret_cast<std::uint8_t*>(buffer_.data())};
    const int n = swr_convert(swr_.get(), out, room,
                              frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr, in_samples);
    check(n, "cannot resample");
    std::size_t take = static_cast<std::size_t>(n);
    bool more = true;
    if (limit_ > 0 && fed_ + take >= limit_) {
      take = limit_ - fed_;
      more = false;
    } else if (limit_ == 0 && fed_ + take > hard_limit_) {
      too_long();  // the container understated the length
    }
    if (take > 0 && !chromaprint_feed(chromaprint_.get(), buffer_.data(), static_cast<int>(take) * channels_))
      throw std::runtime_error("chromaprint_feed failed");
    fed_ += take;
    return more;
  }

  // Receives every frame the decoder has; returns false once the limit is reached.
  bool drain_decoder() {
    while (true) {
      const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return true;
      if (ret == AVERROR_INVALIDDATA) continue;  // a damaged frame: skip it, as players do
      check(ret, "cannot decode");
      const bool more = feed(frame_.get());
      av_frame_unref(frame_.get());
      if (!more) return false;
      if (deadline_.passed()) late();
    }
  }

  AudioFingerprint decode() {
    start_chromaprint();
    frame_.reset(av_frame_alloc());
    packet_.reset(av_packet_alloc());
    if (!frame_ || !packet_) throw std::bad_alloc();
    bool more = true;
    while (more) {
      const int ret = av_read_frame(format_.get(), packet_.get());
      if (ret == AVERROR_EOF) break;
      if (ret < 0) {
        if (ret == AVERROR_EXIT || deadline_.passed()) late();
        if (fed_ > 0) break;  // a stream that breaks off: what was decoded counts (fpcalc does the same)
        check(ret, "cannot read");
      }
      if (packet_->stream_index == stream_) {
        const int sent = avcodec_send_packet(codec_.get(), packet_.get());
        if (sent < 0 && sent != AVERROR_INVALIDDATA && sent != AVERROR(EAGAIN)) check(sent, "cannot decode");
        more = drain_decoder();
      }
      av_packet_unref(packet_.get());
    }
    if (more) {
      avcodec_send_packet(codec_.get(), nullptr);
      more = drain_decoder();
    }
    if (more) feed(nullptr);
    if (!chromaprint_finish(chromaprint_.get())) throw std::runtime_error("chromaprint_finish failed");

    AudioFingerprint out;
    out.duration_s = duration_s_;
    out.fingerprinted_s = static_cast<double>(fed_) / rate_;
    std::uint32_t* raw = nullptr;
    int size = 0;
    if (!chromaprint_get_raw_fingerprint(chromaprint_.get(), &raw, &size) || size <= 0) {
      if (raw) chromaprint_dealloc(raw);
      not_audio(name_, fed_ == 0 ? "no audio decoded" : "too little audio for a fingerprint");
    }
    out.raw.assign(raw, raw + size);
    chromaprint_dealloc(raw);
    return out;
  }

  std::string name_;
  FingerprintOptions options_;
  Deadline deadline_;
  MemoryInput memory_;
  std::unique_ptr<AVIOContext, IoFreer> io_;
  std::unique_ptr<AVFormatContext, FormatCloser> format_;
  std::unique_ptr<AVCodecContext, CodecFreer> codec_;
  std::unique_ptr<AVFrame, FrameFreer> frame_;
  std::unique_ptr<AVPacket, PacketFreer> packet_;
  std::unique_ptr<SwrContext, SwrFreer> swr_;
  std::unique_ptr<ChromaprintContext, ChromaprintFreer> chromaprint_;
  std::vector<std::int16_t> buffer_;
  int stream_ = -1;
  int rate_ = 0;
  int channels_ = 1;
  std::size_t fed_ = 0;
  std::size_t limit_ = 0;
  std::size_t hard_limit_ = 0;
  double duration_s_ = 0;
};

}  // namespace

AudioFingerprint fingerprint_file(const std::filesystem::path& path, const FingerprintOptions& options) {
  return Decoder(path.string(), options).run_file(path);
}

AudioFingerprint fingerprint_bytes(std::string_view bytes, const FingerprintOptions& options, std::string_view name) {
  return Decoder(std::string(name), options).run_bytes(bytes);
}

std::string compress_fingerprint(const std::vector<std::uint32_t>& raw) {
  char* encoded = nullptr;
  int size = 0;
  if (!chromaprint_encode_fingerprint(raw.data(), static_cast<int>(raw.size()), CHROMAPRINT_ALGORITHM_DEFAULT, &encoded,
                                      &size, 1))
    throw std::runtime_error("chromaprint_encode_fingerprint failed");
  std::string out(encoded, static_cast<std::size_t>(size));
  chromaprint_dealloc(encoded);
  return out;
}

std::vector<std::uint32_t> decompress_fingerprint(std::string_view compressed) {
  std::uint32_t* raw = nullptr;
  int size = 0;
  int algorithm = 0;
  const bool ok =
      !compressed.empty() && chromaprint_decode_fingerprint(compressed.data(), static_cast<int>(compressed.size()),
                                                            &raw, &size, &algorithm, 1);
  if (!ok || size <= 0) {
    if (raw) chromaprint_dealloc(raw);
    throw Error(ErrorCode::kValidationFailed, "not a compressed Chromaprint fingerprint",
                {{"fields", {{"fingerprint", "malformed"}}}});
  }
  std::vector<std::uint32_t> out(raw, raw + size);
  chromaprint_dealloc(raw);
  return out;
}

}  // namespace tyto::fingerprint
