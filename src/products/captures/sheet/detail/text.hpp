// Text on a cairo context for the measurement sheet: valid UTF-8 only (cairo refuses anything else and stops
// drawing), measured with the toy font API, wrapped to a width.
#pragma once

#include <cairo.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::captures::detail {

struct Font {
  double size = 9;
  bool bold = false;
};

// The sheet's two faces (DejaVu Sans, through fontconfig), owned for one rendering.
class Fonts {
 public:
  Fonts();
  ~Fonts();
  Fonts(const Fonts&) = delete;
  Fonts& operator=(const Fonts&) = delete;
  // Makes `font` the context's current font.
  void use(cairo_t* cr, Font font) const;

 private:
  cairo_font_face_t* regular_;
  cairo_font_face_t* bold_;
};

// `text` as valid UTF-8: invalid sequences become U+FFFD; tabs and other control characters become spaces,
// line breaks (\n, \r\n, \r) become \n when keep_newlines and spaces otherwise.
std::string clean_text(std::string_view text, bool keep_newlines = false);

// Advance width of valid UTF-8 text in the current font.
double text_width(cairo_t* cr, const std::string& text);

// Lines of at most `width` points in the current font: breaks at spaces and \n, and inside a word longer than a
// line (between code points). More than max_lines lines are cut, the last ending in "…". Input must be clean_text.
std::vector<std::string> wrap_text(cairo_t* cr, std::string_view text, double width, std::size_t max_lines);

// One line of at most `width` points: `text` itself, or its start followed by "…".
std::string fit_text(cairo_t* cr, const std::string& text, double width);

// Draws valid UTF-8 with its baseline at y.
void show_text(cairo_t* cr, double x, double y, const std::string& text);

}  // namespace tyto::captures::detail
