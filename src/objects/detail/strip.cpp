#include "objects/detail/strip.hpp"

#include "objects/detail/local_file.hpp"
#include "tyto/core/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace tyto::objects::detail {
namespace {

constexpr std::size_t kBuffer = 64 * 1024;

[[noreturn]] void malformed(std::string_view what) {
  throw validation_error("the image is malformed", {{"file", std::string(what)}});
}

// Sequential reads over a ByteSource through one buffer.
class Reader {
 public:
  explicit Reader(ByteSource& src) : src_(src), buf_(kBuffer) {}

  std::uint64_t position() const { return pos_ - (end_ - next_); }
  bool at_end() { return !fill(); }

  int get() {
    if (!fill()) return -1;
    return static_cast<unsigned char>(buf_[next_++]);
  }
  int peek() {
    if (!fill()) return -1;
    return static_cast<unsigned char>(buf_[next_]);
  }
  std::uint8_t need(std::string_view what) {
    const int c = get();
    if (c < 0) malformed(what);
    return static_cast<std::uint8_t>(c);
  }
  // Exactly n bytes, or malformed(what).
  std::string take(std::size_t n, std::string_view what) {
    std::string out;
    out.reserve(n);
    while (out.size() < n) {
      if (!fill()) malformed(what);
      const std::size_t k = std::min(n - out.size(), end_ - next_);
      out.append(buf_.data() + next_, k);
      next_ += k;
    }
    return out;
  }
  // Passes n bytes to fn (nullptr: skips them); malformed(what) if fewer remain.
  template <class Fn>
  void pass(std::uint64_t n, std::string_view what, Fn&& fn) {
    while (n > 0) {
      if (!fill()) malformed(what);
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, end_ - next_));
      fn(std::string_view(buf_.data() + next_, k));
      next_ += k;
      n -= k;
    }
  }

 private:
  bool fill() {
    if (next_ < end_) return true;
    next_ = 0;
    end_ = src_.read_at(pos_, buf_.data(), buf_.size());
    pos_ += end_;
    return end_ > 0;
  }

  ByteSource& src_;
  std::vector<char> buf_;
  std::uint64_t pos_ = 0;  // source offset after the buffered bytes
  std::size_t next_ = 0, end_ = 0;
};

// Buffers small writes (the JPEG scan is copied byte by byte).
class Writer {
 public:
  explicit Writer(const ByteSink& sink) : sink_(sink) { buf_.reserve(kBuffer); }
  ~Writer() = default;
  void put(char c) {
    buf_.push_back(c);
    if (buf_.size() >= kBuffer) flush();
  }
  void write(std::string_view s) {
    if (buf_.size() + s.size() > kBuffer) flush();
    if (s.size() >= kBuffer) {
      sink_(s);
    } else {
      buf_.append(s);
    }
  }
  void flush() {
    if (!buf_.empty()) sink_(buf_);
    buf_.clear();
  }

 private:
  const ByteSink& sink_;
  std::string buf_;
};

std::uint32_t be32(std::string_view s) {
  return (std::uint32_t(std::uint8_t(s[0])) << 24) | (std::uint32_t(std::uint8_t(s[1])) << 16) |
         (std::uint32_t(std::uint8_t(s[2])) << 8) | std::uint32_t(std::uint8_t(s[3]));
}

std::uint32_t le32(std::string_view s) {
  return std::uint32_t(std::uint8_t(s[0])) | (std::uint32_t(std::uint8_t(s[1])) << 8) |
         (std::uint32_t(std::uint8_t(s[2])) << 16) | (std::uint32_t(std::uint8_t(s[3])) << 24);
}

std::string le32_bytes(std::uint32_t v) {
  return {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF), static_cast<char>((v >> 16) & 0xFF),
          static_cast<char>((v >> 24) & 0xFF)};
}

// --- JPEG -----------------------------------------------------------------------------------------

// Whether an APPn or COM segment with this marker and payload start stays.
bool keep_jpeg_segment(std::uint8_t marker, std::string_view start) {
  if (marker == 0xFE) return false;  // COM
  if (marker < 0xE0 || marker > 0xEF) return true;
  auto has = [&](std::string_view id) { return start.substr(0, id.size()) == id; };
  switch (marker) {
    case 0xE0:
      return has(std::string_view("JFIF\0", 5)) || has(std::string_view("JFXX\0", 5));
    case 0xE2:
      return has(std::string_view("ICC_PROFILE\0", 12));
    case 0xEE:
      return has("Adobe");
    default:
      return false;
  }
}

// Copies entropy-coded data up to the next marker (not consumed: returns its byte after 0xFF).
std::uint8_t copy_scan(Reader& in, Writer& out) {
  for (;;) {
    const int c = in.get();
    if (c < 0) malformed("JPEG scan data ends without EOI");
    if (c != 0xFF) {
      out.put(static_cast<char>(c));
      continue;
    }
    int next = in.peek();
    while (next == 0xFF) {  // fill bytes before a marker
      in.get();
      next = in.peek();
    }
    if (next < 0) malformed("JPEG scan data ends without EOI");
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {  // stuffed byte or restart marker
      in.get();
      out.put('\xFF');
      out.put(static_cast<char>(next));
      continue;
    }
    in.get();
    return static_cast<std::uint8_t>(next);
  }
}

StripResult strip_jpeg(ByteSource& src, const ByteSink& sink) {
  Reader in(src);
  Writer out(sink);
  StripResult result;
  if (in.need("empty") != 0xFF || in.need("JPEG without SOI") != 0xD8) malformed("JPEG without SOI");
  out.write("\xFF\xD8");
  int pending = -1;  // a marker already read by copy_scan
  for (;;) {
    std::uint8_t marker;
    if (pending >= 0) {
      marker = static_cast<std::uint8_t>(pending);
      pending = -1;
    } else {
      if (in.need("JPEG ends without EOI") != 0xFF) malformed("JPEG segment does not start with a marker");
      marker = in.need("JPEG ends without EOI");
      while (marker == 0xFF) marker = in.need("JPEG ends without EOI");
    }
    if (marker == 0xD9) {
      out.write("\xFF\xD9");
      break;
    }
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // standalone markers
      out.put('\xFF');
      out.put(static_cast<char>(marker));
      continue;
    }
    if (marker == 0x00 || marker == 0xD8) malformed("JPEG has a stray marker");
    const std::string length_bytes = in.take(2, "JPEG segment length cut off");
    const std::size_t length = (std::size_t(std::uint8_t(length_bytes[0])) << 8) | std::uint8_t(length_bytes[1]);
    if (length < 2) malformed("JPEG segment length below 2");
    const std::string start = in.take(std::min<std::size_t>(length - 2, 16), "JPEG segment cut off");
    const std::size_t rest = length - 2 - start.size();
    if (!keep_jpeg_segment(marker, start)) {
      in.pass(rest, "JPEG segment cut off", [](std::string_view) {});
      result.removed += 1;
      result.removed_bytes += 2 + length;
      continue;
    }
    out.put('\xFF');
    out.put(static_cast<char>(marker));
    out.write(length_bytes);
    out.write(start);
    in.pass(rest, "JPEG segment cut off", [&](std::string_view s) { out.write(s); });
    if (marker == 0xDA) pending = copy_scan(in, out);
  }
  out.flush();
  result.removed_bytes += src.size() - in.position();  // anything after EOI
  return result;
}

// --- PNG ------------------------------------------------------------------------------------------

bool drop_png_chunk(std::string_view type) {
  return type == "eXIf" || type == "tEXt" || type == "zTXt" || type == "iTXt" || type == "tIME";
}

StripResult strip_png(ByteSource& src, const ByteSink& sink) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1A\n", 8);
  Reader in(src);
  Writer out(sink);
  StripResult result;
  if (in.take(8, "PNG signature cut off") != kSignature) malformed("not a PNG signature");
  out.write(kSignature);
  bool first = true;
  for (;;) {
    const std::string header = in.take(8, "PNG ends without IEND");
    const std::uint32_t length = be32(header);
    if (length > 0x7FFFFFFFu) malformed("PNG chunk length over 2^31 - 1");
    const std::string_view type = std::string_view(header).substr(4);
    if (first && type != "IHDR") malformed("PNG does not start with IHDR");
    first = false;
    if (drop_png_chunk(type)) {
      in.pass(std::uint64_t(length) + 4, "PNG chunk cut off", [](std::string_view) {});
      result.removed += 1;
      result.removed_bytes += std::uint64_t(length) + 12;
      continue;
    }
    out.write(header);
    in.pass(std::uint64_t(length) + 4, "PNG chunk cut off", [&](std::string_view s) { out.write(s); });
    if (type == "IEND") break;
  }
  out.flush();
  result.removed_bytes += src.size() - in.position();
  return result;
}

// --- WebP -----------------------------------------------------------------------------------------

struct RiffChunk {
  std::string fourcc;
  std::uint64_t offset = 0;  // of the chunk header
  std::uint32_t size = 0;    // payload, without the pad byte
  std::uint64_t total() const { return 8 + std::uint64_t(size) + (size & 1); }
};

StripResult strip_webp(ByteSource& src, const ByteSink& sink) {
  char header[12];
  if (src.read_at(0, header, 12) != 12 || std::string_view(header, 4) != "RIFF" ||
      std::string_view(header + 8, 4) != "WEBP") {
    malformed("not a RIFF WEBP header");
  }
  const std::uint64_t riff_end =
      std::min<std::uint64_t>(8 + std::uint64_t(le32(std::string_view(header + 4, 4))), src.size());
  std::vector<RiffChunk> chunks;
  for (std::uint64_t at = 12; at + 8 <= riff_end;) {
    char ch[8];
    if (src.read_at(at, ch, 8) != 8) malformed("WebP chunk header cut off");
    RiffChunk chunk{std::string(ch, 4), at, le32(std::string_view(ch + 4, 4))};
    if (at + 8 + chunk.size > riff_end) malformed("WebP chunk runs past the end");
    at += chunk.total();
    chunks.push_back(std::move(chunk));
  }
  if (chunks.empty()) malformed("WebP without chunks");

  StripResult result;
  std::uint64_t riff_size = 4;
  for (const auto& c : chunks) {
    if (c.fourcc == "EXIF" || c.fourcc == "XMP ") {
      result.removed += 1;
      result.removed_bytes += c.total();
    } else {
      riff_size += c.total();
    }
  }
  // Metadata with no image beside it would strip to a WebP without chunks, which is itself malformed.
  if (result.removed == static_cast<int>(chunks.size())) malformed("WebP holds metadata and no image");
  if (riff_size > 0xFFFFFFFFu) malformed("WebP larger than RIFF allows");
  Writer out(sink);
  out.write("RIFF");
  out.write(le32_bytes(static_cast<std::uint32_t>(riff_size)));
  out.write("WEBP");
  std::vector<char> buf(kBuffer);
  for (const auto& c : chunks) {
    if (c.fourcc == "EXIF" || c.fourcc == "XMP ") continue;
    std::uint64_t at = c.offset;
    const std::uint64_t end = c.offset + c.total();
    const std::uint64_t payload = c.offset + 8;
    while (at < end) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(end - at, buf.size()));
      const std::size_t got = src.read_at(at, buf.data(), want);
      if (got == 0) {
        // Only the pad byte of the last chunk may be missing; write it as RIFF requires.
        if (end - at == 1 && (c.size & 1)) {
          out.put('\0');
          break;
        }
        malformed("WebP chunk cut off");
      }
      if (c.fourcc == "VP8X" && at <= payload && payload < at + got) {
        buf[payload - at] = static_cast<char>(buf[payload - at] & ~0x0C);  // EXIF (0x08) and XMP (0x04) flags
      }
      out.write(std::string_view(buf.data(), got));
      at += got;
    }
  }
  out.flush();
  if (src.size() > riff_end) result.removed_bytes += src.size() - riff_end;
  return result;
}

}  // namespace

std::size_t StringSource::read_at(std::uint64_t offset, char* buf, std::size_t n) {
  if (offset >= bytes_.size()) return 0;
  const std::size_t k = std::min<std::uint64_t>(n, bytes_.size() - offset);
  std::memcpy(buf, bytes_.data() + offset, k);
  return k;
}

FileSource::FileSource(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) throw_system_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    throw_system_error("cannot stat", path, e);
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t FileSource::read_at(std::uint64_t offset, char* buf, std::size_t n) {
  if (offset >= size_) return 0;
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
  std::size_t done = 0;
  while (done < n) {
    const std::size_t got = pread_some(fd_, buf + done, n - done, offset + done, path_);
    if (got == 0) break;
    done += got;
  }
  return done;
}

StripResult strip_metadata(std::string_view media_type, ByteSource& in, const ByteSink& out) {
  if (media_type == "image/jpeg") return strip_jpeg(in, out);
  if (media_type == "image/png") return strip_png(in, out);
  if (media_type == "image/webp") return strip_webp(in, out);
  std::vector<char> buf(kBuffer);
  for (std::uint64_t at = 0;;) {
    const std::size_t got = in.read_at(at, buf.data(), buf.size());
    if (got == 0) break;
    out(std::string_view(buf.data(), got));
    at += got;
  }
  return {};
}

std::string strip_metadata(std::string_view media_type, std::string_view bytes, StripResult* result) {
  StringSource src(bytes);
  std::string out;
  auto r = strip_metadata(media_type, src, [&](std::string_view s) { out.append(s); });
  if (result) *result = r;
  return out;
}

}  // namespace tyto::objects::detail
