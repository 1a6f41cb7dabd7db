// The contrast arithmetic of the pixel check on pictures made here: computed colours parsed, glyphs found
// from the difference of the two pictures, translucent text blended, nothing to measure when nothing differs.
#include "products/accessibility/checks/detail/text_pixels.hpp"
#include "tyto/vision/contrast.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::products::accessibility;
using namespace tyto::products::accessibility::detail;

namespace {

vision::Image flat(int w, int h, vision::Rgb c) {
  vision::Image image{w, h, 3, {}};
  for (int i = 0; i < w * h; ++i) image.pixels.insert(image.pixels.end(), {c.r, c.g, c.b});
  return image;
}

void paint(vision::Image& image, int x0, int y0, int x1, int y1, vision::Rgb c) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      auto* p = &image.pixels[(y * image.width + x) * 3];
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
}

}  // namespace

TEST_CASE("Computed colours parse in the forms getComputedStyle gives", "[a11y_checks][unit]") {
  const auto rgb = parse_css_colour("rgb(118, 118, 118)");
  REQUIRE(rgb);
  CHECK(rgb->rgb == vision::Rgb{118, 118, 118});
  CHECK(rgb->alpha == 1);
  const auto rgba = parse_css_colour("rgba(255, 255, 255, 0.3)");
  REQUIRE(rgba);
  CHECK(rgba->alpha == Approx(0.3));
  const auto modern = parse_css_colour("rgb(10 20 30 / 50%)");
  REQUIRE(modern);
  CHECK(modern->rgb == vision::Rgb{10, 20, 30});
  CHECK(modern->alpha == Approx(0.5));
  CHECK_FALSE(parse_css_colour("color(display-p3 1 0 0)"));
  CHECK_FALSE(parse_css_colour(""));
  CHECK_FALSE(parse_css_colour("rgb(1, 2)"));
}

TEST_CASE("Text contrast comes from the glyph pixels and the background behind them", "[a11y_checks][unit]") {
  // A 40 x 20 clip at scale 1, the text's line box its middle 36 x 16; "glyphs": bars of #777777 on white.
  vision::Image without = flat(40, 20, {255, 255, 255});
  vision::Image with = without;
  for (int x = 4; x < 36; x += 6) paint(with, x, 4, x + 3, 16, {0x77, 0x77, 0x77});
  const IssueBox clip{100, 200, 40, 20};
  const std::vector<IssueBox> rects{{102, 202, 36, 16}};

  const TextContrast css = measure_text(with, without, clip, 1, rects, CssColour{{0x77, 0x77, 0x77}, 1}, 1);
  REQUIRE(css.separated);
  CHECK(css.text_source == "css");
  CHECK(css.ratio == Approx(vision::contrast_ratio({0x77, 0x77, 0x77}, {255, 255, 255})));
  CHECK(css.min_ratio == Approx(css.ratio));
  CHECK(css.background == vision::Rgb{255, 255, 255});
  CHECK(css.glyph_pixels == 6 * 3 * 12);

  // A computed colour the glyphs do not show (a filter, -webkit-text-fill-color): the glyphs decide.
  const TextContrast painted = measure_text(with, without, clip, 1, rects, CssColour{{0, 0, 0}, 1}, 1);
  CHECK(painted.text_source == "pixels");
  CHECK(painted.text == vision::Rgb{0x77, 0x77, 0x77});
  CHECK(painted.ratio == Approx(css.ratio));

  // Dark text (#333333) over a background half white, half black: the median is the white side's ratio, the
  // tenth closest to the text (the black half) sets min_ratio.
  vision::Image half_without = without, half_with = without;
  paint(half_without, 20, 0, 40, 20, {0, 0, 0});
  paint(half_with, 20, 0, 40, 20, {0, 0, 0});
  for (int x = 4; x < 36; x += 6) paint(half_with, x, 4, x + 3, 16, {0x33, 0x33, 0x33});
  const TextContrast half =
      measure_text(half_with, half_without, clip, 1, {{102, 202, 35, 16}}, CssColour{{0x33, 0x33, 0x33}, 1}, 1);
  CHECK(half.ratio == Approx(vision::contrast_ratio({0x33, 0x33, 0x33}, {255, 255, 255})));
  CHECK(half.min_ratio == Approx(vision::contrast_ratio({0x33, 0x33, 0x33}, {0, 0, 0})));

  // Translucent text is blended over each background pixel; opacity multiplies the colour's alpha.
  const TextContrast faint = measure_text(with, without, clip, 1, rects, CssColour{{0, 0, 0}, 0.5}, 1);
  CHECK(faint.text_source == "css");
  CHECK(faint.text == vision::Rgb{128, 128, 128});
  const TextContrast faded = measure_text(with, without, clip, 1, rects, CssColour{{0, 0, 0}, 1}, 0.5);
  CHECK(faded.text == faint.text);

  // Nothing differs (the text is covered, or the same colour as the background): not separated.
  CHECK_FALSE(measure_text(without, without, clip, 1, rects, CssColour{{0, 0, 0}, 1}, 1).separated);
  // At scale 2 the CSS rects map to twice the pixels.
  vision::Image with2 = flat(80, 40, {255, 255, 255}), without2 = with2;
  paint(with2, 10, 10, 70, 30, {0, 0, 0});
  const TextContrast doubled = measure_text(with2, without2, clip, 2, rects, CssColour{{0, 0, 0}, 1}, 1);
  CHECK(doubled.ratio == Approx(21));
}
