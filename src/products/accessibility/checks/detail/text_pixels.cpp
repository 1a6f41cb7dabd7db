#include "detail/text_pixels.hpp"

#include "tyto/vision/contrast.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace tyto::products::accessibility::detail {
namespace {

constexpr int kGlyphChange = 48;    // a pixel whose channels change this much with the text hidden is glyph
constexpr double kSameColour = 60;  // RGB distance within which the glyphs' colour confirms the CSS colour

vision::Rgb pixel(const vision::Image& image, int x, int y) {
  const auto* p = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * image.channels];
  return image.channels >= 3 ? vision::Rgb{p[0], p[1], p[2]} : vision::Rgb{p[0], p[0], p[0]};
}

double distance(vision::Rgb a, vision::Rgb b) {
  const double dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
  return std::sqrt(dr * dr + dg * dg + db * db);
}

vision::Rgb blend(vision::Rgb top, double alpha, vision::Rgb under) {
  auto mix = [&](int t, int u) { return static_cast<std::uint8_t>(std::lround(alpha * t + (1 - alpha) * u)); };
  return {mix(top.r, under.r), mix(top.g, under.g), mix(top.b, under.b)};
}

vision::Rgb median(std::vector<vision::Rgb> colours) {
  if (colours.empty()) return {};
  auto channel = [&](auto member) {
    std::vector<std::uint8_t> v;
    v.reserve(colours.size());
    for (const auto& c : colours) v.push_back(c.*member);
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  return {channel(&vision::Rgb::r), channel(&vision::Rgb::g), channel(&vision::Rgb::b)};
}

}  // namespace

std::optional<CssColour> parse_css_colour(const std::string& text) {
  if (text.rfind("rgb", 0) != 0) return std::nullopt;
  std::vector<double> numbers;
  std::vector<bool> percent;
  for (std::size_t i = 3; i < text.size();) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.') {
      std::size_t used = 0;
      numbers.push_back(std::stod(text.substr(i), &used));
      i += used;
      percent.push_back(i < text.size() && text[i] == '%');
    } else {
      ++i;
    }
  }
  if (numbers.size() < 3) return std::nullopt;
  CssColour c;
  auto byte = [](double v) { return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L)); };
  c.rgb = {byte(numbers[0]), byte(numbers[1]), byte(numbers[2])};
  if (numbers.size() >= 4) c.alpha = std::clamp(percent[3] ? numbers[3] / 100 : numbers[3], 0.0, 1.0);
  return c;
}

TextContrast measure_text(const vision::Image& with_text, const vision::Image& without_text, const IssueBox& clip,
                          double scale, const std::vector<IssueBox>& rects, std::optional<CssColour> css,
                          double opacity) {
  const int width = std::min(with_text.width, without_text.width);
  const int height = std::min(with_text.height, without_text.height);
  std::vector<vision::Rgb> behind;                  // the background under the text's boxes
  std::vector<std::pair<int, vision::Rgb>> glyphs;  // change, painted colour
  std::vector<char> taken(static_cast<std::size_t>(std::max(0, width * height)), 0);
  for (const IssueBox& r : rects) {
    const int x0 = std::max(0, static_cast<int>(std::floor((r.x - clip.x) * scale)));
    const int y0 = std::max(0, static_cast<int>(std::floor((r.y - clip.y) * scale)));
    const int x1 = std::min(width, static_cast<int>(std::ceil((r.x + r.width - clip.x) * scale)));
    const int y1 = std::min(height, static_cast<int>(std::ceil((r.y + r.height - clip.y) * scale)));
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        if (taken[static_cast<std::size_t>(y) * width + x]++) continue;
        const vision::Rgb painted = pixel(with_text, x, y), under = pixel(without_text, x, y);
        behind.push_back(under);
        const int change =
            std::max({std::abs(painted.r - under.r), std::abs(painted.g - under.g), std::abs(painted.b - under.b)});
        if (change >= kGlyphChange) glyphs.emplace_back(change, painted);
      }
  }
  TextContrast out;
  out.glyph_pixels = static_cast<int>(glyphs.size());
  if (behind.empty() || glyphs.size() < 4) return out;
  out.separated = true;
  out.background = median(behind);

  // The glyphs' cores: the quarter of glyph pixels that changed most (anti-aliased edges change least).
  std::sort(glyphs.begin(), glyphs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<vision::Rgb> cores;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, glyphs.size() / 4); ++i) cores.push_back(glyphs[i].second);
  const vision::Rgb painted = median(cores);

  const double alpha = css ? css->alpha * std::clamp(opacity, 0.0, 1.0) : 0;
  const bool use_css = css && alpha > 0 && distance(blend(css->rgb, alpha, out.background), painted) <= kSameColour;
  out.text_source = use_css ? "css" : "pixels";
  out.text = use_css ? blend(css->rgb, alpha, out.background) : painted;

  std::vector<double> ratios;
  ratios.reserve(behind.size());
  for (const vision::Rgb& under : behind)
    ratios.push_back(vision::contrast_ratio(use_css ? blend(css->rgb, alpha, under) : painted, under));
  std::sort(ratios.begin(), ratios.end());
  out.ratio = ratios[ratios.size() / 2];
  out.min_ratio = ratios[ratios.size() / 10];
  return out;
}

}  // namespace tyto::products::accessibility::detail
