// The contrast of text measured from two pictures of the same region: one as the page paints it, one with the
// element's text made transparent (what lies behind the text, exactly). The pixels that differ are the
// glyphs; the second picture is the background under every glyph, so no clustering has to guess it.
#pragma once

#include "../../issue.hpp"
#include "tyto/vision/image.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tyto::products::accessibility::detail {

// A CSS colour as getComputedStyle gives it ("rgb(1, 2, 3)", "rgba(1, 2, 3, 0.5)", "rgb(1 2 3 / 50%)").
struct CssColour {
  vision::Rgb rgb;
  double alpha = 1;
};
std::optional<CssColour> parse_css_colour(const std::string& text);

struct TextContrast {
  bool separated = false;  // some glyph pixels differ from the background
  vision::Rgb text;        // the text's colour as painted (over the background's median)
  vision::Rgb background;  // the median of the background under the text
  double ratio = 1;        // median of the per-pixel ratios of text against the background behind it
  double min_ratio = 1;    // their 10th percentile (the part of the background closest to the text)
  int glyph_pixels = 0;
  std::string text_source;  // "css" (the computed colour, confirmed by the glyphs) or "pixels" (the glyphs)
};

// with_text and without_text: the same clip (clip, CSS px) at `scale` device px per CSS px; rects: the
// text's line boxes (CSS px, page coordinates); css: the computed colour and the opacity of the element
// and its ancestors multiplied.
TextContrast measure_text(const vision::Image& with_text, const vision::Image& without_text, const IssueBox& clip,
                          double scale, const std::vector<IssueBox>& rects, std::optional<CssColour> css,
                          double opacity);

}  // namespace tyto::products::accessibility::detail
