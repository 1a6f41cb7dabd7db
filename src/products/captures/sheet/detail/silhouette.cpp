#include "products/captures/sheet/detail/silhouette.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tyto::captures::detail {
namespace {

constexpr int kMaxSide = 8192;
constexpr double kPadding = 6;           // between the box's edge and the drawn person
constexpr double kImagePixelsPerPt = 2;  // masks are embedded at up to 144 dpi: sharp in print, small PDFs
constexpr double kMmPerPt = 25.4 / 72;
constexpr std::array<double, 3> kBackground = {0.965, 0.965, 0.965};
constexpr std::array<double, 3> kPerson = {0.40, 0.46, 0.56};
constexpr std::array<double, 3> kLine = {0.84, 0.11, 0.11};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

// The mask reduced to target_w × target_h by area averaging, as an alpha image: each pixel's coverage by the person,
// so edges stay smooth. One byte a pixel is a third of what an RGB image costs to compress into the PDF.
Surface coverage_image(const SheetSilhouette& s, int target_w, int target_h) {
  Surface image(cairo_image_surface_create(CAIRO_FORMAT_A8, target_w, target_h));
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) throw std::runtime_error("cairo: no image surface");
  cairo_surface_flush(image.get());
  auto* data = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  const auto w = static_cast<std::size_t>(s.width);
  std::vector<int> column_of(w);
  std::vector<int> columns_per_target(static_cast<std::size_t>(target_w), 0);
  for (std::size_t sx = 0; sx < w; ++sx) {
    column_of[sx] = static_cast<int>(sx * static_cast<std::size_t>(target_w) / w);
    ++columns_per_target[static_cast<std::size_t>(column_of[sx])];
  }
  std::vector<int> counts(static_cast<std::size_t>(target_w));
  int sy = 0;
  for (int ty = 0; ty < target_h; ++ty) {
    const int sy_end = static_cast<int>(static_cast<long long>(ty + 1) * s.height / target_h);
    std::fill(counts.begin(), counts.end(), 0);
    const int rows = sy_end - sy;
    for (; sy < sy_end; ++sy) {
      const std::uint8_t* row = s.mask.data() + static_cast<std::size_t>(sy) * w;
      for (std::size_t sx = 0; sx < w; ++sx) counts[static_cast<std::size_t>(column_of[sx])] += row[sx] >= 128;
    }
    auto* out = data + static_cast<std::ptrdiff_t>(ty) * stride;
    for (int tx = 0; tx < target_w; ++tx) {
      const int area = rows * columns_per_target[static_cast<std::size_t>(tx)];
      out[tx] = static_cast<std::uint8_t>(area > 0 ? counts[static_cast<std::size_t>(tx)] * 255 / area : 0);
    }
  }
  cairo_surface_mark_dirty(image.get());
  return image;
}

void set_rgb(cairo_t* cr, const std::array<double, 3>& c) { cairo_set_source_rgb(cr, c[0], c[1], c[2]); }

// A measurement line with short ticks across its ends, and its label on a white patch beside its middle.
void draw_line(cairo_t* cr, const Fonts& fonts, const SheetLine& line, double ox, double oy, double k, double box_x,
               double box_y, double box_w, double box_h) {
  const double x0 = ox + line.x0 * k, y0 = oy + line.y0 * k, x1 = ox + line.x1 * k, y1 = oy + line.y1 * k;
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return;
  const double length = std::hypot(x1 - x0, y1 - y0);
  set_rgb(cr, kLine);
  cairo_set_line_width(cr, 1.1);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  if (length > 0) {
    const double nx = -(y1 - y0) / length * 2.5, ny = (x1 - x0) / length * 2.5;
    for (const auto& [px, py] : {std::pair{x0, y0}, std::pair{x1, y1}}) {
      cairo_move_to(cr, px - nx, py - ny);
      cairo_line_to(cr, px + nx, py + ny);
    }
  }
  cairo_stroke(cr);
  const std::string text = clean_text(line.label);
  if (text.empty()) return;
  fonts.use(cr, {6.5, false});
  const std::string shown = fit_text(cr, text, box_w - 8);
  const double tw = text_width(cr, shown);
  const bool mostly_vertical = std::abs(y1 - y0) > std::abs(x1 - x0);
  double tx = mostly_vertical ? (x0 + x1) / 2 + 4 : (x0 + x1) / 2 - tw / 2;
  double ty = mostly_vertical ? (y0 + y1) / 2 + 2.3 : std::min(y0, y1) - 3;
  tx = std::clamp(tx, box_x + 3, std::max(box_x + 3, box_x + box_w - 3 - tw));
  ty = std::clamp(ty, box_y + 9, box_y + box_h - 3);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, tx - 1.5, ty - 6.5, tw + 3, 8.5);
  cairo_fill(cr);
  set_rgb(cr, kLine);
  show_text(cr, tx, ty, shown);
}

// A bar of whole units (cm, or inches for "in") at least 40 pt long where the box allows, in five alternating
// segments, labelled at its ends.
void draw_scale_bar(cairo_t* cr, const Fonts& fonts, double x, double y, double max_width, double pt_per_mm,
                    std::string_view units) {
  const bool inches = units == "in";
  const double unit_mm = inches ? 25.4 : 10;
  static constexpr std::array<double, 7> kCm = {1, 2, 5, 10, 20, 50, 100};
  static constexpr std::array<double, 7> kIn = {1, 2, 5, 6, 12, 24, 48};
  const auto& choices = inches ? kIn : kCm;
  double count = choices.front();
  for (double c : choices) {
    if (c * unit_mm * pt_per_mm > max_width) break;
    count = c;
    if (c * unit_mm * pt_per_mm >= 40) break;
  }
  const double length = count * unit_mm * pt_per_mm;
  const double segment = length / 5;
  cairo_set_line_width(cr, 0.5);
  for (int i = 0; i < 5; ++i) {
    cairo_rectangle(cr, x + i * segment, y, segment, 4);
    cairo_set_source_rgb(cr, i % 2 == 0 ? 0.1 : 1, i % 2 == 0 ? 0.1 : 1, i % 2 == 0 ? 0.1 : 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_stroke(cr);
  }
  fonts.use(cr, {6.5, false});
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  show_text(cr, x - 1.5, y + 11.5, "0");
  const std::string end = fmt::format("{:g} {}", count, inches ? "in" : "cm");
  show_text(cr, x + length - text_width(cr, end) / 2, y + 11.5, end);
}

}  // namespace

void validate_silhouette(const SheetSilhouette& s, std::string_view which) {
  if (s.width <= 0 || s.height <= 0 || s.width > kMaxSide || s.height > kMaxSide) {
    throw std::invalid_argument(fmt::format("the {} silhouette is {} × {} pixels", which, s.width, s.height));
  }
  if (s.mask.size() != static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.height)) {
    throw std::invalid_argument(fmt::format("the {} silhouette's mask has {} bytes for {} × {} pixels", which,
                                            s.mask.size(), s.width, s.height));
  }
}

double common_scale(std::span<const SheetSilhouette* const> silhouettes, double box_width, double box_height) {
  double scale = 0;
  for (const auto* s : silhouettes) {
    if (!(s->px_per_mm > 0) || !std::isfinite(s->px_per_mm)) continue;
    const double fit = std::min((box_width - 2 * kPadding) / (s->width / s->px_per_mm),
                                (box_height - 2 * kPadding) / (s->height / s->px_per_mm));
    scale = scale == 0 ? fit : std::min(scale, fit);
  }
  return scale;
}

void draw_silhouette(cairo_t* cr, const Fonts& fonts, const SheetSilhouette& s, const std::string& title, double x,
                     double y, double width, double height, double pt_per_mm, std::string_view units) {
  const bool scaled = s.px_per_mm > 0 && std::isfinite(s.px_per_mm) && pt_per_mm > 0;
  const double inner_w = width - 2 * kPadding, inner_h = height - 2 * kPadding;
  const double k = scaled ? pt_per_mm / s.px_per_mm : std::min(inner_w / s.width, inner_h / s.height);
  const double drawn_w = s.width * k, drawn_h = s.height * k;
  const double ox = x + (width - drawn_w) / 2, oy = y + kPadding + (inner_h - drawn_h);  // standing on the floor

  cairo_save(cr);
  set_rgb(cr, kBackground);
  cairo_rectangle(cr, x, y, width, height);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.78, 0.78, 0.78);
  cairo_set_line_width(cr, 0.5);
  cairo_stroke_preserve(cr);
  cairo_clip(cr);

  const int target_w = std::clamp(static_cast<int>(std::ceil(drawn_w * kImagePixelsPerPt)), 1, s.width);
  const int target_h = std::clamp(static_cast<int>(std::ceil(drawn_h * kImagePixelsPerPt)), 1, s.height);
  const Surface coverage = coverage_image(s, target_w, target_h);
  cairo_save(cr);
  cairo_translate(cr, ox, oy);
  cairo_scale(cr, drawn_w / target_w, drawn_h / target_h);
  set_rgb(cr, kPerson);
  cairo_mask_surface(cr, coverage.get(), 0, 0);
  cairo_restore(cr);

  for (const auto& line : s.lines) draw_line(cr, fonts, line, ox, oy, k, x, y, width, height);
  cairo_restore(cr);

  // The caption: title and scale on one line, the bar under it.
  fonts.use(cr, {8, true});
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  show_text(cr, x, y + height + 11, fit_text(cr, clean_text(title), width / 2));
  fonts.use(cr, {7, false});
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  std::string scale_text;
  if (scaled) {
    const double n = 1 / (pt_per_mm * kMmPerPt);
    scale_text =
        n >= 10 ? fmt::format("Scale 1:{:.0f} at 100% print", n) : fmt::format("Scale 1:{:.1f} at 100% print", n);
  } else {
    scale_text = "Scale unknown (no reference card)";
  }
  scale_text = fit_text(cr, scale_text, width / 2);
  show_text(cr, x + width - text_width(cr, scale_text), y + height + 11, scale_text);
  if (scaled) draw_scale_bar(cr, fonts, x + 1, y + height + 17, width - 20, pt_per_mm, units);
}

}  // namespace tyto::captures::detail
