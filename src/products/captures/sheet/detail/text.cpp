#include "products/captures/sheet/detail/text.hpp"

#include <algorithm>
#include <cstdint>

namespace tyto::captures::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms, surrogates and code
// points above U+10FFFF are not).
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

// How many bytes one U+FFFD stands for at an invalid s[i]: a lead byte with the continuation bytes that follow it
// (a sequence cut short), or the single byte.
std::size_t invalid_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  const std::size_t expected = b0 >= 0xC2 && b0 <= 0xDF   ? 2
                               : b0 >= 0xE0 && b0 <= 0xEF ? 3
                               : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                                          : 1;
  std::size_t n = 1;
  while (n < expected && i + n < s.size() && (static_cast<std::uint8_t>(s[i + n]) & 0xC0) == 0x80) ++n;
  return n;
}

// Offsets of each code point's start in valid UTF-8, and the end.
std::vector<std::size_t> code_point_starts(std::string_view s) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size();) {
    starts.push_back(i);
    i += std::max<std::size_t>(1, sequence_length(s, i));
  }
  starts.push_back(s.size());
  return starts;
}

// At most the first 1,024 bytes of `word`, cut between code points: more than any line holds, so that measuring a
// very long word costs no more than measuring a line.
std::string_view head(std::string_view word) {
  if (word.size() <= 1024) return word;
  std::size_t end = 1024;
  while (end > 0 && (static_cast<std::uint8_t>(word[end]) & 0xC0) == 0x80) --end;
  return word.substr(0, end);
}

double word_width(cairo_t* cr, std::string_view word) { return text_width(cr, std::string(head(word))); }

// The longest prefix of `word` (valid UTF-8) that fits in `width`, preferring to end after punctuation (addresses
// and ids break better there than at the edge); 0 when not even one code point fits.
std::size_t fitting_prefix(cairo_t* cr, std::string_view word, double width) {
  word = head(word);
  const auto starts = code_point_starts(word);
  std::size_t lo = 0, hi = starts.size() - 1;  // counts of code points
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    if (text_width(cr, std::string(word.substr(0, starts[mid]))) <= width) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const std::size_t cut = starts[lo];
  const std::size_t punctuation = word.substr(0, cut).find_last_of("@.-/_:");
  if (punctuation != std::string_view::npos && punctuation >= cut / 2 && punctuation + 1 < cut) return punctuation + 1;
  return cut;
}

}  // namespace

Fonts::Fonts()
    : regular_(cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)),
      bold_(cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)) {}

Fonts::~Fonts() {
  cairo_font_face_destroy(regular_);
  cairo_font_face_destroy(bold_);
}

void Fonts::use(cairo_t* cr, Font font) const {
  cairo_set_font_face(cr, font.bold ? bold_ : regular_);
  cairo_set_font_size(cr, font.size);
}

std::string clean_text(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_length(text, i);
    if (n == 0) {
      out += kReplacement;
      i += invalid_length(text, i);
      continue;
    }
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      out.push_back(keep_newlines ? '\n' : ' ');
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (n == 1 && (static_cast<std::uint8_t>(c) < 0x20 || c == 0x7F)) {
      out.push_back(' ');
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

double text_width(cairo_t* cr, const std::string& text) {
  if (text.empty()) return 0;
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  return extents.x_advance;
}

std::vector<std::string> wrap_text(cairo_t* cr, std::string_view text, double width, std::size_t max_lines) {
  std::vector<std::string> lines;
  const double space = text_width(cr, " ");
  std::size_t paragraph_start = 0;
  // Lines past max_lines + 1 are never shown: stop there.
  while (paragraph_start <= text.size() && lines.size() <= max_lines) {
    std::size_t paragraph_end = text.find('\n', paragraph_start);
    if (paragraph_end == std::string_view::npos) paragraph_end = text.size();
    std::string_view paragraph = text.substr(paragraph_start, paragraph_end - paragraph_start);
    std::string line;
    double line_width = 0;
    bool line_open = false;
    std::size_t pos = 0;
    while (pos < paragraph.size() && lines.size() <= max_lines) {
      if (paragraph[pos] == ' ') {
        ++pos;
        continue;
      }
      std::size_t end = paragraph.find(' ', pos);
      if (end == std::string_view::npos) end = paragraph.size();
      std::string_view word = paragraph.substr(pos, end - pos);
      pos = end;
      double width_of_word = word_width(cr, word);
      if (line_open && line_width + space + width_of_word <= width) {
        line += ' ';
        line += word;
        line_width += space + width_of_word;
        continue;
      }
      if (line_open && width_of_word > width) {
        // A word that must be cut anyway starts on the current line.
        const std::size_t cut = fitting_prefix(cr, word, width - line_width - space);
        if (cut > 0) {
          line += ' ';
          line += word.substr(0, cut);
          word.remove_prefix(cut);
          width_of_word = word_width(cr, word);
        }
      }
      if (line_open) lines.push_back(std::move(line));
      // A word wider than the line is cut between code points (at least one a line).
      while (width_of_word > width && lines.size() <= max_lines) {
        std::size_t cut = fitting_prefix(cr, word, width);
        if (cut == 0) cut = code_point_starts(head(word))[1];
        lines.emplace_back(word.substr(0, cut));
        word.remove_prefix(cut);
        width_of_word = word_width(cr, word);
      }
      line = std::string(word);
      line_width = width_of_word;
      line_open = true;
    }
    lines.push_back(line_open ? std::move(line) : std::string());
    paragraph_start = paragraph_end + 1;
  }
  // Trailing empty lines (a note ending in a line break) print nothing.
  while (lines.size() > 1 && lines.back().empty()) lines.pop_back();
  if (lines.size() > max_lines) {
    lines.resize(max_lines);
    // fit_text keeps the "…" whether or not the line had to be shortened.
    lines.back() = fit_text(cr, lines.back() + std::string(kEllipsis), width);
  }
  return lines;
}

std::string fit_text(cairo_t* cr, const std::string& whole, double width) {
  if (whole.size() <= 1024 && text_width(cr, whole) <= width) return whole;
  const std::string text(head(whole));
  const std::string ellipsis(kEllipsis);
  const double room = width - text_width(cr, ellipsis);
  if (room <= 0) return ellipsis;
  const auto starts = code_point_starts(text);
  std::size_t lo = 0, hi = starts.size() - 1;
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    if (text_width(cr, text.substr(0, starts[mid])) <= room) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return text.substr(0, starts[lo]) + ellipsis;
}

void show_text(cairo_t* cr, double x, double y, const std::string& text) {
  if (text.empty()) return;
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, text.c_str());
}

}  // namespace tyto::captures::detail
