// reflow through the real Chromium, the loaded page narrowed to 320 CSS px: a fixed 1200 px layout scrolls sideways, a
// responsive one does not (a wide table and a code block may scroll on their own), and text clipped by overflow:
// hidden.
#include "a11y_checks/checks_support.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace tyto;
using namespace tyto::products::accessibility;
using tyto::test::PageServer;

namespace {

constexpr const char* kText =
    "<p>Reflow lets a reader who zooms to 400 percent read this paragraph without scrolling in two directions, "
    "line after line, as the text wraps to the width of the window.</p>";

}  // namespace

TEST_CASE("Reflow at 320 CSS px finds a fixed 1200 px layout, passes a responsive one, and finds clipped text",
          "[a11y_checks][reflow]") {
  PageServer server;
  server.page("/fixed", std::string(R"(<!doctype html><body style="margin:0"><div id="layout" style="width:1200px">
<header><h1>A fixed layout</h1></header>)") +
                            kText + "</div></body>");
  server.page("/responsive",
              std::string(R"(<!doctype html><head><meta name="viewport" content="width=device-width">
<style>body { margin: 0 auto; max-width: 1200px; padding: 0 8px; } img { max-width: 100%; }
.scroll { overflow-x: auto; }</style></head><body><h1>A responsive layout</h1>)") +
                  kText + R"(<pre>int main() { return an_unusually_long_function_name_that_does_not_wrap(); }</pre>
<div class="scroll"><table><tr><td>Quarter</td><td>Revenue in the first region</td><td>Revenue in the second region</td>
<td>Revenue in the third region</td></tr></table></div></body>)");
  server.page(
      "/clipped",
      std::string(R"(<!doctype html><body style="margin:0">)") + kText +
          R"(<div id="clip" style="overflow:hidden; white-space:nowrap">A line of navigation links: Home, Products, Pricing, Documentation, Support, Contact</div></body>)");

  browser::Renderer& renderer = test::a11y_renderer();

  const CheckOutcome fixed = reflow(*renderer.open({.url = server.url("/fixed")}));
  REQUIRE(fixed.issues.size() == 1);
  const Issue& wide = fixed.issues[0];
  CHECK(wide.rule == "tyto-reflow");
  CHECK(wide.source == "tyto");
  CHECK(wide.status == "violation");
  CHECK(wide.impact == "serious");
  CHECK(wide.wcag == std::vector<std::string>{"1.4.10"});
  CHECK(wide.help_url == "https://www.w3.org/WAI/WCAG22/Understanding/reflow.html");
  CHECK(wide.selector == "#layout");
  CHECK(wide.data.at("kind") == "horizontal_scroll");
  CHECK(wide.data.at("scroll_width") == 1200);
  CHECK(wide.data.at("viewport_width") == 320);
  CHECK(wide.data.at("overflow").get<double>() == Approx(880));
  REQUIRE(wide.bbox);
  CHECK(wide.bbox->width == 1200);
  CHECK(fixed.passes == 0);

  const CheckOutcome responsive = reflow(*renderer.open({.url = server.url("/responsive")}));
  for (const auto& i : responsive.issues) UNSCOPED_INFO(i.selector << ": " << i.message);
  CHECK(responsive.issues.empty());
  CHECK(responsive.passes == 1);

  // An unbreakable address in a paragraph of the responsive page spills out of its box: the paragraph.
  server.page(
      "/long-word",
      std::string(R"(<!doctype html><body style="margin:0">)") + kText +
          R"(<p id="address">https://example.org/a/very/long/address/that/cannot/wrap/anywhere/at/all</p></body>)");
  const CheckOutcome word = reflow(*renderer.open({.url = server.url("/long-word")}));
  REQUIRE(word.issues.size() == 1);
  CHECK(word.issues[0].selector == "#address");
  CHECK(word.issues[0].data.at("kind") == "horizontal_scroll");

  // Responsive through a media query only: the page is loaded 1280 px wide, where the box is 1000 px, and
  // narrowed like a zoomed window; the query applies without a reload.
  server.page("/media-query", std::string(R"(<!doctype html><head><style>body { margin: 0 } #box { width: 1000px }
@media (max-width: 600px) { #box { width: auto } }</style></head><body><div id="box">)") +
                                  kText + "</div></body>");
  const CheckOutcome queried = reflow(*renderer.open({.url = server.url("/media-query")}));
  for (const auto& i : queried.issues) UNSCOPED_INFO(i.selector << ": " << i.message);
  CHECK(queried.issues.empty());
  CHECK(queried.passes == 1);

  const CheckOutcome clipped = reflow(*renderer.open({.url = server.url("/clipped")}));
  REQUIRE(clipped.issues.size() == 1);
  CHECK(clipped.issues[0].selector == "#clip");
  CHECK(clipped.issues[0].data.at("kind") == "clipped");
  CHECK(clipped.issues[0].data.at("overflow").get<double>() > 100);

  std::printf("reflow | fixed: %zu issue(s) | responsive: %zu | clipped: %zu\n", fixed.issues.size(),
              responsive.issues.size(), clipped.issues.size());
}
