#include "objects/detail/local_file.hpp"

#include "tyto/core/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

namespace tyto::objects::detail {
namespace {

constexpr std::string_view kMagic = "tyto-object 1\n";
constexpr std::string_view kEtagField = R"({"etag":")";
constexpr std::size_t kMaxHeaderBytes = 4096;

bool is_hex(std::string_view s) noexcept {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

[[noreturn]] void throw_corrupt(const std::filesystem::path& path, std::string_view why) {
  throw Error(ErrorCode::kInternal, fmt::format("object file {} is corrupt: {}", path.string(), why));
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string encode_header(std::string_view content_type) {
  return fmt::format("{}{}{}\",\"content_type\":{}}}\n", kMagic, kEtagField, std::string(kEtagLength, '0'),
                     nlohmann::json(std::string(content_type)).dump());
}

std::size_t etag_offset() noexcept { return kMagic.size() + kEtagField.size(); }

ObjectHeader read_header(int fd, const std::filesystem::path& path) {
  std::string buf(kMaxHeaderBytes, '\0');
  buf.resize(pread_some(fd, buf.data(), buf.size(), 0, path));
  if (!buf.starts_with(kMagic)) throw_corrupt(path, "no header");
  std::size_t end = buf.find('\n', kMagic.size());
  if (end == std::string::npos) throw_corrupt(path, "unterminated header");
  nlohmann::json fields = nlohmann::json::parse(buf.begin() + kMagic.size(), buf.begin() + end, nullptr, false);
  if (!fields.is_object() || !fields["etag"].is_string() || !fields["content_type"].is_string()) {
    throw_corrupt(path, "malformed header");
  }
  ObjectHeader header{fields["etag"].get<std::string>(), fields["content_type"].get<std::string>(), end + 1};
  if (header.etag.size() != kEtagLength || !is_hex(header.etag)) throw_corrupt(path, "malformed ETag");
  return header;
}

ErrorCode system_error_code(int error) noexcept {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return ErrorCode::kInsufficientStorage;
    case EROFS:
    case EACCES:
    case EPERM:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

void throw_system_error(std::string_view what, const std::filesystem::path& path, int error) {
  throw Error(system_error_code(error), fmt::format("{} {}: {}", what, path.string(), std::strerror(error)));
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void pwrite_all(int fd, std::string_view data, std::uint64_t offset, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

std::size_t pread_some(int fd, char* buf, std::size_t size, std::uint64_t offset, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void fsync_fd(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0) throw_system_error("cannot fsync", path, errno);
}

void fsync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_system_error("cannot open directory", dir, errno);
  fsync_fd(fd.get(), dir);
}

}  // namespace tyto::objects::detail
