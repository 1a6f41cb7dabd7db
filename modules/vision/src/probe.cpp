// Header readers: the width and height an encoded image declares, read without decoding it.
#include "detail/exif.hpp"
#include "tyto/vision/image.hpp"

#include <cctype>
#include <cstdint>
#include <optional>

namespace tyto::vision {
namespace {

struct Reader {
  std::string_view b;
  bool has(std::size_t at, std::size_t n) const { return at <= b.size() && n <= b.size() - at; }
  std::uint32_t u8(std::size_t at) const { return static_cast<std::uint8_t>(b[at]); }
  std::uint32_t be16(std::size_t at) const { return (u8(at) << 8) | u8(at + 1); }
  std::uint32_t be32(std::size_t at) const { return (be16(at) << 16) | be16(at + 2); }
  std::uint32_t le(std::size_t at, int n) const {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | u8(at + i);
    return v;
  }
  bool starts(std::string_view magic) const { return b.substr(0, magic.size()) == magic; }
};

ImageInfo sized(std::string format, std::int64_t w, std::int64_t h) {
  if (w <= 0 || h <= 0 || w > (1 << 30) || h > (1 << 30)) return {std::move(format), 0, 0};
  return {std::move(format), static_cast<int>(w), static_cast<int>(h)};
}

// The first SOFn marker's frame size (SOF0..SOF15 less DHT, JPG and DAC).
ImageInfo probe_jpeg(const Reader& r) {
  std::size_t at = 2;
  while (r.has(at, 4)) {
    if (r.u8(at) != 0xFF) return {"jpeg", 0, 0};
    const std::uint32_t marker = r.u8(at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;
      continue;
    }
    const std::uint32_t length = r.be16(at + 2);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof && r.has(at + 4, 5)) return sized("jpeg", r.be16(at + 7), r.be16(at + 5));
    if (length < 2 || marker == 0xDA || marker == 0xD9) break;
    at += 2 + length;
  }
  return {"jpeg", 0, 0};
}

ImageInfo probe_webp(const Reader& r) {
  if (!r.has(12, 18)) return {"webp", 0, 0};
  const std::string_view chunk = r.b.substr(12, 4);
  if (chunk == "VP8X") return sized("webp", r.le(24, 3) + 1, r.le(27, 3) + 1);
  if (chunk == "VP8 ") return sized("webp", r.le(26, 2) & 0x3FFF, r.le(28, 2) & 0x3FFF);
  if (chunk == "VP8L" && r.has(21, 4)) {
    const std::uint32_t bits = r.le(21, 4);
    return sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  return {"webp", 0, 0};
}

// Tags 256 (ImageWidth) and 257 (ImageLength) of the first IFD.
ImageInfo probe_tiff(const Reader& r) {
  const bool little = r.starts("II");
  auto u16 = [&](std::size_t at) { return little ? r.le(at, 2) : r.be16(at); };
  auto u32 = [&](std::size_t at) { return little ? r.le(at, 4) : r.be32(at); };
  if (!r.has(4, 4)) return {"tiff", 0, 0};
  const std::size_t ifd = u32(4);
  if (!r.has(ifd, 2)) return {"tiff", 0, 0};
  const std::uint32_t count = u16(ifd);
  std::int64_t w = 0, h = 0;
  for (std::uint32_t i = 0; i < count && r.has(ifd + 2 + 12 * i, 12); ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    const std::int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) w = value;
    if (tag == 257) h = value;
  }
  return sized("tiff", w, h);
}

// P1..P6 and PF/Pf: three (two for PBM and PFM) whitespace-separated numbers after the magic, with
// '#' comments; P7 (PAM): WIDTH and HEIGHT lines.
ImageInfo probe_pnm(const Reader& r) {
  const std::string_view head = r.b.substr(0, 4096);
  std::size_t at = 2;
  if (head[1] == '7') {
    std::int64_t w = 0, h = 0;
    for (std::string_view key : {"WIDTH", "HEIGHT"}) {
      const auto pos = head.find(std::string("\n") + std::string(key));
      if (pos == std::string_view::npos) return {"pnm", 0, 0};
      std::int64_t v = 0;
      for (std::size_t i = pos + key.size() + 1; i < head.size() && (head[i] == ' ' || std::isdigit(head[i])); ++i)
        if (head[i] != ' ') v = std::min<std::int64_t>(v * 10 + (head[i] - '0'), std::int64_t{1} << 40);
      (key == "WIDTH" ? w : h) = v;
    }
    return sized("pnm", w, h);
  }
  std::int64_t numbers[2] = {0, 0};
  for (auto& n : numbers) {
    while (at < head.size() && (std::isspace(static_cast<unsigned char>(head[at])) || head[at] == '#')) {
      if (head[at] == '#')
        while (at < head.size() && head[at] != '\n') ++at;
      else
        ++at;
    }
    if (at >= head.size() || !std::isdigit(static_cast<unsigned char>(head[at]))) return {"pnm", 0, 0};
    for (; at < head.size() && std::isdigit(static_cast<unsigned char>(head[at])); ++at)
      n = std::min<std::int64_t>(n * 10 + (head[at] - '0'), std::int64_t{1} << 40);
  }
  return sized("pnm", numbers[0], numbers[1]);
}

// Radiance HDR: header lines up to an empty one, then "-Y <height> +X <width>" (or another orientation).
ImageInfo probe_hdr(const Reader& r) {
  const std::string_view head = r.b.substr(0, 8192);
  const auto end = head.find("\n\n");
  if (end == std::string_view::npos) return {"hdr", 0, 0};
  const std::string_view line = head.substr(end + 2, head.find('\n', end + 2) - (end + 2));
  std::int64_t values[2] = {0, 0};
  char axes[2] = {0, 0};
  std::size_t at = 0;
  for (int i = 0; i < 2; ++i) {
    while (at < line.size() && line[at] == ' ') ++at;
    if (at + 2 > line.size() || (line[at] != '-' && line[at] != '+')) return {"hdr", 0, 0};
    axes[i] = line[at + 1];
    at += 2;
    while (at < line.size() && line[at] == ' ') ++at;
    for (; at < line.size() && std::isdigit(static_cast<unsigned char>(line[at])); ++at)
      values[i] = std::min<std::int64_t>(values[i] * 10 + (line[at] - '0'), std::int64_t{1} << 40);
  }
  return axes[0] == 'Y' ? sized("hdr", values[1], values[0]) : sized("hdr", values[0], values[1]);
}

// Tag 0x0112 of IFD0 in the TIFF structure after "Exif\0\0".
int orientation_in_exif(const Reader& r, std::size_t tiff, std::size_t end) {
  if (end > r.b.size() || !r.has(tiff, 8) || end < tiff + 8) return 1;
  const bool little = r.b.substr(tiff, 2) == "II";
  auto u16 = [&](std::size_t at) { return little ? r.le(at, 2) : r.be16(at); };
  auto u32 = [&](std::size_t at) { return little ? r.le(at, 4) : r.be32(at); };
  const std::size_t ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const std::uint32_t count = u16(ifd);
  for (std::uint32_t i = 0; i < count && ifd + 2 + 12 * (i + 1) <= end; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (u16(e) == 0x0112) {
      const std::uint32_t value = u16(e + 8);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

}  // namespace

namespace detail {

int exif_orientation(std::string_view jpeg) noexcept {
  const Reader r{jpeg};
  if (!r.starts("\xFF\xD8")) return 1;
  std::size_t at = 2;
  while (r.has(at, 4) && r.u8(at) == 0xFF) {
    const std::uint32_t marker = r.u8(at + 1), length = r.be16(at + 2);
    if (marker == 0xDA || marker == 0xD9 || length < 2) break;
    if (marker == 0xE1 && r.has(at + 4, 6) && r.b.substr(at + 4, 6) == std::string_view("Exif\0\0", 6))
      return orientation_in_exif(r, at + 10, at + 2 + length);
    at += 2 + length;
  }
  return 1;
}

}  // namespace detail

ImageInfo probe(std::string_view bytes) {
  const Reader r{bytes};
  if (r.starts("\xFF\xD8\xFF")) return probe_jpeg(r);
  if (r.starts("\x89PNG\r\n\x1A\n"))
    return r.has(16, 8) && r.b.substr(12, 4) == "IHDR" ? sized("png", r.be32(16), r.be32(20)) : ImageInfo{"png", 0, 0};
  if (r.starts("RIFF") && r.has(8, 4) && r.b.substr(8, 4) == "WEBP") return probe_webp(r);
  if (r.starts("BM") && r.has(18, 8)) {
    const auto h = static_cast<std::int32_t>(r.le(22, 4));
    return sized("bmp", static_cast<std::int32_t>(r.le(18, 4)), h < 0 ? -static_cast<std::int64_t>(h) : h);
  }
  if (r.starts(std::string_view("II*\0", 4)) || r.starts(std::string_view("MM\0*", 4))) return probe_tiff(r);
  if (r.b.size() >= 3 && r.b[0] == 'P' && ((r.b[1] >= '1' && r.b[1] <= '7') || r.b[1] == 'F' || r.b[1] == 'f') &&
      std::isspace(static_cast<unsigned char>(r.b[2])))
    return probe_pnm(r);
  if (r.starts("\x59\xA6\x6A\x95") && r.has(4, 8)) return sized("sunras", r.be32(4), r.be32(8));
  if (r.starts("#?RADIANCE") || r.starts("#?RGBE")) return probe_hdr(r);
  return {};
}

}  // namespace tyto::vision
