// The measurement sheet as an A4 PDF drawn with cairo. The sheet is laid out first as a list of blocks of known
// height (the header, headings, the silhouettes, one block per table row), then paginated, then drawn, so that
// every page's footer knows the page count and a table that continues repeats its header.
#include "products/captures/sheet/detail/silhouette.hpp"
#include "products/captures/sheet/detail/text.hpp"
#include "products/captures/sheet/sheet.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace tyto::captures {
namespace {

using detail::clean_text;
using detail::fit_text;
using detail::Font;
using detail::Fonts;
using detail::show_text;
using detail::text_width;
using detail::wrap_text;

constexpr double kPageWidth = 595.276, kPageHeight = 841.890;  // A4 in points
constexpr double kMargin = 42;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kTop = kMargin;
constexpr double kBottom = kPageHeight - kMargin - 16;  // the footer lies below
constexpr double kCellPadding = 4;
constexpr std::size_t kMaxCellLines = 24;  // so that no row is taller than a page

struct Colour {
  double r, g, b;
};
constexpr Font kSmallFont{7, false};
constexpr Colour kInk = {0.1, 0.1, 0.1};
constexpr Colour kGrey = {0.42, 0.42, 0.42};
constexpr Colour kRule = {0.85, 0.85, 0.85};
constexpr Colour kGood = {0.18, 0.55, 0.27};
constexpr Colour kFair = {0.85, 0.55, 0.05};
constexpr Colour kPoor = {0.8, 0.15, 0.12};

void set(cairo_t* cr, Colour c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

double line_height(Font font) { return font.size * 1.25; }

// Baseline of the first line of text in `font` whose line box starts at y.
double first_baseline(double y, Font font) { return y + font.size * 0.95; }

// A piece of the sheet of known height. A table row names its table's header block, drawn again above the row
// when the row starts a page.
struct Block {
  double height = 0;
  std::function<void(cairo_t*, double y, bool continued)> draw;
  int header = -1;
  bool keep_with_next = false;
};

struct Placed {
  std::size_t block;
  double y;
  bool continued;
};
using Page = std::vector<Placed>;

std::vector<Page> paginate(const std::vector<Block>& blocks) {
  std::vector<Page> pages(1);
  double y = kTop;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    double needed = blocks[i].height;  // with the blocks it keeps with (a heading and a table's first row)
    for (std::size_t j = i; blocks[j].keep_with_next && j + 1 < blocks.size(); ++j) needed += blocks[j + 1].height;
    if (y + needed > kBottom && !pages.back().empty()) {
      pages.emplace_back();
      y = kTop;
      if (blocks[i].header >= 0) {
        pages.back().push_back({static_cast<std::size_t>(blocks[i].header), y, true});
        y += blocks[static_cast<std::size_t>(blocks[i].header)].height;
      }
    }
    pages.back().push_back({i, y, false});
    y += blocks[i].height;
  }
  return pages;
}

std::string length_text(double cm, const std::string& units) {
  if (!std::isfinite(cm)) return "n/a";
  if (units == "mm") return fmt::format("{:.0f} mm", cm * 10);
  if (units == "in") return fmt::format("{:.2f} in", cm / 2.54);
  return fmt::format("{:.1f} cm", cm);
}

std::string percent_text(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  return fmt::format("{:.0f}%", std::clamp(fraction, 0.0, 1.0) * 100);
}

// "2026-12-02T10:15:30.5Z" as "2026-12-02 10:15 UTC" (other zones as their offset); anything else as it is.
std::string date_text(const std::string& rfc3339) {
  const auto& s = rfc3339;
  if (s.size() < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':') {
    return s;
  }
  std::size_t zone = 16;
  while (zone < s.size() && s[zone] != 'Z' && s[zone] != 'z' && s[zone] != '+' && s[zone] != '-') ++zone;
  const std::string offset = zone < s.size() ? s.substr(zone) : "";
  return s.substr(0, 10) + " " + s.substr(11, 5) +
         (offset == "Z" || offset == "z" ? " UTC"
          : offset.empty()               ? ""
                                         : " " + offset);
}

// A small rounded label in white on a colour ("edited", "needs review").
double draw_badge(cairo_t* cr, const Fonts& fonts, double x, double y, const std::string& text, Colour colour) {
  fonts.use(cr, {6.5, true});
  const double w = text_width(cr, text) + 6;
  set(cr, colour);
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + 2, y + 2, 2, M_PI, 1.5 * M_PI);
  cairo_arc(cr, x + w - 2, y + 2, 2, 1.5 * M_PI, 2 * M_PI);
  cairo_arc(cr, x + w - 2, y + 9 - 2, 2, 0, 0.5 * M_PI);
  cairo_arc(cr, x + 2, y + 9 - 2, 2, 0.5 * M_PI, M_PI);
  cairo_close_path(cr);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  show_text(cr, x + 3, y + 6.8, text);
  return w;
}

Colour confidence_colour(double c) { return c >= 0.8 ? kGood : c >= 0.5 ? kFair : kPoor; }

void draw_bar(cairo_t* cr, double x, double y, double width, double fraction) {
  cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
  cairo_rectangle(cr, x, y, width, 4.5);
  cairo_fill(cr);
  if (!std::isfinite(fraction)) return;
  set(cr, confidence_colour(fraction));
  cairo_rectangle(cr, x, y, width * std::clamp(fraction, 0.0, 1.0), 4.5);
  cairo_fill(cr);
}

void draw_lines(cairo_t* cr, const Fonts& fonts, Font font, Colour colour, double x, double y,
                const std::vector<std::string>& lines) {
  fonts.use(cr, font);
  set(cr, colour);
  double baseline = first_baseline(y, font);
  for (const auto& line : lines) {
    show_text(cr, x, baseline, line);
    baseline += line_height(font);
  }
}

void draw_rule(cairo_t* cr, double y, Colour colour = kRule, double width = 0.5) {
  set(cr, colour);
  cairo_set_line_width(cr, width);
  cairo_move_to(cr, kMargin, y);
  cairo_line_to(cr, kMargin + kContentWidth, y);
  cairo_stroke(cr);
}

// Lays the sheet out on one cairo context (text is measured in the fonts it is drawn in).
class Layout {
 public:
  Layout(cairo_t* cr, const Fonts& fonts, const Sheet& sheet) : cr_(cr), fonts_(fonts), sheet_(sheet) {}

  std::vector<Block> build() {
    add_header();
    add_silhouettes();
    add_measurements();
    add_history();
    return std::move(blocks_);
  }

 private:
  std::vector<std::string> wrap(std::string_view text, Font font, double width, std::size_t max_lines = kMaxCellLines,
                                bool keep_newlines = false) {
    fonts_.use(cr_, font);
    return wrap_text(cr_, clean_text(text, keep_newlines), width, max_lines);
  }

  int add(Block block) {
    blocks_.push_back(std::move(block));
    return static_cast<int>(blocks_.size() - 1);
  }

  void add_heading(const std::string& text) {
    add({24,
         [this, text](cairo_t* cr, double y, bool) {
           fonts_.use(cr, {11, true});
           set(cr, kInk);
           show_text(cr, kMargin, y + 18, text);
         },
         -1, true});
  }

  void add_note(const std::string& text) {
    add({18, [this, text](cairo_t* cr, double y, bool) {
           fonts_.use(cr, {8.5, false});
           set(cr, kGrey);
           show_text(cr, kMargin, y + 11, text);
         }});
  }

  // The title, then two columns of facts: the capture's, and its approval and quality.
  void add_header() {
    struct Fact {
      std::string key;
      std::vector<std::string> lines;
      Colour colour = kInk;
      bool bold = false;
      double bar = -1;  // a confidence bar after the value
    };
    constexpr double kKeyWidth = 70, kColumnWidth = kContentWidth / 2 - 8;
    static constexpr Font kValueFont{9, false};
    const auto fact = [&](std::string key, const std::string& value) {
      return Fact{std::move(key), wrap(value, kValueFont, kColumnWidth - kKeyWidth, 3)};
    };
    std::vector<Fact> left = {fact("Capture", sheet_.capture_id), fact("Customer", sheet_.customer),
                              fact("Captured", date_text(sheet_.created_at))};
    std::vector<Fact> right;
    if (sheet_.approved_by.empty() && sheet_.approved_at.empty()) {
      right.push_back(fact("Approved", "not yet"));
      right.back().colour = kGrey;
    } else {
      right.push_back(fact(
          "Approved", sheet_.approved_by + (sheet_.approved_at.empty() ? "" : ", ") + date_text(sheet_.approved_at)));
    }
    right.push_back(fact("Confidence", percent_text(sheet_.overall_confidence)));
    right.back().bar = sheet_.overall_confidence;
    right.push_back(fact("Review", sheet_.needs_review ? "Needs review before cutting" : "Not needed"));
    if (sheet_.needs_review) right.back().colour = kPoor, right.back().bold = true;
    if (!sheet_.skin_summary.empty()) left.push_back(fact("Skin tone", sheet_.skin_summary));
    left.push_back(fact("Units", sheet_.units));

    const auto column_height = [](const std::vector<Fact>& facts) {
      double h = 0;
      for (const auto& f : facts) h += std::max<std::size_t>(1, f.lines.size()) * line_height(kValueFont) + 3;
      return h;
    };
    constexpr double kTitleHeight = 34;
    const double height = kTitleHeight + std::max(column_height(left), column_height(right)) + 8;
    add({height, [this, left, right, kTitleHeight](cairo_t* cr, double y, bool) {
           fonts_.use(cr, {18, true});
           set(cr, kInk);
           show_text(cr, kMargin, y + 18, "Body measurements");
           fonts_.use(cr, {9, false});
           set(cr, kGrey);
           const std::string tenant = fit_text(cr, clean_text(sheet_.tenant_name), kContentWidth / 2);
           show_text(cr, kMargin + kContentWidth - text_width(cr, tenant), y + 18, tenant);
           draw_rule(cr, y + 26, kInk, 0.8);
           for (const auto* column : {&left, &right}) {
             const double x = column == &left ? kMargin : kMargin + kContentWidth / 2 + 8;
             double row_y = y + kTitleHeight;
             for (const auto& f : *column) {
               fonts_.use(cr, {7.5, false});
               set(cr, kGrey);
               show_text(cr, x, first_baseline(row_y, kValueFont), f.key);
               draw_lines(cr, fonts_, {kValueFont.size, f.bold}, f.colour, x + kKeyWidth, row_y, f.lines);
               if (f.bar >= 0 || std::isnan(f.bar)) {
                 fonts_.use(cr, kValueFont);
                 const double after = x + kKeyWidth + text_width(cr, f.lines.empty() ? "" : f.lines.front()) + 6;
                 draw_bar(cr, after, row_y + 3.5, 60, f.bar);
               }
               row_y += std::max<std::size_t>(1, f.lines.size()) * line_height(kValueFont) + 3;
             }
           }
         }});
  }

  void add_silhouettes() {
    std::vector<std::pair<const SheetSilhouette*, std::string>> views;
    if (sheet_.front) views.emplace_back(&*sheet_.front, sheet_.front->title.empty() ? "Front" : sheet_.front->title);
    if (sheet_.side) views.emplace_back(&*sheet_.side, sheet_.side->title.empty() ? "Side" : sheet_.side->title);
    if (views.empty()) return;
    constexpr double kGap = 16, kBoxHeight = 250;
    const double box_width = (kContentWidth - kGap) / 2;
    std::vector<const SheetSilhouette*> all;
    for (const auto& [s, title] : views) all.push_back(s);
    const double pt_per_mm = detail::common_scale(all, box_width, kBoxHeight);
    add_heading("Silhouettes");
    add({kBoxHeight + detail::kSilhouetteCaptionHeight + 6,
         [this, views, box_width, pt_per_mm](cairo_t* cr, double y, bool) {
           for (std::size_t i = 0; i < views.size(); ++i) {
             detail::draw_silhouette(cr, fonts_, *views[i].first, views[i].second, kMargin + i * (box_width + kGap),
                                     y + 2, box_width, kBoxHeight, pt_per_mm, sheet_.units);
           }
         }});
  }

  void add_measurements() {
    // Columns: measurement and definition, value ± uncertainty, confidence, edit.
    static constexpr double kX[] = {0, 212, 330, 418};
    constexpr double kLabelWidth = 204, kValueWidth = 112, kEditWidth = kContentWidth - 418;
    static constexpr Font kLabelFont{8.5, true}, kDefinitionFont{6.8, false}, kValueFont{8.5, false};
    add_heading(fmt::format("Measurements ({})", sheet_.measurements.size()));
    if (sheet_.measurements.empty()) {
      blocks_.back().keep_with_next = false;
      add_note("No measurements.");
      return;
    }
    const int header =
        add({16,
             [this](cairo_t* cr, double y, bool continued) {
               fonts_.use(cr, {7, true});
               set(cr, kGrey);
               show_text(cr, kMargin + kX[0], y + 10, continued ? "Measurement (continued)" : "Measurement");
               show_text(cr, kMargin + kX[1], y + 10, "Value");
               show_text(cr, kMargin + kX[2], y + 10, "Confidence");
               show_text(cr, kMargin + kX[3], y + 10, "Edit");
               draw_rule(cr, y + 14, kGrey);
             },
             -1, true});
    for (const auto& m : sheet_.measurements) {
      const auto label = wrap(m.label.empty() ? m.name : m.label, kLabelFont, kLabelWidth, 3);
      const auto definition = wrap(m.definition, kDefinitionFont, kLabelWidth);
      const bool has_definition = !(definition.size() == 1 && definition[0].empty());
      fonts_.use(cr_, kValueFont);
      const std::string value = fit_text(
          cr_, length_text(m.value_cm, sheet_.units) + " \u00B1 " + length_text(m.uncertainty_cm, sheet_.units),
          kValueWidth);
      fonts_.use(cr_, kSmallFont);
      const std::string original =
          m.original_cm ? fit_text(cr_, "was " + length_text(*m.original_cm, sheet_.units), kEditWidth) : std::string();
      const double text_height = label.size() * line_height(kLabelFont) +
                                 (has_definition ? definition.size() * line_height(kDefinitionFont) + 1 : 0);
      const double height = std::max(text_height, m.edited ? 22.0 : 12.0) + 2 * kCellPadding;
      add({height,
           [this, label, definition, has_definition, value, original, height, &m](cairo_t* cr, double y, bool) {
             const double top = y + kCellPadding;
             draw_lines(cr, fonts_, kLabelFont, kInk, kMargin + kX[0], top, label);
             if (has_definition) {
               draw_lines(cr, fonts_, kDefinitionFont, kGrey, kMargin + kX[0],
                          top + label.size() * line_height(kLabelFont) + 1, definition);
             }
             draw_lines(cr, fonts_, kValueFont, kInk, kMargin + kX[1], top, {value});
             draw_lines(cr, fonts_, kValueFont, kInk, kMargin + kX[2], top, {percent_text(m.confidence)});
             draw_bar(cr, kMargin + kX[2] + 30, top + 3, 50, m.confidence);
             if (m.edited) {
               draw_badge(cr, fonts_, kMargin + kX[3], top, "edited", kFair);
               if (!original.empty()) draw_lines(cr, fonts_, kSmallFont, kGrey, kMargin + kX[3], top + 11, {original});
             }
             draw_rule(cr, y + height);
           },
           header});
    }
  }

  void add_history() {
    // Columns: when, by, measurement, change, status (and approver), note.
    static constexpr double kX[] = {0, 64, 166, 252, 332, 406};
    static constexpr double kWidth[] = {60, 98, 82, 76, 70, kContentWidth - 406};
    static constexpr Font kFont{7.5, false};
    add_heading(fmt::format("Edit history ({})", sheet_.history.size()));
    if (sheet_.history.empty()) {
      blocks_.back().keep_with_next = false;
      add_note("No edits.");
      return;
    }
    const int header =
        add({16,
             [this](cairo_t* cr, double y, bool continued) {
               fonts_.use(cr, {7, true});
               set(cr, kGrey);
               const char* titles[] = {
                   continued ? "When (continued)" : "When", "By", "Measurement", "Change", "Status", "Note"};
               for (std::size_t i = 0; i < 6; ++i) show_text(cr, kMargin + kX[i], y + 10, titles[i]);
               draw_rule(cr, y + 14, kGrey);
             },
             -1, true});
    std::unordered_map<std::string, std::string> labels;
    for (const auto& m : sheet_.measurements) labels.emplace(m.name, m.label.empty() ? m.name : m.label);
    for (const auto& edit : sheet_.history) {
      const auto label = labels.find(edit.measurement);
      const std::string change =
          length_text(edit.from_cm, sheet_.units) + " \u2192 " + length_text(edit.to_cm, sheet_.units);
      std::vector<std::vector<std::string>> cells = {
          wrap(date_text(edit.at), kFont, kWidth[0]),
          wrap(edit.by, kFont, kWidth[1]),
          wrap(label != labels.end() ? label->second : edit.measurement, kFont, kWidth[2]),
          wrap(change, kFont, kWidth[3]),
          wrap(edit.status, {kFont.size, true}, kWidth[4], 2),
          wrap(edit.note, kFont, kWidth[5], kMaxCellLines, true)};
      const auto approver = edit.approved_by.empty() ? std::vector<std::string>{}
                                                     : wrap("by " + edit.approved_by, kSmallFont, kWidth[4], 3);
      std::size_t lines = 0;
      for (const auto& cell : cells) lines = std::max(lines, cell.size());
      const double status_height = cells[4].size() * line_height(kFont) + approver.size() * line_height(kSmallFont);
      const double height = std::max(lines * line_height(kFont), status_height) + 2 * kCellPadding;
      const Colour status_colour = edit.status == "approved" ? kGood : edit.status == "rejected" ? kPoor : kFair;
      add({height,
           [this, cells, approver, height, status_colour](cairo_t* cr, double y, bool) {
             const double top = y + kCellPadding;
             for (std::size_t i = 0; i < cells.size(); ++i) {
               draw_lines(cr, fonts_, i == 4 ? Font{kFont.size, true} : kFont, i == 4 ? status_colour : kInk,
                          kMargin + kX[i], top, cells[i]);
             }
             draw_lines(cr, fonts_, kSmallFont, kGrey, kMargin + kX[4], top + cells[4].size() * line_height(kFont),
                        approver);
             draw_rule(cr, y + height);
           },
           header});
    }
  }

  cairo_t* cr_;
  const Fonts& fonts_;
  const Sheet& sheet_;
  std::vector<Block> blocks_;
};

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

void check(cairo_status_t status) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("measurement sheet: cairo: ") + cairo_status_to_string(status));
  }
}

void draw_footer(cairo_t* cr, const Fonts& fonts, const Sheet& sheet, std::size_t page, std::size_t pages) {
  const double y = kPageHeight - kMargin;
  draw_rule(cr, y - 8);
  fonts.use(cr, {7, false});
  set(cr, kGrey);
  const std::string number = fmt::format("Page {} of {}", page, pages);
  show_text(cr, kMargin + kContentWidth - text_width(cr, number), y + 2, number);
  std::string left = "Capture " + clean_text(sheet.capture_id);
  if (!sheet.tenant_name.empty()) left = clean_text(sheet.tenant_name) + " \u00B7 " + left;
  show_text(cr, kMargin, y + 2, fit_text(cr, left, kContentWidth - text_width(cr, number) - 20));
}

}  // namespace

std::string render_pdf(const Sheet& sheet) {
  if (sheet.units != "cm" && sheet.units != "mm" && sheet.units != "in") {
    throw std::invalid_argument("measurement sheet: units must be cm, mm or in, not '" + sheet.units + "'");
  }
  if (sheet.front) detail::validate_silhouette(*sheet.front, "front");
  if (sheet.side) detail::validate_silhouette(*sheet.side, "side");

  std::string pdf;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_pdf_surface_create_for_stream(append_to_string, &pdf, kPageWidth, kPageHeight));
  check(cairo_surface_status(surface.get()));
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
  const std::string title = "Body measurements " + clean_text(sheet.capture_id);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR, clean_text(sheet.tenant_name).c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Tyto");
#endif
  std::unique_ptr<cairo_t, ContextDeleter> context(cairo_create(surface.get()));
  cairo_t* cr = context.get();
  check(cairo_status(cr));
  const Fonts fonts;

  const std::vector<Block> blocks = Layout(cr, fonts, sheet).build();
  const std::vector<Page> pages = paginate(blocks);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    for (const auto& placed : pages[i]) blocks[placed.block].draw(cr, placed.y, placed.continued);
    draw_footer(cr, fonts, sheet, i + 1, pages.size());
    cairo_show_page(cr);
  }
  check(cairo_status(cr));
  context.reset();
  cairo_surface_finish(surface.get());
  check(cairo_surface_status(surface.get()));
  return pdf;
}

}  // namespace tyto::captures
