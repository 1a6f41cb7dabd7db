// Small helpers over FFmpeg shared by the module's sources.
#include "detail/ffmpeg.hpp"

#include <fmt/format.h>

#include <new>

namespace tyto::media::detail {

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

std::string av_message(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

void fail(ErrorCode code, std::string_view reason, std::string_view name, std::string_view what, nlohmann::json extra) {
  extra["reason"] = reason;
  throw Error(code, fmt::format("{}: {}", name, what), std::move(extra));
}

void too_large(std::string_view name, std::string_view limit, double max, double actual) {
  fail(ErrorCode::kPayloadTooLarge, "too_large", name, fmt::format("over the cap {} ({} > {})", limit, actual, max),
       {{"limit", limit}, {"max", max}, {"actual", actual}});
}

}  // namespace tyto::media::detail
