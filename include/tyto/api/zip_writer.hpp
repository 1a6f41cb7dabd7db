// A ZIP archive written to a file entry by entry (libarchive), for exports: a user's data export, a
// product's training archive. Not thread-safe: one writer per archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace tyto::api {

class ZipWriter {
 public:
  // Creates (or truncates) the file. Throws Error(kInternal) when it cannot.
  explicit ZipWriter(const std::filesystem::path& path);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Starts an entry of `size` bytes; then write() exactly that many.
  void begin(const std::string& name, std::uint64_t size);
  void write(std::string_view bytes);
  // One whole entry.
  void add(const std::string& name, std::string_view bytes);
  // Writes the central directory; the file is complete only after this. Throws Error(kInternal).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::api
