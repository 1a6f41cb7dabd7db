// text_in_images through the real Chromium and Tesseract: text drawn into PNGs with OpenCV, shown as <img>
// with and without a matching name, as a CSS background and in a canvas; a photo without text.
#include "a11y_checks/checks_support.hpp"
#include "tyto/vision/ocr.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace tyto;
using namespace tyto::products::accessibility;
using tyto::test::PageServer;

namespace {

std::string text_png(const std::string& text, cv::Scalar background, cv::Scalar ink) {
  cv::Mat image(120, 420, CV_8UC3, background);
  cv::putText(image, text, {24, 78}, cv::FONT_HERSHEY_DUPLEX, 1.5, ink, 3, cv::LINE_AA);
  std::vector<uchar> out;
  cv::imencode(".png", image, out);
  return {out.begin(), out.end()};
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kPage = R"(<!doctype html><html><head><style>
body { margin: 0; font: 16px 'DejaVu Sans', sans-serif; }
img, div, canvas { display: block; margin: 8px; }
.banner { width: 420px; height: 120px; background: url(/banner.png) no-repeat; }
</style></head><body>
<img id="matching" src="/sale.png" alt="Spring sale">
<img id="unmatched" src="/sale.png" alt="Promotion">
<img id="decorative" src="/sale.png" alt="">
<img id="labelled" src="/sale.png" aria-labelledby="caption"><p id="caption">Our spring sale, this week</p>
<img id="photo" src="/fruits.jpg" alt="A bowl of fruit">
<img id="icon" src="/sale.png" alt="" width="20" height="20">
<div id="background" class="banner"></div>
<div id="background-named" class="banner" role="img" aria-label="Open daily"></div>
<canvas id="canvas" width="420" height="120"></canvas>
<script>
  const g = document.getElementById('canvas').getContext('2d');
  g.fillStyle = '#fff3c4'; g.fillRect(0, 0, 420, 120);
  g.fillStyle = '#202020'; g.font = 'bold 44px DejaVu Sans, sans-serif'; g.fillText('CLOSED MONDAY', 16, 76);
</script>
</body></html>)";

}  // namespace

TEST_CASE("Text in images is found by OCR where the accessible name does not carry it", "[a11y_checks][ocr]") {
  PageServer server;
  test::serve_bytes(server, "/sale.png", text_png("SPRING SALE", {43, 57, 192}, {255, 255, 255}), "image/png");
  test::serve_bytes(server, "/banner.png", text_png("OPEN DAILY", {240, 240, 240}, {40, 40, 40}), "image/png");
  test::serve_bytes(server, "/fruits.jpg", file_bytes(test::sample_photo("fruits.jpg")), "image/jpeg");
  server.page("/", kPage);
  vision::OcrPool ocr({.size = 1});

  auto opened = test::open_page(server.url("/"));
  const nlohmann::json axe = nlohmann::json::object();
  const CheckOutcome outcome = text_in_images({opened.render, axe, *opened.page}, ocr);

  for (const auto& i : outcome.issues)
    std::printf("text-in-image | %s | violation | read \"%s\" | name \"%s\"\n", i.selector.c_str(),
                i.data.value("ocr_text", "").c_str(), i.data.value("accessible_name", "").c_str());
  for (const auto& i : outcome.passed)
    std::printf("text-in-image | %s | pass | read \"%s\" | name \"%s\"\n", i.selector.c_str(),
                i.data.value("ocr_text", "").c_str(), i.data.value("accessible_name", "").c_str());

  for (const std::string id : {"#unmatched", "#decorative", "#background", "#canvas"}) {
    CAPTURE(id);
    const Issue* issue = test::issue_for(outcome, id);
    REQUIRE(issue != nullptr);
    CHECK(issue->rule == "tyto-text-in-image");
    CHECK(issue->source == "tyto");
    CHECK(issue->impact == "moderate");
    CHECK(issue->status == "violation");
    CHECK(issue->wcag == std::vector<std::string>{"1.1.1", "1.4.5"});
    CHECK(issue->help_url == "https://www.w3.org/WAI/WCAG22/Understanding/images-of-text.html");
    REQUIRE(issue->bbox);
    CHECK(issue->bbox->width == 420);
  }
  auto read = [&](const std::string& id) {
    return test::issue_for(outcome, id)->data.at("ocr_text").get<std::string>();
  };
  CHECK_THAT(read("#unmatched"), Catch::Contains("SPRING", Catch::CaseSensitive::No));
  CHECK(test::issue_for(outcome, "#unmatched")->data.at("accessible_name") == "Promotion");
  CHECK(test::issue_for(outcome, "#decorative")->data.at("decorative") == true);
  CHECK_THAT(test::issue_for(outcome, "#decorative")->message, Catch::Contains("decorative"));
  CHECK_THAT(read("#background"), Catch::Contains("OPEN", Catch::CaseSensitive::No));
  CHECK_THAT(read("#canvas"), Catch::Contains("CLOSED", Catch::CaseSensitive::No));

  // Names that carry the text (alt, aria-labelledby, aria-label on a background) and a photo: passes; the
  // 20 px icon is not read at all.
  for (const std::string id : {"#matching", "#labelled", "#photo", "#background-named", "#icon"})
    CHECK(test::issue_for(outcome, id) == nullptr);
  CHECK(outcome.issues.size() == 4);
  CHECK(outcome.passes == 4);
}
