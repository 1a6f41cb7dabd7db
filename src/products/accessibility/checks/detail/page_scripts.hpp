// The scripts the checks evaluate in the page: a shared prelude (unique selector, HTML snippet, page box of an
// element) and one script per question a check asks. Each returns plain JSON.
#pragma once

#include <string>

namespace tyto::products::accessibility::detail {

// For each selector of `selectors_json` (a JSON array of CSS selectors): the element's selector, html, box,
// font size and weight, computed colour and opacity, and the page rects of its text (Range client rects of
// its own text nodes, or of all its text when it has none of its own). {found: false} when nothing matches.
std::string text_rects_script(const std::string& selectors_json);

// Makes the text of the elements (a JSON array of selectors) and their descendants transparent (hide) or
// paints it again, so that a screenshot shows what lies behind the text. Transitions are off for the hidden
// text, and a screenshot paints a fresh frame: no frame is waited for.
std::string hide_text_script(const std::string& selectors_json, bool hide);

// Every visible <img>, element with a CSS background image (url) and <canvas> at least min_side CSS px on
// both sides: {kind, selector, html, box, name, decorative}.
std::string image_elements_script(int min_side);

// The focusable elements in sequential focus order (positive tabindex first, then document order), visible,
// at most `cap`; kept in window.__tytoFocusables for focused_index_script. {selector, html, box}.
std::string focusables_script(int cap);
// Blurs the active element and moves the sequential focus navigation starting point before the first
// element of the document (a temporary, unfocusable-by-Tab element that the next Tab leaves).
std::string focus_start_script();
// The index in window.__tytoFocusables of the focused element (-1: another element, -2: none), after the
// page's running animations and transitions (a focus style fading in) have finished or 300 ms have passed
// and a frame has been drawn; at once when none runs (a screenshot paints a fresh frame anyway).
std::string focused_index_script();
// Marks window.__tytoFocusables[i] with the attribute data-tyto-focus-group="groups[i]" (a JSON array of
// integers; a negative one marks nothing), so Page::force_state can select a group.
std::string focus_groups_script(const std::string& groups_json);
// The boxes of window.__tytoFocusables[i] for each i of `indexes_json` (a JSON array), after the page's
// running animations and transitions have finished (at most 300 ms) and a frame, as focused_index_script.
std::string focusable_boxes_script(const std::string& indexes_json);
// Removes what focus_start_script and focus_groups_script added and blurs.
std::string focus_cleanup_script();

// Resolves after the next two animation frames (a layout after a resize has been done and painted).
std::string next_frames_script();

// At the current viewport: {viewport_width, scroll_width, overflowing: [...], clipped: [...]}, each entry
// {selector, html, box, overflow} (overflow: CSS px beyond the right edge, or hidden beyond the box).
std::string reflow_script(int limit);

}  // namespace tyto::products::accessibility::detail
