// contrast_from_pixels: the text axe-core could not decide (over images, gradients, other elements), measured
// from the screenshot. Each line of the element's text (a Range client rect, grown by a margin of background)
// is measured by vision::measure_contrast; the element's verdict is its worst line's.
#include "checks.hpp"
#include "detail/check_support.hpp"
#include "detail/page_scripts.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/contrast.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr const char* kRule = "tyto-contrast-pixels";

// WCAG's large text: at least 18 pt (24 CSS px), or 14 pt (18.66 CSS px) bold.
double required_ratio(const json& entry) {
  const double size = entry.value("font_size", 16.0);
  const int weight = entry.value("font_weight", 400);
  return size >= 24.0 || (size >= 18.66 && weight >= 700) ? 3.0 : 4.5;
}

// The selectors of axe's incomplete color-contrast nodes; a target inside a frame or shadow root (a nested
// array) cannot be queried from the top document and is kept as its JSON text, to be reported for review.
std::vector<std::string> incomplete_targets(const json& axe) {
  std::vector<std::string> out;
  if (!axe.is_object() || !axe.contains("incomplete") || !axe["incomplete"].is_array()) return out;
  for (const json& rule : axe["incomplete"]) {
    if (!rule.is_object() || rule.value("id", "") != "color-contrast" || !rule.contains("nodes")) continue;
    for (const json& node : rule["nodes"]) {
      if (!node.is_object() || !node.contains("target") || !node["target"].is_array()) continue;
      const json& target = node["target"];
      if (target.size() == 1 && target[0].is_string())
        out.push_back(target[0].get<std::string>());
      else
        out.push_back(target.dump());
    }
  }
  return out;
}

struct LineMeasure {
  vision::ContrastMeasurement m;
  bool measured = false;  // some line lay inside the screenshot
};

// The worst separated line of the element (lowest min_ratio); measured = false when no line is on the image.
LineMeasure measure_lines(const vision::Image& screenshot, double scale, const json& rects) {
  LineMeasure worst;
  bool any_separated = false;
  for (const json& rect : rects) {
    const IssueBox css = detail::css_box(rect);
    const double margin = std::max(2.0, css.height / 8);
    const vision::Box box = detail::device_box(css, scale, margin, screenshot.width, screenshot.height);
    if (box.width < 4 || box.height < 4) continue;
    const vision::ContrastMeasurement m = vision::measure_contrast(screenshot, box);
    if (!worst.measured || (m.separated && (!any_separated || m.min_ratio < worst.m.min_ratio))) worst.m = m;
    worst.measured = true;
    any_separated = any_separated || m.separated;
  }
  return worst;
}

Issue review(const json& entry, const std::string& why) {
  Issue issue = detail::tyto_issue(kRule, "serious", {"1.4.3"},
                                   std::string(detail::kUnderstanding) + "contrast-minimum.html", entry);
  if (issue.selector.empty()) issue.selector = entry.value("target", "");
  issue.status = "needs_review";
  issue.message = "Contrast could not be measured from the screenshot: " + why;
  issue.data = {{"reason", why}};
  return issue;
}

std::optional<Issue> judge(const json& entry, const vision::Image& screenshot, double scale, CheckOutcome& out) {
  if (!entry.value("found", false)) return review(entry, "the element is no longer in the page");
  if (!entry.value("visible", false) || entry["rects"].empty()) return review(entry, "the element shows no text");
  const LineMeasure line = measure_lines(screenshot, scale, entry["rects"]);
  if (!line.measured) return review(entry, "the text lies outside the screenshot");
  if (!line.m.separated) return review(entry, "no text pixels stand out from the background");
  const double required = required_ratio(entry);
  const json data = {{"ratio", line.m.ratio},
                     {"min_ratio", line.m.min_ratio},
                     {"required", required},
                     {"text_colour", vision::to_hex(line.m.text)},
                     {"background_colour", vision::to_hex(line.m.background)},
                     {"font_size", entry.value("font_size", 0.0)},
                     {"font_weight", entry.value("font_weight", 0)}};
  if (line.m.min_ratio >= required) {
    ++out.passes;
    return std::nullopt;
  }
  Issue issue = detail::tyto_issue(kRule, "serious", {"1.4.3"},
                                   std::string(detail::kUnderstanding) + "contrast-minimum.html", entry);
  issue.message = fmt::format(
      "Contrast {}:1 of text {} against the lighter or darker tenth of its background is below {}:1 "
      "(against the background's median {}: {}:1)",
      detail::format_ratio(line.m.min_ratio), vision::to_hex(line.m.text), detail::format_ratio(required),
      vision::to_hex(line.m.background), detail::format_ratio(line.m.ratio));
  issue.data = data;
  return issue;
}

}  // namespace

CheckOutcome contrast_from_pixels(const CheckInputs& in) {
  CheckOutcome out;
  const std::vector<std::string> targets = incomplete_targets(in.axe);
  if (targets.empty()) return out;
  if (in.render.screenshot_png.empty())
    throw Error(ErrorCode::kValidationFailed, "contrast from pixels needs the render's screenshot");
  const vision::Image screenshot = vision::decode(in.render.screenshot_png);
  const double scale = in.render.device_scale_factor > 0 ? in.render.device_scale_factor : 1.0;

  const json entries = in.page.evaluate(detail::text_rects_script(json(targets).dump()));
  for (const json& entry : entries)
    if (auto issue = judge(entry, screenshot, scale, out)) out.issues.push_back(std::move(*issue));
  return out;
}

}  // namespace tyto::products::accessibility
