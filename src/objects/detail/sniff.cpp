#include "objects/detail/sniff.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

namespace tyto::objects::detail {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::uint8_t byte(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// ISO base media file format: [size]["ftyp"][major brand].
std::optional<std::string> sniff_bmff(std::string_view head) {
  if (head.size() < 12 || head.substr(4, 4) != "ftyp") return std::nullopt;
  const std::string_view brand = head.substr(8, 4);
  if (brand == "qt  ") return "video/quicktime";
  if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1") return "image/heic";
  if (brand == "avif" || brand == "avis") return "image/avif";
  return "video/mp4";
}

// An MPEG-1/2/2.5 audio frame header: 11 sync bits, a valid version, layer, bitrate and sample rate.
bool mpeg_audio_frame(std::string_view head) {
  if (head.size() < 4 || byte(head, 0) != 0xFF || (byte(head, 1) & 0xE0) != 0xE0) return false;
  const int version = (byte(head, 1) >> 3) & 3;
  const int layer = (byte(head, 1) >> 1) & 3;
  const int bitrate = byte(head, 2) >> 4;
  const int rate = (byte(head, 2) >> 2) & 3;
  return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3;
}

// Length of the UTF-8 sequence starting at s[i] if it is valid (a sequence cut off by the end of a
// prefix counts as valid), else 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const std::uint8_t c = byte(s, i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return s.size() - i;  // truncated by the prefix
    if ((byte(s, i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// UTF-8 text without NUL or control characters other than tab, line feed, carriage return, form feed.
bool is_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::uint8_t c = byte(s, i);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
    if (c == 0x7F) return false;
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string_view skip_space(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' || s.front() == '\f')) {
    s.remove_prefix(1);
  }
  return s;
}

// WHATWG MIME sniffing: the tags whose presence at the start makes a resource HTML.
bool looks_like_html(std::string_view s) {
  static constexpr std::array<std::string_view, 17> kTags = {
      "<!doctype html", "<html",  "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table", "<a",
      "<style",         "<title", "<b",    "<body",   "<br",     "<p",  "<!--"};
  for (auto tag : kTags) {
    if (s.size() <= tag.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < tag.size() && equal; ++i) {
      equal = std::tolower(static_cast<unsigned char>(s[i])) == tag[i];
    }
    if (!equal) continue;
    if (tag == "<!--") return true;
    const char after = s[tag.size()];
    if (after == ' ' || after == '>') return true;
  }
  return false;
}

// The first lines (at most 5 complete ones) split into the same number (> 1) of fields by one delimiter.
bool looks_like_csv(std::string_view s) {
  for (char delimiter : {',', ';', '\t'}) {
    int lines = 0;
    int fields = -1;
    bool consistent = true;
    std::string_view rest = s;
    while (consistent && lines < 5) {
      const auto eol = rest.find('\n');
      if (eol == std::string_view::npos && lines > 0) break;  // a cut-off last line proves nothing
      std::string_view line = rest.substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      int count = 1;
      bool quoted = false;
      for (char c : line) {
        if (c == '"') {
          quoted = !quoted;
        } else if (c == delimiter && !quoted) {
          ++count;
        }
      }
      if (fields < 0) fields = count;
      consistent = count == fields && count > 1;
      ++lines;
      if (eol == std::string_view::npos) break;
      rest.remove_prefix(eol + 1);
      if (rest.empty()) break;
    }
    if (consistent && fields > 1) return true;
  }
  return false;
}

}  // namespace

std::string sniff(std::string_view head, std::string_view declared) {
  if (starts_with(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts_with(head, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (head.size() >= 12 && starts_with(head, "RIFF")) {
    if (head.substr(8, 4) == "WEBP") return "image/webp";
    if (head.substr(8, 4) == "WAVE") return "audio/wav";
  }
  if (auto bmff = sniff_bmff(head)) return *bmff;
  if (starts_with(head, "OggS")) return "audio/ogg";
  if (starts_with(head, "fLaC")) return "audio/flac";
  if (starts_with(head, "ID3") || mpeg_audio_frame(head)) return "audio/mpeg";
  if (starts_with(head, "PK\x03\x04") || starts_with(head, "PK\x05\x06")) return "application/zip";

  std::string_view text = head;
  if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  if (text.empty() || !is_text(text)) return "application/octet-stream";
  const std::string_view start = skip_space(text);
  if (starts_with(start, "{") || starts_with(start, "[")) return "application/json";
  if (looks_like_html(start)) return "text/html";
  if (looks_like_csv(text) || declared == "text/csv") return "text/csv";
  return "text/plain";
}

}  // namespace tyto::objects::detail
