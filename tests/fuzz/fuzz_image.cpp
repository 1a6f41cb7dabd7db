// Uploaded bytes through content sniffing and metadata stripping (the catalog sniffs an upload, then strips
// JPEG, PNG and WebP). Each input is stripped as the type it sniffs as and as each image type.
// Asserts: sniff names a documented type; strip throws nothing but tyto::Error(kValidationFailed); its
// output is at most the input plus one pad byte, sniffs as the same image type, and strips to itself
// with nothing more removed (stripping is idempotent), also when a large kept block moves the rest of the
// image across the edges of the stripper's 64 KiB buffers.
#include "fuzz_check.hpp"
#include "objects/detail/sniff.hpp"
#include "objects/detail/strip.hpp"
#include "tyto/core/error.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <string>

namespace {

using tyto::objects::detail::StripResult;

constexpr std::string_view kSniffed[] = {"image/jpeg",
                                         "image/png",
                                         "image/webp",
                                         "video/mp4",
                                         "video/quicktime",
                                         "image/heic",
                                         "image/avif",
                                         "audio/wav",
                                         "audio/mpeg",
                                         "audio/ogg",
                                         "audio/flac",
                                         "application/zip",
                                         "text/html",
                                         "text/csv",
                                         "text/plain",
                                         "application/json",
                                         "application/octet-stream"};

constexpr std::array<std::string_view, 3> kImages = {"image/jpeg", "image/png", "image/webp"};

// Strips and checks the output; the output, or nullopt when the image is malformed.
std::optional<std::string> check_strip(std::string_view media_type, std::string_view bytes) {
  StripResult result;
  std::string out;
  try {
    out = tyto::objects::detail::strip_metadata(media_type, bytes, &result);
  } catch (const tyto::Error& e) {
    FUZZ_CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    return std::nullopt;
  }
  FUZZ_CHECK(out.size() <= bytes.size() + 1);  // + the pad byte a cut-off odd WebP chunk gets
  FUZZ_CHECK(result.removed_bytes <= bytes.size());
  FUZZ_CHECK(result.removed >= 0);
  if (std::find(kImages.begin(), kImages.end(), media_type) == kImages.end()) {
    FUZZ_CHECK(out == bytes);
    return out;
  }
  FUZZ_CHECK(tyto::objects::detail::sniff(out) == media_type);
  StripResult second;
  std::string again;
  try {
    again = tyto::objects::detail::strip_metadata(media_type, out, &second);
  } catch (const tyto::Error& e) {
    std::fprintf(stderr, "stripped output is malformed: %s\n", e.what());
    FUZZ_CHECK(!"stripped output strips again");
  }
  FUZZ_CHECK(again == out);
  FUZZ_CHECK(second.removed == 0);
  FUZZ_CHECK(second.removed_bytes == 0);
  return out;
}

std::string be32_bytes(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string le32_bytes(std::uint32_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
}

std::uint32_t le32(std::string_view s) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[3])) << 24;
}

// Stripping reads and writes through 64 KiB buffers. Small inputs never cross their edges, so the image is
// stripped again with a kept block of about 64 KiB inserted early (a JFIF APP0 segment, an unknown PNG
// chunk, a WebP JUNK chunk), which moves the rest across the edge at an offset the input's last byte picks:
// the output must be the first output with the same block in the same place.
void check_shifted(std::string_view media_type, std::string_view bytes, const std::string& stripped) {
  const std::size_t shift = static_cast<unsigned char>(bytes.back()) % 128;
  std::string shifted, expected;
  if (media_type == "image/jpeg") {
    const std::size_t payload = 65533 - shift;  // a segment's length field counts itself and stops at 65535
    std::string segment = "\xFF\xE0" + be32_bytes(static_cast<std::uint32_t>(payload + 2)).substr(2) + "JFIF";
    segment.append(1, '\0');
    segment.append(payload - 5, 'j');
    shifted = std::string(bytes.substr(0, 2)) + segment + std::string(bytes.substr(2));
    expected = stripped.substr(0, 2) + segment + stripped.substr(2);
  } else if (media_type == "image/png") {
    constexpr std::size_t kAfterHeader = 8 + 8 + 13 + 4;  // signature, then IHDR with its 13 bytes and CRC
    if (bytes.size() < kAfterHeader || bytes.substr(8, 8) != std::string_view("\0\0\0\x0DIHDR", 8)) return;
    const std::size_t length = 65536 - shift;
    std::string chunk = be32_bytes(static_cast<std::uint32_t>(length)) + "teSt" + std::string(length, 't') + "CRC!";
    shifted = std::string(bytes.substr(0, kAfterHeader)) + chunk + std::string(bytes.substr(kAfterHeader));
    expected = stripped.substr(0, kAfterHeader) + chunk + stripped.substr(kAfterHeader);
  } else {
    const std::size_t length = 65536 - 2 * (shift / 2);  // even: no pad byte
    const std::uint64_t riff = le32(bytes.substr(4, 4));
    if (riff + 8 + length > 0xFFFFFFFFu) return;
    const std::string chunk = "JUNK" + le32_bytes(static_cast<std::uint32_t>(length)) + std::string(length, 'u');
    shifted = "RIFF" + le32_bytes(static_cast<std::uint32_t>(riff + 8 + length)) + "WEBP" + chunk +
              std::string(bytes.substr(12));
    expected = "RIFF" + le32_bytes(le32(std::string_view(stripped).substr(4, 4)) + 8 + length) + "WEBP" + chunk +
               stripped.substr(12);
  }
  FUZZ_CHECK(tyto::objects::detail::strip_metadata(media_type, shifted) == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = tyto::fuzz::as_text(data, size);
  const std::string sniffed = tyto::objects::detail::sniff(bytes.substr(0, tyto::objects::detail::kSniffBytes));
  FUZZ_CHECK(std::find(std::begin(kSniffed), std::end(kSniffed), sniffed) != std::end(kSniffed));
  FUZZ_CHECK(tyto::objects::detail::sniff(bytes.substr(0, tyto::objects::detail::kSniffBytes), "text/csv") ==
             (sniffed == "text/plain" ? "text/csv" : sniffed));
  if (const auto stripped = check_strip(sniffed, bytes)) {
    if (std::find(kImages.begin(), kImages.end(), sniffed) != kImages.end()) check_shifted(sniffed, bytes, *stripped);
  }
  for (const std::string_view type : kImages) {
    if (type != sniffed) check_strip(type, bytes);
  }
  return 0;
}
