// visible_focus: every focusable element (in tab order, at most kMaxElements) is photographed without focus,
// then reached with the Tab key (the way a keyboard user reaches it, so :focus-visible styles apply) and
// photographed again. The pictures without focus are cut from one screenshot of the region they all lie in
// (one capture instead of one per element) unless that region is too large; every clip is whole CSS pixels,
// so a cut and a clip screenshot of the same box line up pixel for pixel. A focus indicator draws on or around the
// element's edge (outline, ring, border, shadow, underline, a new background), so the two pictures are compared over
// the band kMargin CSS px either side of the element's border box: a mean absolute difference below kThreshold is no
// visible focus.
#include "checks.hpp"
#include "detail/check_support.hpp"
#include "detail/page_scripts.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/vision/image.hpp"
#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr int kMaxElements = 40;
constexpr double kMargin = 8;     // CSS px around the border box: rings with an outline-offset fit in it
constexpr double kThreshold = 2;  // mean absolute difference (0-255) over the band; docs/products/accessibility.md
// The largest region (CSS px²) shot once for the pictures without focus: four 1280 × 800 screens.
constexpr double kMaxRegion = 4.0 * 1280 * 800;

struct Shot {
  IssueBox box;  // the clip, CSS px
  vision::Image image;
};

// The element's box with kMargin around it, widened to whole CSS pixels.
IssueBox clip_of(const IssueBox& element) {
  const double left = std::max(0.0, std::floor(element.x - kMargin));
  const double top = std::max(0.0, std::floor(element.y - kMargin));
  const double right = std::ceil(element.x + element.width + kMargin);
  const double bottom = std::ceil(element.y + element.height + kMargin);
  return {left, top, std::max(1.0, right - left), std::max(1.0, bottom - top)};
}

Shot shoot(browser::Page& page, const IssueBox& clip) {
  return {clip, vision::decode(page.screenshot({clip.x, clip.y, clip.width, clip.height}))};
}

// The pictures of every clip without focus: cut from one screenshot of the region around them all when it is
// at most kMaxRegion, else one screenshot each.
std::vector<Shot> shoot_all(browser::Page& page, const std::vector<IssueBox>& clips) {
  double left = clips[0].x, top = clips[0].y, right = left + clips[0].width, bottom = top + clips[0].height;
  for (const auto& c : clips) {
    left = std::min(left, c.x);
    top = std::min(top, c.y);
    right = std::max(right, c.x + c.width);
    bottom = std::max(bottom, c.y + c.height);
  }
  std::vector<Shot> shots;
  if ((right - left) * (bottom - top) > kMaxRegion) {
    for (const auto& c : clips) shots.push_back(shoot(page, c));
    return shots;
  }
  const Shot region = shoot(page, {left, top, right - left, bottom - top});
  const double scale = region.image.width / region.box.width;
  for (const auto& c : clips) {
    const vision::Box cut{
        static_cast<int>(std::lround((c.x - left) * scale)), static_cast<int>(std::lround((c.y - top) * scale)),
        static_cast<int>(std::lround(c.width * scale)), static_cast<int>(std::lround(c.height * scale))};
    shots.push_back({c, vision::crop(region.image, cut)});
  }
  return shots;
}

// Mean absolute difference (per channel, 0-255) of two shots of the same clip over the band within kMargin
// CSS px of the element's edges (the whole element when it is thinner than two margins).
double band_difference(const Shot& before, const Shot& after, const IssueBox& element) {
  const int width = std::min(before.image.width, after.image.width);
  const int height = std::min(before.image.height, after.image.height);
  if (width <= 0 || height <= 0 || before.image.channels != after.image.channels) return 0;
  const double scale = before.box.width > 0 ? before.image.width / before.box.width : 1.0;
  // The element's interior farther than kMargin from its edges, in the clip's pixels.
  const double left = (element.x - before.box.x + kMargin) * scale, top = (element.y - before.box.y + kMargin) * scale;
  const double right = (element.x + element.width - before.box.x - kMargin) * scale;
  const double bottom = (element.y + element.height - before.box.y - kMargin) * scale;
  const int channels = before.image.channels;
  double sum = 0;
  long count = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (x >= left && x < right && y >= top && y < bottom) continue;
      const auto* a = &before.image.pixels[(static_cast<std::size_t>(y) * before.image.width + x) * channels];
      const auto* b = &after.image.pixels[(static_cast<std::size_t>(y) * after.image.width + x) * channels];
      for (int c = 0; c < channels; ++c) sum += std::abs(int(a[c]) - int(b[c]));
      count += channels;
    }
  }
  return count ? sum / count : 0;
}

Issue no_focus_issue(const json& element, double difference) {
  Issue issue = detail::tyto_issue("tyto-focus-visible", "serious", {"2.4.7"},
                                   std::string(detail::kUnderstanding) + "focus-visible.html", element);
  issue.message = fmt::format(
      "Reaching this element with the Tab key changes almost nothing on screen (mean difference {:.2f} of 255 "
      "around its edges): a keyboard user cannot see where the focus is",
      difference);
  issue.data = {{"difference", std::round(difference * 100) / 100}, {"threshold", kThreshold}};
  return issue;
}

}  // namespace

CheckOutcome visible_focus(const CheckInputs& in) {
  CheckOutcome out;
  browser::Page& page = in.page;
  const json elements = page.evaluate(detail::focusables_script(kMaxElements));
  if (elements.empty()) return out;
  page.evaluate(detail::focus_start_script());
  std::vector<IssueBox> clips;
  for (const json& e : elements) clips.push_back(clip_of(detail::css_box(e["box"])));
  const std::vector<Shot> unfocused = shoot_all(page, clips);

  std::vector<bool> seen(elements.size(), false);
  // One Tab per element, plus a few for focusable things outside the list (frames, shadow roots).
  for (std::size_t step = 0; step < elements.size() + 5; ++step) {
    page.press("Tab");
    const int index = page.evaluate(detail::focused_index_script()).get<int>();
    if (index == -2) break;  // focus left the document: the end of the tab order
    if (index < 0) continue;
    if (seen[index]) break;  // back to an element already reached
    seen[index] = true;
    const IssueBox box = detail::css_box(elements[index]["box"]);
    const double difference = band_difference(unfocused[index], shoot(page, clips[index]), box);
    Issue issue = no_focus_issue(elements[index], difference);
    if (difference < kThreshold) {
      out.issues.push_back(std::move(issue));
    } else {
      issue.status = "pass";
      issue.message = fmt::format("The focus changes the element's edges visibly (mean difference {:.2f})", difference);
      out.passed.push_back(std::move(issue));
      ++out.passes;
    }
  }
  page.evaluate(detail::focus_cleanup_script());
  return out;
}

}  // namespace tyto::products::accessibility
