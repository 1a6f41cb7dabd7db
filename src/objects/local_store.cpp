// The local object store: one file per object under a root directory (layout in object_store.hpp, file
// format in detail/local_file.hpp).
#include "tyto/objects/object_store.hpp"

#include "objects/detail/local_file.hpp"
#include "objects/detail/names.hpp"
#include "objects/detail/sha256_stream.hpp"
#include "tyto/core/hash.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tyto::objects {
namespace {

namespace fs = std::filesystem;
using detail::Fd;

constexpr std::string_view kObjectSuffix = "~obj";
constexpr std::string_view kTempInfix = "~tmp.";
constexpr std::size_t kChunkBytes = 64 * 1024;

std::int64_t mtime_micros(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000 + st.st_mtim.tv_nsec / 1000;
}

// A temporary file beside the object's final path; unlinked unless committed.
class TempFile {
 public:
  TempFile(fs::path path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  ~TempFile() {
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const noexcept { return fd_.get(); }
  const fs::path& path() const noexcept { return path_; }

  // Makes the content durable and moves it to target atomically.
  void commit(const fs::path& target) {
    detail::fsync_fd(fd_.get(), path_);
    fd_ = Fd();
    if (::rename(path_.c_str(), target.c_str()) != 0) detail::throw_system_error("cannot rename to", target, errno);
    committed_ = true;
    detail::fsync_directory(target.parent_path());
  }

 private:
  fs::path path_;
  Fd fd_;
  bool committed_ = false;
};

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(fs::path root) : root_(std::move(root)) {}

  ObjectInfo put(std::string_view key, std::string_view data, std::string_view content_type) override {
    return put_stream(key, detail::read_from(data), content_type);
  }

  ObjectInfo put_stream(std::string_view key, const ReadFn& read, std::string_view content_type) override;
  std::optional<ObjectInfo> head(std::string_view key) override;
  ObjectInfo get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                 const SinkFn& sink) override;
  bool remove(std::string_view key) override;
  std::vector<ObjectInfo> list(std::string_view prefix, std::size_t limit) override;

  std::optional<std::string> presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                                     std::string_view content_type) override {
    validate_key(key);
    detail::validate_presign(method, expires, content_type);
    return std::nullopt;
  }

  std::string_view kind() const noexcept override { return "local"; }

 private:
  fs::path object_path(std::string_view key) const;
  void require_inside_root(const fs::path& path, std::string_view key) const;
  TempFile create_temp(const fs::path& target) const;
  void create_directories(const fs::path& dir) const;
  void prune_empty_directories(fs::path dir) const;
  ObjectInfo describe(std::string key, int fd, const fs::path& path, std::uint64_t* content_offset = nullptr) const;
  void walk(const fs::path& dir, const std::string& dir_key, std::string_view prefix, std::size_t limit,
            std::vector<ObjectInfo>& out);

  const fs::path root_;  // canonical
};

fs::path LocalStore::object_path(std::string_view key) const {
  validate_key(key);
  fs::path path = root_ / (std::string(key) + std::string(kObjectSuffix));
  require_inside_root(path, key);
  return path;
}

// validate_key already rules out "..": this catches a symbolic link inside root that leads out of it.
void LocalStore::require_inside_root(const fs::path& path, std::string_view key) const {
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(path, ec);
  if (ec) detail::throw_system_error("cannot resolve", path, ec.value());
  auto [root_end, unused] = std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  if (root_end != root_.end()) {
    throw validation_error(fmt::format("object key \"{}\" resolves outside the store", detail::printable(key)),
                           {{"key", "resolves outside the store"}});
  }
}

// Creates the missing directories between root and dir, making each new entry durable in its parent.
void LocalStore::create_directories(const fs::path& dir) const {
  fs::path current = root_;
  for (const fs::path& part : dir.lexically_relative(root_)) {
    if (part == ".") continue;
    fs::path parent = current;
    current /= part;
    if (::mkdir(current.c_str(), 0755) == 0) {
      detail::fsync_directory(parent);
    } else if (errno != EEXIST) {
      detail::throw_system_error("cannot create directory", current, errno);
    }
  }
}

TempFile LocalStore::create_temp(const fs::path& target) const {
  // A concurrent remove() may prune the directory between mkdir and open: try again then.
  for (int attempt = 0;; ++attempt) {
    create_directories(target.parent_path());
    fs::path temp = target;
    temp.replace_filename(target.filename().string() + std::string(kTempInfix) + hex_encode(random_bytes(8)));
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) return TempFile(std::move(temp), Fd(fd));
    if (errno != ENOENT || attempt == 3) detail::throw_system_error("cannot create", temp, errno);
  }
}

ObjectInfo LocalStore::put_stream(std::string_view key, const ReadFn& read, std::string_view content_type) {
  fs::path path = object_path(key);
  std::string type = detail::content_type_or_default(content_type);
  TempFile temp = create_temp(path);
  detail::write_all(temp.fd(), detail::encode_header(type), temp.path());
  detail::Sha256Stream hash;
  std::string buf(kChunkBytes, '\0');
  std::uint64_t size = 0;
  while (std::size_t n = read(buf.data(), buf.size())) {
    std::string_view chunk(buf.data(), std::min(n, buf.size()));
    hash.update(chunk);
    detail::write_all(temp.fd(), chunk, temp.path());
    size += chunk.size();
  }
  std::string etag = hash.hex_digest();
  detail::pwrite_all(temp.fd(), etag, detail::etag_offset(), temp.path());
  struct stat st {};
  if (::fstat(temp.fd(), &st) != 0) detail::throw_system_error("cannot stat", temp.path(), errno);
  temp.commit(path);
  return ObjectInfo{std::string(key), size, std::move(etag), std::move(type), mtime_micros(st)};
}

ObjectInfo LocalStore::describe(std::string key, int fd, const fs::path& path, std::uint64_t* content_offset) const {
  struct stat st {};
  if (::fstat(fd, &st) != 0) detail::throw_system_error("cannot stat", path, errno);
  detail::ObjectHeader header = detail::read_header(fd, path);
  auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size < header.length) detail::throw_system_error("truncated object file", path, EIO);
  if (content_offset != nullptr) *content_offset = header.length;
  return ObjectInfo{std::move(key), file_size - header.length, std::move(header.etag), std::move(header.content_type),
                    mtime_micros(st)};
}

std::optional<ObjectInfo> LocalStore::head(std::string_view key) {
  fs::path path = object_path(key);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    detail::throw_system_error("cannot open", path, errno);
  }
  return describe(std::string(key), fd.get(), path);
}

ObjectInfo LocalStore::get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                           const SinkFn& sink) {
  fs::path path = object_path(key);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::kNotFound, fmt::format("object \"{}\" not found", detail::printable(key)));
    }
    detail::throw_system_error("cannot open", path, errno);
  }
  std::uint64_t position = 0;
  ObjectInfo info = describe(std::string(key), fd.get(), path, &position);
  if (offset > info.size) {
    throw validation_error(fmt::format("range start {} is past the end of object \"{}\" ({} bytes)", offset,
                                       detail::printable(key), info.size),
                           {{"offset", "past the end of the object"}});
  }
  std::uint64_t remaining = std::min(info.size - offset, length.value_or(info.size));
  position += offset;
  std::string buf(kChunkBytes, '\0');
  while (remaining > 0) {
    std::size_t n =
        detail::pread_some(fd.get(), buf.data(), std::min<std::uint64_t>(remaining, buf.size()), position, path);
    if (n == 0) detail::throw_system_error("object file shrank while reading", path, EIO);
    sink(std::string_view(buf.data(), n));
    position += n;
    remaining -= n;
  }
  return info;
}

bool LocalStore::remove(std::string_view key) {
  fs::path path = object_path(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    detail::throw_system_error("cannot delete", path, errno);
  }
  detail::fsync_directory(path.parent_path());
  prune_empty_directories(path.parent_path());
  return true;
}

// Removes dir and its ancestors below root while they are empty; stops at the first that is not.
void LocalStore::prune_empty_directories(fs::path dir) const {
  while (dir != root_ && dir.native().size() > root_.native().size()) {
    if (::rmdir(dir.c_str()) != 0) return;
    fs::path parent = dir.parent_path();
    detail::fsync_directory(parent);
    dir = std::move(parent);
  }
}

std::vector<ObjectInfo> LocalStore::list(std::string_view prefix, std::size_t limit) {
  validate_prefix(prefix);
  std::vector<ObjectInfo> out;
  std::size_t slash = prefix.rfind('/');
  std::string dir_key(slash == std::string_view::npos ? std::string_view() : prefix.substr(0, slash + 1));
  fs::path dir = dir_key.empty() ? root_ : root_ / dir_key;
  if (limit == 0) return out;
  if (!dir_key.empty()) require_inside_root(dir, prefix);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return out;
  walk(dir, dir_key, prefix, limit, out);
  return out;
}

// Depth first in key order: a directory sorts as its name plus '/', an object as its key, which yields
// the keys below a directory exactly where they belong in byte order.
void LocalStore::walk(const fs::path& dir, const std::string& dir_key, std::string_view prefix, std::size_t limit,
                      std::vector<ObjectInfo>& out) {
  std::vector<std::pair<std::string, bool>> entries;  // key, is_directory
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    fs::file_type type = entry.symlink_status(ec).type();
    if (type == fs::file_type::directory && detail::is_key_segment(name)) {
      entries.emplace_back(dir_key + name + "/", true);
    } else if (type == fs::file_type::regular && name.ends_with(kObjectSuffix)) {
      name.resize(name.size() - kObjectSuffix.size());
      if (detail::is_key_segment(name)) entries.emplace_back(dir_key + name, false);
    }
  }
  if (ec) detail::throw_system_error("cannot list", dir, ec.value());
  std::sort(entries.begin(), entries.end());
  for (const auto& [key, is_directory] : entries) {
    if (out.size() >= limit) return;
    if (is_directory) {
      if (key.starts_with(prefix) || prefix.starts_with(key)) walk(root_ / key, key, prefix, limit, out);
    } else if (key.starts_with(prefix)) {
      if (auto info = head(key)) out.push_back(std::move(*info));  // gone since the scan: skip it
    }
  }
}

}  // namespace

std::unique_ptr<ObjectStore> open_local_store(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) detail::throw_system_error("cannot create object store directory", root, ec.value());
  std::filesystem::path canonical = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(canonical)) {
    detail::throw_system_error("object store root is not a directory:", root, ec ? ec.value() : ENOTDIR);
  }
  return std::make_unique<LocalStore>(std::move(canonical));
}

}  // namespace tyto::objects
