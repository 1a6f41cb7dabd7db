// The front and side silhouettes of a measurement sheet: the person's mask drawn to a stated scale with the
// measurement lines over it.
#pragma once

#include "products/captures/sheet/detail/text.hpp"
#include "products/captures/sheet/sheet.hpp"

#include <cairo.h>

#include <span>
#include <string>
#include <string_view>

namespace tyto::captures::detail {

// Height of the caption under a silhouette's box: its title, the scale as 1:N and a scale bar.
inline constexpr double kSilhouetteCaptionHeight = 36;

// Throws std::invalid_argument unless the mask is width × height bytes of a positive size up to 8192 × 8192.
void validate_silhouette(const SheetSilhouette& silhouette, std::string_view which);

// Points per real millimetre at which each silhouette with a known scale fits a box of box_width × box_height
// points, so that all of them are drawn to one scale; 0 when none has a known scale.
double common_scale(std::span<const SheetSilhouette* const> silhouettes, double box_width, double box_height);

// Draws the silhouette in the box at (x, y) of width × height points, at pt_per_mm points per real millimetre
// (or to fit, when its scale is unknown or pt_per_mm is 0), and the caption under the box. units ("cm", "mm",
// "in") chooses the scale bar's unit.
void draw_silhouette(cairo_t* cr, const Fonts& fonts, const SheetSilhouette& silhouette, const std::string& title,
                     double x, double y, double width, double height, double pt_per_mm, std::string_view units);

}  // namespace tyto::captures::detail
