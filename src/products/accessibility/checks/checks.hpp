// Tyto's own checks, the ones only pixels can decide (none of axe, pa11y or Lighthouse performs them), run
// on a rendered page after axe-core:
//   contrast_from_pixels   WCAG 1.4.3 / 1.4.6: each node axe left `incomplete` for color-contrast (text over
//                          images, gradients, overlapping elements) measured from the screenshot:
//                          violation or pass with the measured ratio; needs_review only when undecidable
//                          (rule "tyto-contrast-pixels")
//   text_in_images         WCAG 1.4.5, 1.1.1: OCR finds text in an <img>, a CSS background image or a
//                          <canvas> whose accessible name does not carry it ("tyto-text-in-image")
//   visible_focus          WCAG 2.4.7: tab through the focusable elements and compare each element's pixels
//                          with and without focus ("tyto-focus-visible")
//   reflow                 WCAG 1.4.10: narrow the page to 320 CSS px and report content that needs
//                          horizontal scrolling or is clipped ("tyto-reflow")
// Each takes what the render captured and returns issues (violations and needs_review; passes are counted
// in CheckOutcome::passes and listed in CheckOutcome::passed). CPU work and page interaction: call from job
// threads only. The page is left as found except for the focus and the width: contrast_from_pixels hides
// each element's text for a moment (a screenshot of what lies behind it) and restores it (without the page's
// transitions); visible_focus presses Tab through the page and ends with nothing focused; reflow leaves the
// page 320 CSS px wide. Errors of the page (browser::Page's tyto::Error) propagate.
// How each decides, and its figures: docs/products/accessibility.md, "Tyto's own checks".
#pragma once

#include "../issue.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tyto::browser {
class Page;
class Renderer;
struct RenderRequest;
struct RenderResult;
}  // namespace tyto::browser

namespace tyto::vision {
class OcrPool;
struct Image;
}  // namespace tyto::vision

namespace tyto::products::accessibility {

struct CheckOutcome {
  std::vector<Issue> issues;
  int passes = 0;  // elements the check looked at and found fine
  // The elements counted in `passes`, as issues with status "pass" and the same data (the measured ratio,
  // the focus difference, the text read): for reports and the quality figures, not to be listed as issues.
  std::vector<Issue> passed;
};

struct CheckInputs {
  const browser::RenderResult& render;  // screenshot, DOM snapshot with styles, accessibility tree
  const nlohmann::json& axe;            // axe-core's results object (violations, incomplete, passes…)
  browser::Page& page;                  // the live page, for checks that interact (focus)
  // The render's screenshot decoded, when the caller watches the page and discards the checks' findings if
  // it changed after the capture: contrast_from_pixels cuts its pictures "as painted" from it, and, when
  // nothing had the focus at the capture (captured_unfocused), visible_focus its pictures without focus,
  // instead of photographing the page again. nullptr: every picture is a fresh screenshot.
  const vision::Image* captured = nullptr;
  bool captured_unfocused = false;
};

CheckOutcome contrast_from_pixels(const CheckInputs& in);
CheckOutcome text_in_images(const CheckInputs& in, vision::OcrPool& ocr);
// text_in_images in its two steps. image_elements reads the images, backgrounds and canvases (boxes, names)
// from the live page; the second reads their pixels in the capture's screenshot and touches neither page nor
// browser, so it may run on a thread of its own while the page serves another check; `decoded` is the
// render's screenshot decoded already (nullptr: it decodes render.screenshot_png).
nlohmann::json image_elements(browser::Page& page);
CheckOutcome text_in_images(const browser::RenderResult& render, const nlohmann::json& elements, vision::OcrPool& ocr,
                            const vision::Image* decoded = nullptr);
CheckOutcome visible_focus(const CheckInputs& in);
// Narrows the live page to 320 CSS px wide and measures it there; the page keeps that viewport, so run it
// after the checks that look at the page as captured.
CheckOutcome reflow(browser::Page& page);

}  // namespace tyto::products::accessibility
