// The clip buffer: packet references of whole groups of pictures, and the MP4 remux of a range of them.
#include "tyto/media/clip.hpp"
#include "detail/clip_feed.hpp"
#include "detail/ffmpeg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

namespace tyto::media {
namespace {

using detail::PacketPtr;

struct Held {
  PacketPtr packet;  // timestamps made whole and increasing by add()
  double pts_s = 0;
  double dts_s = 0;
  bool key = false;
};

// A growing, seekable std::string as an AVIOContext, so the MP4 muxer can go back and write the sizes.
struct MemoryOutput {
  std::string bytes;
  std::int64_t pos = 0;

  static int write(void* opaque, std::uint8_t* buf, int size) {
    auto* out = static_cast<MemoryOutput*>(opaque);
    const auto end = static_cast<std::size_t>(out->pos) + static_cast<std::size_t>(size);
    if (end > out->bytes.size()) out->bytes.resize(end);
    std::memcpy(out->bytes.data() + out->pos, buf, static_cast<std::size_t>(size));
    out->pos += size;
    return size;
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* out = static_cast<MemoryOutput*>(opaque);
    const auto size = static_cast<std::int64_t>(out->bytes.size());
    if (whence == AVSEEK_SIZE) return size;
    std::int64_t to = offset;
    if ((whence & 3) == SEEK_CUR) to = out->pos + offset;
    if ((whence & 3) == SEEK_END) to = size + offset;
    if (to < 0) return AVERROR(EINVAL);
    out->pos = to;
    return to;
  }
};

[[noreturn]] void mux_failed(int ret, std::string_view what) {
  throw Error(ErrorCode::kInternal, fmt::format("clip: {}: {}", what, detail::av_message(ret)),
              {{"reason", "mux_failed"}});
}

}  // namespace

struct ClipBuffer::Impl {
  mutable std::mutex mutex;
  detail::ParametersPtr parameters;  // null until configure()
  AVRational time_base{1, 1};
  double origin_s = 0;
  std::deque<Held> held;
  std::size_t bytes = 0;
  std::int64_t last_dts = AV_NOPTS_VALUE;

  // [first, last] of a range, or nullopt.
  std::optional<std::pair<std::size_t, std::size_t>> range(double from_s, double to_s) const {
    if (held.empty() || to_s < held.front().dts_s) return std::nullopt;
    std::size_t first = 0;  // held.front() is always a keyframe
    for (std::size_t i = 0; i < held.size() && held[i].pts_s <= from_s; ++i)
      if (held[i].key) first = i;
    if (held[first].dts_s > to_s) return std::nullopt;
    std::size_t last = first;
    while (last + 1 < held.size() && held[last + 1].dts_s <= to_s) ++last;
    return std::pair{first, last};
  }

  void drop_first_group() {
    do {
      bytes -= static_cast<std::size_t>(held.front().packet->size);
      held.pop_front();
    } while (!held.empty() && !held.front().key);
  }

  void trim(const ClipOptions& options) {
    while (!held.empty()) {
      const auto second_key = std::find_if(held.begin() + 1, held.end(), [](const Held& h) { return h.key; });
      if (second_key == held.end()) {
        if (bytes > options.max_bytes) {  // one group larger than the cap: start again at the next keyframe
          held.clear();
          bytes = 0;
        }
        return;
      }
      if (held.back().dts_s - second_key->dts_s < options.seconds && bytes <= options.max_bytes) return;
      drop_first_group();
    }
  }
};

ClipBuffer::ClipBuffer(ClipOptions options) : options_(options), impl_(std::make_unique<Impl>()) {}
ClipBuffer::~ClipBuffer() = default;

void detail::ClipBufferAccess::configure(ClipBuffer& buffer, const AVCodecParameters& parameters, AVRational time_base,
                                         double origin_s) {
  auto& impl = *buffer.impl_;
  std::lock_guard lock(impl.mutex);
  impl.parameters.reset(avcodec_parameters_alloc());
  if (!impl.parameters || avcodec_parameters_copy(impl.parameters.get(), &parameters) < 0) throw std::bad_alloc();
  impl.time_base = time_base;
  impl.origin_s = origin_s;
}

void detail::ClipBufferAccess::add(ClipBuffer& buffer, const AVPacket& packet) {
  auto& impl = *buffer.impl_;
  std::lock_guard lock(impl.mutex);
  const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
  if (!impl.parameters || packet.size <= 0) return;
  if (impl.held.empty() && !key) return;  // a clip must start at a keyframe
  if (packet.pts == AV_NOPTS_VALUE && packet.dts == AV_NOPTS_VALUE) return;
  PacketPtr ref = make_packet();
  if (av_packet_ref(ref.get(), &packet) < 0) throw std::bad_alloc();
  // RTP gives presentation times only: decoding times follow them, and must increase for the muxer.
  if (ref->dts == AV_NOPTS_VALUE) ref->dts = ref->pts;
  if (ref->pts == AV_NOPTS_VALUE) ref->pts = ref->dts;
  if (impl.last_dts != AV_NOPTS_VALUE && ref->dts <= impl.last_dts) ref->dts = impl.last_dts + 1;
  if (ref->pts < ref->dts) ref->pts = ref->dts;
  impl.last_dts = ref->dts;
  Held held{nullptr, to_seconds(ref->pts, impl.time_base) - impl.origin_s,
            to_seconds(ref->dts, impl.time_base) - impl.origin_s, key};
  impl.bytes += static_cast<std::size_t>(ref->size);
  held.packet = std::move(ref);
  impl.held.push_back(std::move(held));
  impl.trim(buffer.options_);
}

std::size_t ClipBuffer::packet_count(double from_s, double to_s) const {
  std::lock_guard lock(impl_->mutex);
  const auto r = impl_->range(from_s, to_s);
  return r ? r->second - r->first + 1 : 0;
}

double ClipBuffer::earliest_s() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->held.empty() ? 0.0 : impl_->held.front().dts_s;
}

double ClipBuffer::latest_s() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->held.empty() ? 0.0 : impl_->held.back().dts_s;
}

std::size_t ClipBuffer::packets() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->held.size();
}

std::size_t ClipBuffer::bytes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->bytes;
}

namespace {

// Gives packets without a duration the gap to the next one (the last, the gap before it), so the MP4's
// last sample has a length.
void fill_durations(std::vector<PacketPtr>& packets) {
  std::int64_t gap = 1;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i + 1 < packets.size()) gap = std::max<std::int64_t>(1, packets[i + 1]->dts - packets[i]->dts);
    if (packets[i]->duration <= 0) packets[i]->duration = gap;
  }
}

std::string mux_mp4(const AVCodecParameters& parameters, AVRational time_base, std::vector<PacketPtr>& packets) {
  const AVOutputFormat* format = av_guess_format("mp4", nullptr, nullptr);
  if (!format || avformat_query_codec(format, parameters.codec_id, FF_COMPLIANCE_NORMAL) != 1)
    throw Error(ErrorCode::kUnsupportedMediaType,
                fmt::format("clip: MP4 cannot hold {} video", avcodec_get_name(parameters.codec_id)),
                {{"reason", "unsupported_codec"}});
  AVFormatContext* raw = nullptr;
  if (const int ret = avformat_alloc_output_context2(&raw, format, nullptr, nullptr); ret < 0)
    mux_failed(ret, "no MP4 muxer");
  detail::OutputFormatPtr out(raw);
  AVStream* stream = avformat_new_stream(out.get(), nullptr);
  if (!stream) throw std::bad_alloc();
  if (avcodec_parameters_copy(stream->codecpar, &parameters) < 0) throw std::bad_alloc();
  stream->codecpar->codec_tag = 0;
  stream->time_base = time_base;

  MemoryOutput memory;
  constexpr int kBufferSize = 64 * 1024;
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kBufferSize));
  if (!buffer) throw std::bad_alloc();
  detail::IoPtr io(
      avio_alloc_context(buffer, kBufferSize, 1, &memory, nullptr, &MemoryOutput::write, &MemoryOutput::seek));
  if (!io) {
    av_free(buffer);
    throw std::bad_alloc();
  }
  out->pb = io.get();
  out->flags |= AVFMT_FLAG_CUSTOM_IO;
  if (const int ret = avformat_write_header(out.get(), nullptr); ret < 0) mux_failed(ret, "cannot start the MP4");

  const std::int64_t base = packets.front()->dts;
  for (auto& packet : packets) {
    packet->pts -= base;
    packet->dts -= base;
    packet->stream_index = 0;
    packet->pos = -1;
    av_packet_rescale_ts(packet.get(), time_base, stream->time_base);
    if (const int ret = av_write_frame(out.get(), packet.get()); ret < 0) mux_failed(ret, "cannot write a packet");
  }
  if (const int ret = av_write_trailer(out.get()); ret < 0) mux_failed(ret, "cannot finish the MP4");
  avio_flush(io.get());
  return std::move(memory.bytes);
}

}  // namespace

std::string ClipBuffer::write_mp4(double from_s, double to_s) const {
  if (to_s < from_s)
    throw validation_error("clip: the range ends before it starts", {{"to_s", "must not be less than from_s"}});
  detail::ParametersPtr parameters(avcodec_parameters_alloc());
  if (!parameters) throw std::bad_alloc();
  AVRational time_base;
  std::vector<PacketPtr> packets;
  {
    std::lock_guard lock(impl_->mutex);
    const auto r = impl_->range(from_s, to_s);
    if (!r || !impl_->parameters)
      throw Error(ErrorCode::kNotFound,
                  fmt::format("clip: no video held from {:.3f} s to {:.3f} s (held: {:.3f} s to {:.3f} s)", from_s,
                              to_s, impl_->held.empty() ? 0.0 : impl_->held.front().dts_s,
                              impl_->held.empty() ? 0.0 : impl_->held.back().dts_s),
                  {{"reason", "no_packets"}});
    if (avcodec_parameters_copy(parameters.get(), impl_->parameters.get()) < 0) throw std::bad_alloc();
    time_base = impl_->time_base;
    for (std::size_t i = r->first; i <= r->second; ++i) {
      PacketPtr ref = detail::make_packet();
      if (av_packet_ref(ref.get(), impl_->held[i].packet.get()) < 0) throw std::bad_alloc();
      packets.push_back(std::move(ref));
    }
  }
  fill_durations(packets);
  return mux_mp4(*parameters, time_base, packets);
}

}  // namespace tyto::media
