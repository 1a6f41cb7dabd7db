// Metadata stripping, by hand over the bytes (lossless: no pixel is decoded or re-encoded).
//
//   JPEG: drops APP1 (EXIF with its GPS IFD, XMP), APP13 (Photoshop/IPTC), COM, MPF (APP2 "MPF") and every
//         other APPn except JFIF/JFXX (APP0), ICC profiles (APP2 "ICC_PROFILE") and Adobe (APP14); stops at
//         EOI, so data appended after the image (secondary images with their own EXIF) goes too.
//   PNG:  drops eXIf, tEXt, zTXt, iTXt and tIME chunks; stops after IEND.
//   WebP: drops EXIF and XMP chunks, clears their flags in VP8X and rewrites the RIFF size.
// Other media types are copied unchanged.
//
// JPEG and PNG are processed in one sequential pass; WebP reads its chunk headers first (two passes), so
// memory stays at one buffer whatever the image size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

// Random-access bytes: a file or a string.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Reads min(n, size() - offset) bytes at offset into buf and returns how many.
  virtual std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) = 0;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) override;

 private:
  std::string_view bytes_;
};

// A file opened read-only (O_NOFOLLOW). Throws Error(kInternal) naming the path if it cannot be opened.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t size() const override { return size_; }
  std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) override;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

using ByteSink = std::function<void(std::string_view)>;

struct StripResult {
  int removed = 0;                  // segments or chunks dropped
  std::uint64_t removed_bytes = 0;  // input bytes not written
};

// Writes `in` without its metadata to `out`, for media_type image/jpeg, image/png or image/webp (anything
// else is copied). Throws Error(kValidationFailed) with details.fields.file when the image's structure is
// broken (truncated, a bad length, a missing signature).
StripResult strip_metadata(std::string_view media_type, ByteSource& in, const ByteSink& out);

// Convenience for tests and small images.
std::string strip_metadata(std::string_view media_type, std::string_view bytes, StripResult* result = nullptr);

}  // namespace tyto::objects::detail
