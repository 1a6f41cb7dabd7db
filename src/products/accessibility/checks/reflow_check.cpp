// reflow: the live page's viewport narrowed to 320 CSS px (WCAG 1.4.10: 1280 px at 400 % zoom), as zooming
// a desktop browser does (no reload: media queries and resize listeners apply), then asked whether the document scrolls
// sideways (and which elements stick out past the right edge, the outermost of each, widest first) and whether text
// containers clip their content (overflow hidden). Content allowed to scroll on its own (tables, pre, code, media,
// scroll containers) is left out.
#include "checks.hpp"
#include "detail/check_support.hpp"
#include "detail/page_scripts.hpp"
#include "tyto/browser/renderer.hpp"

#include <fmt/format.h>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr int kWidth = 320;   // CSS px
constexpr int kHeight = 256;  // CSS px: 1024 at 400 %, WCAG's figure for vertical text
constexpr int kLimit = 5;     // elements reported per kind

Issue reflow_issue(const json& element, const std::string& kind, const std::string& message, const json& page) {
  Issue issue = detail::tyto_issue("tyto-reflow", "serious", {"1.4.10"},
                                   std::string(detail::kUnderstanding) + "reflow.html", element);
  issue.message = message;
  issue.data = {{"kind", kind},
                {"overflow", element.value("overflow", 0.0)},
                {"viewport_width", page.value("viewport_width", kWidth)},
                {"scroll_width", page.value("scroll_width", 0)}};
  return issue;
}

}  // namespace

CheckOutcome reflow(browser::Page& page) {
  // A desktop browser zoomed to 400 %, not a phone's layout viewport.
  page.set_viewport({.width = kWidth, .height = kHeight, .device_scale_factor = 1, .mobile = false});
  page.evaluate(detail::next_frames_script());
  const json found = page.evaluate(detail::reflow_script(kLimit));

  CheckOutcome out;
  const int width = found.value("viewport_width", kWidth), scroll_width = found.value("scroll_width", 0);
  if (scroll_width > width + 1) {
    for (const json& e : found["overflowing"])
      out.issues.push_back(reflow_issue(
          e, "horizontal_scroll",
          fmt::format("At 320 CSS px wide the page scrolls sideways ({} px wide): this element reaches {} px past "
                      "the right edge",
                      scroll_width, e.value("overflow", 0.0)),
          found));
    // A page that scrolls only through content allowed to (a code block, a data table) passes; one that
    // scrolls through nothing the script could name is still reported, on the document.
    if (out.issues.empty() && found.value("excepted", 0) == 0)
      out.issues.push_back(
          reflow_issue({{"selector", "html"}, {"html", "<html>"}}, "horizontal_scroll",
                       fmt::format("At 320 CSS px wide the page scrolls sideways ({} px wide)", scroll_width), found));
  }
  for (const json& e : found["clipped"])
    out.issues.push_back(
        reflow_issue(e, "clipped",
                     fmt::format("At 320 CSS px wide this element hides {} px of its content (overflow hidden)",
                                 e.value("overflow", 0.0)),
                     found));
  if (out.issues.empty()) out.passes = 1;
  return out;
}

}  // namespace tyto::products::accessibility
