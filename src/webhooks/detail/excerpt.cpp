#include "webhooks/detail/excerpt.hpp"

namespace tyto::webhooks::detail {
namespace {

// Length of the valid UTF-8 sequence at s[i] (overlongs, surrogates and values past U+10FFFF are
// invalid), or 0.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

std::string excerpt(std::string_view bytes, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    std::string_view piece;
    std::size_t step = 1;
    if (c < 0x80) {
      if (c >= 0x20 && c != 0x7f) {
        piece = bytes.substr(i, 1);
      } else if (c == '\t' || c == '\n' || c == '\r') {
        piece = bytes.substr(i, 1);
      }
    } else if (const auto n = sequence_length(bytes, i)) {
      piece = bytes.substr(i, n);
      step = n;
    } else {
      piece = kReplacement;
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += step;
  }
  return out;
}

}  // namespace tyto::webhooks::detail
