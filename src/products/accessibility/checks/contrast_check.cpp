// contrast_from_pixels: the text axe-core could not decide (over images, gradients, other elements), measured
// from screenshots. The region of the element's text lines (Range client rects) is photographed as painted
// and again with the text made transparent: the pixels that changed are the glyphs (their colour confirms
// the computed colour, or replaces it when filters or blending changed it), the second picture is the exact
// background behind them. Verdict on the 10th percentile of the per-pixel ratios (the part of a photo or
// gradient closest to the text), against 4.5:1, or 3:1 for large text. Elements are photographed in bands
// (two screenshots per band, not per element).
#include "checks.hpp"
#include "detail/check_support.hpp"
#include "detail/page_scripts.hpp"
#include "detail/text_pixels.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
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

constexpr double kBand = 1500;  // CSS px: elements are photographed together in bands at most this tall

// An element to measure: its text's line boxes inside the page, and the region around them (grown by 2 px).
struct Candidate {
  std::size_t index = 0;  // in the script's answer
  std::vector<IssueBox> rects;
  IssueBox clip;
};

std::optional<Candidate> candidate(std::size_t index, const json& entry, double page_width, double page_height) {
  Candidate c{index, {}, {}};
  double left = 1e9, top = 1e9, right = -1e9, bottom = -1e9;
  for (const json& r : entry["rects"]) {
    const IssueBox b = detail::css_box(r);
    if (b.x + b.width <= 0 || b.y + b.height <= 0 || b.x >= page_width || b.y >= page_height) continue;
    c.rects.push_back(b);
    left = std::min(left, b.x - 2), top = std::min(top, b.y - 2);
    right = std::max(right, b.x + b.width + 2), bottom = std::max(bottom, b.y + b.height + 2);
  }
  left = std::max(left, 0.0), top = std::max(top, 0.0);
  right = std::min(right, page_width), bottom = std::min(bottom, page_height);
  if (c.rects.empty() || right - left < 2 || bottom - top < 2) return std::nullopt;
  c.clip = {left, top, right - left, bottom - top};
  return c;
}

IssueBox unite(const IssueBox& a, const IssueBox& b) {
  const double left = std::min(a.x, b.x), top = std::min(a.y, b.y);
  return {left, top, std::max(a.x + a.width, b.x + b.width) - left, std::max(a.y + a.height, b.y + b.height) - top};
}

// Two pictures of a band holding several elements' text: as painted, and with all their text hidden.
struct Pictures {
  IssueBox clip;
  vision::Image with_text, without_text;
};

// With the capture (CheckInputs::captured) the band is widened to whole CSS pixels and its picture as painted
// cut from it: one screenshot per band instead of two.
Pictures photograph(browser::Page& page, IssueBox clip, const std::vector<std::string>& selectors,
                    const vision::Image* captured, double scale) {
  std::optional<vision::Image> painted;
  if (captured) {
    const double left = std::floor(clip.x), top = std::floor(clip.y);
    const IssueBox whole{left, top, std::ceil(clip.x + clip.width) - left, std::ceil(clip.y + clip.height) - top};
    if ((painted = detail::cut_from_capture(*captured, whole, scale))) clip = whole;
  }
  const browser::Box box{clip.x, clip.y, clip.width, clip.height};
  const std::string list = json(selectors).dump();
  Pictures out{clip, painted ? std::move(*painted) : vision::decode(page.screenshot(box)), {}};
  page.evaluate(detail::hide_text_script(list, true));
  try {
    out.without_text = vision::decode(page.screenshot(box));
  } catch (...) {
    page.evaluate(detail::hide_text_script(list, false));
    throw;
  }
  page.evaluate(detail::hide_text_script(list, false));
  return out;
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

std::optional<Issue> judge(const json& entry, const detail::TextContrast& m, CheckOutcome& out) {
  if (!m.separated) return review(entry, "no text pixels stand out from the background (hidden or covered)");
  const double required = required_ratio(entry);
  Issue issue = detail::tyto_issue(kRule, "serious", {"1.4.3"},
                                   std::string(detail::kUnderstanding) + "contrast-minimum.html", entry);
  issue.data = {{"ratio", std::round(m.ratio * 1000) / 1000},
                {"min_ratio", std::round(m.min_ratio * 1000) / 1000},
                {"required", required},
                {"text_colour", vision::to_hex(m.text)},
                {"background_colour", vision::to_hex(m.background)},
                {"text_colour_from", m.text_source},
                {"font_size", entry.value("font_size", 0.0)},
                {"font_weight", entry.value("font_weight", 0)}};
  if (m.min_ratio >= required) {
    issue.status = "pass";
    issue.message =
        fmt::format("Contrast {}:1 meets {}:1", detail::format_ratio(m.min_ratio), detail::format_ratio(required));
    out.passed.push_back(std::move(issue));
    ++out.passes;
    return std::nullopt;
  }
  issue.message = fmt::format(
      "Text {} has a contrast of {}:1 against the part of its background closest to it (the tenth), below "
      "{}:1 (against the background's median {}: {}:1)",
      vision::to_hex(m.text), detail::format_ratio(m.min_ratio), detail::format_ratio(required),
      vision::to_hex(m.background), detail::format_ratio(m.ratio));
  return issue;
}

}  // namespace

CheckOutcome contrast_from_pixels(const CheckInputs& in) {
  CheckOutcome out;
  const std::vector<std::string> targets = incomplete_targets(in.axe);
  if (targets.empty()) return out;
  const double scale = in.render.device_scale_factor > 0 ? in.render.device_scale_factor : 1.0;
  const json entries = in.page.evaluate(detail::text_rects_script(json(targets).dump()));

  std::vector<std::optional<Issue>> verdicts(entries.size());
  std::vector<Candidate> candidates;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& entry = entries[i];
    if (!entry.value("found", false))
      verdicts[i] = review(entry, "the element is no longer in the page");
    else if (!entry.value("visible", false) || entry["rects"].empty())
      verdicts[i] = review(entry, "the element shows no text");
    else if (auto c = candidate(i, entry, in.render.content_width, in.render.content_height))
      candidates.push_back(std::move(*c));
    else
      verdicts[i] = review(entry, "the text lies outside the page");
  }
  // Bands of elements, top to bottom: two screenshots and two scripts per band rather than per element.
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.clip.y < b.clip.y; });
  for (std::size_t first = 0; first < candidates.size();) {
    std::size_t last = first + 1;
    IssueBox band = candidates[first].clip;
    while (last < candidates.size() && unite(band, candidates[last].clip).height <= kBand)
      band = unite(band, candidates[last++].clip);
    std::vector<std::string> selectors;
    for (std::size_t k = first; k < last; ++k) selectors.push_back(entries[candidates[k].index].value("selector", ""));
    const Pictures pictures = photograph(in.page, band, selectors, in.captured, scale);
    for (std::size_t k = first; k < last; ++k) {
      const json& entry = entries[candidates[k].index];
      const detail::TextContrast m =
          detail::measure_text(pictures.with_text, pictures.without_text, pictures.clip, scale, candidates[k].rects,
                               detail::parse_css_colour(entry.value("color", "")), entry.value("opacity", 1.0));
      verdicts[candidates[k].index] = judge(entry, m, out);
    }
    first = last;
  }
  for (auto& verdict : verdicts)
    if (verdict) out.issues.push_back(std::move(*verdict));
  return out;
}

}  // namespace tyto::products::accessibility
