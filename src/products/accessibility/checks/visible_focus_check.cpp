// visible_focus: every focusable element (in tab order, at most kMaxElements) is photographed without focus,
// then in focus, and the two pictures compared over the band kMargin CSS px either side of the element's border
// box (where outlines, rings, borders, shadows and underlines draw): a mean absolute difference below kThreshold
// is no visible focus.
//
// In focus, two ways. First, cheaply, many elements at once: :focus and :focus-visible are forced on a group of
// elements lying far enough apart that one's indicator cannot reach another's band (Page::force_state, as
// DevTools' "force element state"), and one screenshot serves the whole group. An element that shows its focus
// so, without moving anything in its group, passes. Every other element (no change seen, a style that moves
// the layout, a focus shown by a script or on a wrapper, a field whose text Tab selects) is decided the way a
// keyboard user meets it: the Tab key walks the page and the element is photographed when it has the focus.
// So a violation is always what a real Tab showed.
//
// The pictures without focus are cut from one screenshot of the region they all lie in unless that region is
// too large; every clip is whole CSS pixels, so a cut and a clip screenshot of the same box line up pixel for
// pixel.
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
#include <optional>
#include <vector>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr int kMaxElements = 40;
constexpr double kMargin = 8;     // CSS px around the border box: rings with an outline-offset fit in it
constexpr double kThreshold = 2;  // mean absolute difference (0-255) over the band; docs/products/accessibility.md
// The largest region (CSS px²) shot once for the pictures without focus: four 1280 × 800 screens.
constexpr double kMaxRegion = 4.0 * 1280 * 800;
// The most groups of elements shown with their focus forced (one screenshot each); the rest are left to the Tab
// walk.
constexpr std::size_t kMaxGroups = 6;

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

bool intersects(const IssueBox& a, const IssueBox& b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

IssueBox grown(const IssueBox& b, double by) { return {b.x - by, b.y - by, b.width + 2 * by, b.height + 2 * by}; }

// Groups of elements whose clips lie at least kMargin apart (first fit, in tab order): an indicator drawn
// within kMargin of one element cannot reach another's band. -1 for an element left to the Tab walk, past
// kMaxGroups.
std::vector<int> focus_groups(const std::vector<IssueBox>& clips, std::vector<std::vector<std::size_t>>& groups) {
  std::vector<int> group_of(clips.size(), -1);
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const IssueBox halo = grown(clips[i], kMargin);
    std::size_t g = 0;
    for (; g < groups.size(); ++g) {
      bool apart = true;
      for (const std::size_t other : groups[g]) apart = apart && !intersects(halo, clips[other]);
      if (apart) break;
    }
    if (g == groups.size()) {
      if (groups.size() == kMaxGroups) continue;
      groups.emplace_back();
    }
    groups[g].push_back(i);
    group_of[i] = static_cast<int>(g);
  }
  return group_of;
}

bool same_box(const json& now, const IssueBox& before) {
  if (!now.is_object()) return false;
  const IssueBox b = detail::css_box(now);
  return std::abs(b.x - before.x) < 0.5 && std::abs(b.y - before.y) < 0.5 && std::abs(b.width - before.width) < 0.5 &&
         std::abs(b.height - before.height) < 0.5;
}

// The forced pass: for each element that shows its focus with :focus and :focus-visible forced, its difference.
std::vector<std::optional<double>> forced_differences(browser::Page& page, const std::vector<IssueBox>& boxes,
                                                      const std::vector<IssueBox>& clips,
                                                      const std::vector<Shot>& unfocused) {
  std::vector<std::optional<double>> shown(boxes.size());
  std::vector<std::vector<std::size_t>> groups;
  const std::vector<int> group_of = focus_groups(clips, groups);
  page.evaluate(detail::focus_groups_script(json(group_of).dump()));
  try {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (page.force_state(fmt::format("[data-tyto-focus-group=\"{}\"]", g), {"focus", "focus-visible"}) == 0) continue;
      const json now = page.evaluate(detail::focusable_boxes_script(json(groups[g]).dump()));
      bool still = now.is_array() && now.size() == groups[g].size();
      for (std::size_t k = 0; still && k < groups[g].size(); ++k) still = same_box(now[k], boxes[groups[g][k]]);
      if (!still) continue;  // the focus style moves the layout: the Tab walk decides, one element at a time
      std::vector<IssueBox> group_clips;
      for (const std::size_t i : groups[g]) group_clips.push_back(clips[i]);
      const std::vector<Shot> focused = shoot_all(page, group_clips);
      for (std::size_t k = 0; k < groups[g].size(); ++k) {
        const std::size_t i = groups[g][k];
        const double difference = band_difference(unfocused[i], focused[k], boxes[i]);
        if (difference >= kThreshold) shown[i] = difference;
      }
    }
  } catch (...) {
    page.force_state("", {});
    throw;
  }
  page.force_state("", {});
  return shown;
}

}  // namespace

CheckOutcome visible_focus(const CheckInputs& in) {
  CheckOutcome out;
  browser::Page& page = in.page;
  const json elements = page.evaluate(detail::focusables_script(kMaxElements));
  if (elements.empty()) return out;
  page.evaluate(detail::focus_start_script());
  std::vector<IssueBox> boxes, clips;
  for (const json& e : elements) {
    boxes.push_back(detail::css_box(e["box"]));
    clips.push_back(clip_of(boxes.back()));
  }
  // Without focus: cut from the capture when nothing had the focus then (the page is as captured), else
  // photographed now that focus_start has taken it away.
  std::vector<Shot> unfocused;
  if (in.captured && in.captured_unfocused) {
    const double scale = in.render.device_scale_factor > 0 ? in.render.device_scale_factor : 1.0;
    for (const auto& c : clips) {
      auto cut = detail::cut_from_capture(*in.captured, c, scale);
      if (!cut) break;
      unfocused.push_back({c, std::move(*cut)});
    }
    if (unfocused.size() != clips.size()) unfocused.clear();
  }
  if (unfocused.empty()) unfocused = shoot_all(page, clips);
  const std::vector<std::optional<double>> forced = forced_differences(page, boxes, clips, unfocused);

  // What each element showed, in tab order: forced, or by the Tab walk (nullopt: never reached).
  struct Verdict {
    double difference = 0;
    const char* method = "";
  };
  std::vector<std::optional<Verdict>> verdicts(elements.size());
  std::size_t left = 0;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (forced[i])
      verdicts[i] = Verdict{*forced[i], "forced_state"};
    else
      ++left;
  }
  if (left > 0) {
    std::vector<bool> seen(elements.size(), false);
    // One Tab per element, plus a few for focusable things outside the list (frames, shadow roots).
    for (std::size_t step = 0; step < elements.size() + 5 && left > 0; ++step) {
      page.press("Tab");
      const int index = page.evaluate(detail::focused_index_script()).get<int>();
      if (index == -2) break;  // focus left the document: the end of the tab order
      if (index < 0) continue;
      if (seen[index]) break;  // back to an element already reached
      seen[index] = true;
      if (verdicts[index]) continue;  // shown already with its state forced
      verdicts[index] = Verdict{band_difference(unfocused[index], shoot(page, clips[index]), boxes[index]), "tab"};
      --left;
    }
  }
  page.evaluate(detail::focus_cleanup_script());

  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (!verdicts[i]) continue;
    const auto [difference, method] = *verdicts[i];
    Issue issue = no_focus_issue(elements[i], difference);
    issue.data["method"] = method;
    if (difference < kThreshold) {
      out.issues.push_back(std::move(issue));
    } else {
      issue.status = "pass";
      issue.message = fmt::format("The focus changes the element's edges visibly (mean difference {:.2f})", difference);
      out.passed.push_back(std::move(issue));
      ++out.passes;
    }
  }
  return out;
}

}  // namespace tyto::products::accessibility
