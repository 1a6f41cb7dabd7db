// Opening an input for FFmpeg: what kind of source, which protocols and demuxers it may use, the deadline
// every blocking call polls, and the errors a failed open or read turns into.
#pragma once

#include "detail/ffmpeg.hpp"
#include "tyto/media/source.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace tyto::media::detail {

enum class SourceKind { kFile, kRtsp, kHttp, kBytes };

// What FFmpeg's AVIOInterruptCB polls: non-zero once the deadline has passed or interrupt() was called.
class Deadline {
 public:
  explicit Deadline(std::function<bool()> should_stop = {}) : should_stop_(std::move(should_stop)) {}
  void arm(std::chrono::milliseconds from_now) noexcept;
  void interrupt() noexcept { interrupted_.store(true, std::memory_order_relaxed); }
  // interrupt() was called, or should_stop said so (then it stays so).
  bool interrupted() const noexcept;
  bool passed() const noexcept;
  AVIOInterruptCB callback() noexcept { return {&Deadline::poll, this}; }

 private:
  static int poll(void* opaque) { return static_cast<const Deadline*>(opaque)->passed() ? 1 : 0; }
  std::function<bool()> should_stop_;
  std::atomic<std::int64_t> at_ns_{0};
  mutable std::atomic<bool> interrupted_{false};
};

// Bytes in memory read through a custom AVIOContext.
struct MemoryInput {
  std::shared_ptr<const std::string> bytes;
  std::int64_t pos = 0;
};

// An open input. Members are destroyed bottom-up: the demuxer before its I/O context and the bytes.
struct OpenInput {
  SourceKind kind = SourceKind::kFile;
  std::string name;
  std::uint64_t size = 0;  // of a file or the bytes; 0 for streams
  std::unique_ptr<MemoryInput> memory;
  IoPtr io;
  FormatPtr format;
};

// Opens the source the options name and reads its stream information, all under options.open_timeout
// (the deadline is armed here). Throws as source.hpp says.
OpenInput open_input(const SourceOptions& options, Deadline& deadline);

// The error for a failed open or read (ret < 0): timeout, interrupted, unreachable, disconnected, corrupt or
// unsupported_codec, depending on the source's kind and whether it was already open.
[[noreturn]] void fail_input(int ret, SourceKind kind, std::string_view name, const Deadline& deadline, bool opened,
                             std::string_view what);

}  // namespace tyto::media::detail
