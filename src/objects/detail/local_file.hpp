// The local store's building blocks: an owned file descriptor, the object file's header, and the POSIX
// calls it needs, each throwing Error(kInternal) with the path and the system error.
//
// An object file is
//   tyto-object 1\n
//   {"etag":"<64 hex digits: SHA-256 of the content>","content_type":"<type>"}\n
//   <content>
// The ETag sits at a fixed offset, so it is written as a zeroed slot first and filled in once the
// content has streamed through the hash.
#pragma once

#include "tyto/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;

 private:
  int fd_ = -1;
};

inline constexpr std::size_t kEtagLength = 64;

struct ObjectHeader {
  std::string etag;
  std::string content_type;
  std::size_t length = 0;  // bytes before the content
};

// The header for a new object, with a zeroed ETag slot at etag_offset().
std::string encode_header(std::string_view content_type);
std::size_t etag_offset() noexcept;

// Reads and checks the header of an object file; throws Error(kInternal) naming path if it is corrupt.
ObjectHeader read_header(int fd, const std::filesystem::path& path);

// The code a failed system call maps to: a full disk or quota is kInsufficientStorage (507), a read-only or
// forbidden one kUnavailable (503: an operator can fix it, and the request may then succeed), anything
// else kInternal.
ErrorCode system_error_code(int error) noexcept;

// Throws Error(system_error_code(error)) naming what failed, the path and the system error.
[[noreturn]] void throw_system_error(std::string_view what, const std::filesystem::path& path, int error);

void write_all(int fd, std::string_view data, const std::filesystem::path& path);
void pwrite_all(int fd, std::string_view data, std::uint64_t offset, const std::filesystem::path& path);
// Reads up to size bytes at offset (fewer only at the end of the file).
std::size_t pread_some(int fd, char* buf, std::size_t size, std::uint64_t offset, const std::filesystem::path& path);
void fsync_fd(int fd, const std::filesystem::path& path);
void fsync_directory(const std::filesystem::path& dir);

}  // namespace tyto::objects::detail
