// Shared by the tests of Tyto's pixel checks: a renderer allowed onto loopback, a page rendered and kept
// open, images drawn with OpenCV and served as PNG, and Debian's opencv-doc sample photos.
#pragma once

#include "browser/page_server.hpp"
#include "products/accessibility/checks/checks.hpp"
#include "tyto/browser/renderer.hpp"

#include <memory>
#include <string>

namespace tyto::test {

// A renderer (one browser) whose outbound guard allows 127.0.0.1 only.
browser::Renderer& a11y_renderer();

// A page opened and captured (screenshot, DOM, AX tree), with the live page kept for the checks.
struct OpenedPage {
  std::unique_ptr<browser::Page> page;
  browser::RenderResult render;
};
OpenedPage open_page(const std::string& url, double device_scale_factor = 1);

// Serves bytes at path with a content type.
void serve_bytes(PageServer& server, const std::string& path, std::string bytes, const std::string& type);

// The path of a sample photo of Debian's opencv-doc (scripts/packages/test.txt).
std::string sample_photo(const std::string& name);

// axe-core's results object with `selectors` as the incomplete nodes of color-contrast (the shape the
// product hands the check; axe-core itself is not needed for the check's tests).
nlohmann::json axe_incomplete_contrast(const std::vector<std::string>& selectors);

// The issue of a selector in an outcome, or nullptr.
const products::accessibility::Issue* issue_for(const products::accessibility::CheckOutcome& outcome,
                                                const std::string& selector);

}  // namespace tyto::test
