// The headless renderer through the real Chromium (Debian's headless shell, the renderer's default) on pages served by
// the test on loopback: screenshots, DOM boxes and computed styles, the accessibility tree, scripts, keys and actions.
#include "browser/page_server.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace tyto;
using namespace tyto::browser;
using nlohmann::json;
using tyto::test::PageRequest;
using tyto::test::PageResponse;
using tyto::test::PageServer;

namespace {

const http::OutboundPolicy& loopback_policy() {
  static const http::OutboundPolicy policy({"127.0.0.1/32"});
  return policy;
}

cv::Mat decode(const std::string& png) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<char*>(png.data())), cv::IMREAD_COLOR);
}

const DomElement* by_id(const std::vector<DomElement>& elements, const std::string& id) {
  for (const auto& e : elements)
    if (auto it = e.attributes.find("id"); it != e.attributes.end() && it->second == id) return &e;
  return nullptr;
}

constexpr const char* kBoxesPage = R"(<!doctype html>
<html lang="en"><head><title>Boxes</title>
<style>
  body { margin: 0; background: #ffffff; }
  #red { position: absolute; left: 40px; top: 60px; width: 200px; height: 100px; background: #ff0000; }
  #note { position: absolute; left: 300px; top: 60px; color: rgb(0, 0, 255); font-size: 20px; font-weight: 700; }
  #blue { position: absolute; left: 0; top: 1900px; width: 800px; height: 100px; background: #0000ff; }
  #hidden { display: none; }
</style></head>
<body>
  <div id="red"></div>
  <p id="note">Blue note</p>
  <button id="send" aria-label="Send the form" style="position:absolute; left:40px; top:300px">Go</button>
  <img id="logo" alt="Company logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" style="position:absolute; top:400px">
  <a id="first" href="#a" style="position:absolute; top:500px">First link</a>
  <a id="second" href="#b" style="position:absolute; top:540px">Second link</a>
  <div id="hidden">Not shown</div>
  <div id="blue"></div>
</body></html>)";

}  // namespace

TEST_CASE("A page renders to a full-page screenshot with its boxes at the right pixels", "[browser]") {
  // The default binary (the headless shell) and the full browser that modules.browser.executable may name.
  const std::string executable = GENERATE(std::string(RendererOptions{}.executable), std::string("/usr/bin/chromium"));
  INFO(executable);
  CHECK(RendererOptions{}.executable == "/usr/lib/chromium/chromium-headless-shell");
  PageServer server;
  server.page("/boxes", kBoxesPage);
  Renderer renderer({.pool_size = 1, .executable = executable}, loopback_policy());
  RenderRequest request{.url = server.url("/boxes")};
  request.viewport = {800, 600, 1, false};
  const RenderResult r = renderer.render(request);

  CHECK(r.title == "Boxes");
  CHECK(r.status == 200);
  CHECK(r.final_url == server.url("/boxes"));
  CHECK(r.refused.empty());
  REQUIRE(r.screenshot_width == 800);
  REQUIRE(r.screenshot_height == 2000);  // the whole page, beyond the 600 px viewport
  const cv::Mat image = decode(r.screenshot_png);
  REQUIRE(image.cols == 800);
  REQUIRE(image.rows == 2000);
  auto pixel = [&](int x, int y) { return image.at<cv::Vec3b>(y, x); };
  CHECK(pixel(140, 110) == cv::Vec3b(0, 0, 255));    // inside the red box (BGR)
  CHECK(pixel(41, 61) == cv::Vec3b(0, 0, 255));      // its top-left corner
  CHECK(pixel(38, 58) == cv::Vec3b(255, 255, 255));  // just outside it
  CHECK(pixel(400, 1950) == cv::Vec3b(255, 0, 0));   // the blue band below the fold

  const auto elements = dom_elements(r.dom_snapshot);
  const DomElement* red = by_id(elements, "red");
  REQUIRE(red);
  REQUIRE(red->box);
  CHECK(red->box->x == 40);
  CHECK(red->box->y == 60);
  CHECK(red->box->width == 200);
  CHECK(red->box->height == 100);
  CHECK(red->styles.at("background-color") == "rgb(255, 0, 0)");
  const DomElement* note = by_id(elements, "note");
  REQUIRE(note);
  CHECK(note->text == "Blue note");
  CHECK(note->styles.at("color") == "rgb(0, 0, 255)");
  CHECK(note->styles.at("font-size") == "20px");
  CHECK(note->styles.at("font-weight") == "700");
  const DomElement* hidden = by_id(elements, "hidden");
  REQUIRE(hidden);
  CHECK_FALSE(hidden->box);

  bool button = false, image_name = false;
  for (const auto& n : ax_nodes(r.ax_tree)) {
    if (n.role == "button" && n.name == "Send the form") button = true;
    if (n.role == "image" && n.name == "Company logo") image_name = true;
  }
  CHECK(button);
  CHECK(image_name);
}

TEST_CASE("The viewport's device scale factor and the user agent apply to the render", "[browser]") {
  PageServer server;
  server.page("/boxes", kBoxesPage);
  server.page("/agent", "<title>x</title><script>document.title = navigator.userAgent</script>");
  Renderer renderer({.pool_size = 1}, loopback_policy());
  RenderRequest request{.url = server.url("/boxes")};
  request.viewport = {400, 300, 2, false};
  request.dom = request.accessibility = false;
  const RenderResult r = renderer.render(request);
  CHECK(r.screenshot_width == 1600);  // the page is 800 CSS px wide (the blue band), 2 device px each
  CHECK(r.screenshot_height == 4000);
  CHECK(r.dom_snapshot.is_null());
  const cv::Mat image = decode(r.screenshot_png);
  CHECK(image.at<cv::Vec3b>(220, 280) == cv::Vec3b(0, 0, 255));  // (140, 110) CSS px

  RenderRequest agent{.url = server.url("/agent")};
  agent.user_agent = "TytoTest/1.0";
  CHECK(renderer.render(agent).title == "TytoTest/1.0");
}

TEST_CASE("evaluate returns a script's JSON result, awaiting its promise, and a throwing script is a typed error",
          "[browser]") {
  PageServer server;
  server.page("/boxes", kBoxesPage);
  Renderer renderer({.pool_size = 1}, loopback_policy());
  auto page = renderer.open({.url = server.url("/boxes")});
  CHECK(page->evaluate("({a: 1, list: [1, 'two'], title: document.title})") ==
        json({{"a", 1}, {"list", {1, "two"}}, {"title", "Boxes"}}));
  CHECK(page->evaluate("new Promise(r => setTimeout(() => r(42), 50))") == json(42));
  CHECK(page->evaluate("undefined").is_null());
  try {
    page->evaluate("(() => { throw new Error('broken rule') })()");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(std::string(e.what()).find("broken rule") != std::string::npos);
  }
}

TEST_CASE("Tab moves the focus through the links, and a clip screenshots one element", "[browser]") {
  PageServer server;
  server.page("/boxes", kBoxesPage);
  Renderer renderer({.pool_size = 1}, loopback_policy());
  auto page = renderer.open({.url = server.url("/boxes")});
  page->press("Tab");  // the button comes first in document order
  CHECK(page->evaluate("document.activeElement.id") == json("send"));
  page->press("Tab");
  CHECK(page->evaluate("document.activeElement.id") == json("first"));
  page->press("Tab");
  CHECK(page->evaluate("document.activeElement.id") == json("second"));
  page->press("Shift+Tab");
  CHECK(page->evaluate("document.activeElement.id") == json("first"));

  const std::string png = page->screenshot({40, 60, 200, 100});
  const cv::Mat crop = decode(png);
  REQUIRE(crop.cols == 200);
  REQUIRE(crop.rows == 100);
  CHECK(crop.at<cv::Vec3b>(50, 100) == cv::Vec3b(0, 0, 255));
  CHECK_THROWS_AS(page->press("NoSuchKey"), Error);
  CHECK_THROWS_AS(page->click("#missing"), Error);
}

TEST_CASE("force_state styles elements as focused without moving the focus, and clears", "[browser]") {
  PageServer server;
  server.page("/focus", R"(<!doctype html><html><head><style>
    body { margin: 0; background: #fff; }
    button { position: absolute; top: 40px; width: 80px; height: 30px; border: 0; background: #ddd; outline: none; }
    button:focus-visible { background: #00ff00; }
    #a { left: 20px; } #b { left: 200px; } #c { left: 380px; }
  </style></head><body><button id="a">A</button><button id="b">B</button><button id="c">C</button></body></html>)");
  Renderer renderer({.pool_size = 1}, loopback_policy());
  auto page = renderer.open({.url = server.url("/focus")});
  const auto pixel = [&](int x) { return decode(page->screenshot({0, 0, 500, 100})).at<cv::Vec3b>(55, x); };
  const cv::Vec3b green(0, 255, 0), grey(0xdd, 0xdd, 0xdd);
  CHECK(pixel(28) == grey);

  CHECK(page->force_state("#a, #c", {"focus", "focus-visible"}) == 2);
  CHECK(pixel(28) == green);
  CHECK(pixel(208) == grey);
  CHECK(pixel(388) == green);
  // No event, no focus: the page's own state is untouched.
  CHECK(page->evaluate("document.activeElement === document.body") == json(true));

  // The next call replaces the forced set.
  CHECK(page->force_state("#b", {"focus-visible"}) == 1);
  CHECK(pixel(28) == grey);
  CHECK(pixel(208) == green);
  CHECK(page->force_state("#b", {}) == 0);
  CHECK(pixel(208) == grey);
  CHECK(page->force_state("#nothing", {"focus"}) == 0);
  CHECK_THROWS_AS(page->force_state("#a[", {"focus"}), Error);
  // The page still works as before: a real Tab focuses, and styles, the first button.
  page->force_state("", {});
  page->press("Tab");
  CHECK(page->evaluate("document.activeElement.id") == json("a"));
  CHECK(pixel(28) == green);
}

TEST_CASE("Bad requests are typed errors before any browser starts", "[browser]") {
  Renderer renderer({.pool_size = 1, .executable = "/nonexistent/chromium"}, loopback_policy());
  auto code_of = [&](RenderRequest request) {
    try {
      renderer.render(request);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  CHECK(code_of({.url = "ftp://example.org/"}) == ErrorCode::kValidationFailed);
  CHECK(code_of({.url = "not a url"}) == ErrorCode::kValidationFailed);
  RenderRequest wide{.url = "http://127.0.0.1/"};
  wide.viewport.width = 0;
  CHECK(code_of(wide) == ErrorCode::kValidationFailed);
  // A good request with a browser that cannot start: unavailable, with the reason.
  CHECK(code_of({.url = "http://127.0.0.1:1/"}) == ErrorCode::kUnavailable);
  CHECK_THROWS_AS(render_request_from_json(json{{"url", "http://x/"}, {"actions", {{{"action", "click"}}}}}), Error);
  const RenderRequest parsed = render_request_from_json(
      {{"url", "http://x/"},
       {"viewport", {{"width", 320}, {"height", 480}, {"device_scale_factor", 2}}},
       {"actions", {{{"action", "type"}, {"selector", "#q"}, {"text", "hi"}}, {{"action", "wait"}, {"timeout_ms", 5}}}},
       {"wait_ms", 100}});
  CHECK(parsed.viewport.width == 320);
  CHECK(parsed.viewport.device_scale_factor == 2);
  REQUIRE(parsed.actions.size() == 2);
  CHECK(parsed.actions[0].kind == Action::Kind::kType);
  CHECK(parsed.actions[0].text == "hi");
  CHECK(parsed.wait.count() == 100);
}
