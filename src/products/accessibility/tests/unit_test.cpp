// The accessibility product's pure parts: axe's results translated into issues, WCAG criteria from tags, the
// score, the offline document of an uploaded DOM, issues to JSON and back, and evidence crops with masking.
#include "../axe.hpp"
#include "../evidence.hpp"
#include "../scan_stage.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/image.hpp"

#include <catch2/catch.hpp>

using namespace tyto::products::accessibility;
using nlohmann::json;

namespace {

json axe_results() {
  return json::parse(R"({
    "version": "4.14.1",
    "violations": [{
      "id": "image-alt", "impact": "critical", "tags": ["cat.text-alternatives", "wcag2a", "wcag111", "section508"],
      "help": "Images must have alternative text", "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/image-alt",
      "description": "Ensure <img> elements have alternative text",
      "nodes": [{"target": ["#hero"], "html": "<img id=\"hero\" src=\"a.png\">", "impact": "critical",
                 "failureSummary": "Fix any of the following:\n  Element does not have an alt attribute",
                 "any": [], "all": [], "none": [], "bbox": {"x": 8, "y": 80.5, "width": 40, "height": 30}}]
    }, {
      "id": "target-size", "impact": "serious", "tags": ["wcag22aa", "wcag258"], "help": "Targets", "helpUrl": "u",
      "nodes": [{"target": [["#host", "button"]], "html": "<button>", "impact": null, "failureSummary": "",
                 "bbox": null}]
    }],
    "incomplete": [{
      "id": "color-contrast", "impact": "serious", "tags": ["wcag2aa", "wcag143"], "help": "Contrast", "helpUrl": "c",
      "nodes": [{"target": ["#over-photo"], "html": "<p id=\"over-photo\">", "impact": "serious",
                 "any": [{"id": "color-contrast", "data": {"messageKey": "bgImage", "fgColor": "#ffffff"}}],
                 "bbox": {"x": 0, "y": 0, "width": 100, "height": 20}}]
    }, {
      "id": "video-caption", "impact": "critical", "tags": ["wcag2a", "wcag122"], "help": "Captions", "helpUrl": "v",
      "nodes": [{"target": ["iframe", "video"], "html": "<video>", "bbox": null}]
    }],
    "passes": ["document-title", "html-has-lang"],
    "inapplicable": 70
  })");
}

}  // namespace

TEST_CASE("axe's violations and incomplete results become issues", "[unit][accessibility]") {
  const AxeIssues out = issues_from_axe(axe_results());
  REQUIRE(out.issues.size() == 3);
  const Issue& alt = out.issues[0];
  CHECK(alt.rule == "image-alt");
  CHECK(alt.source == "axe");
  CHECK(alt.impact == "critical");
  CHECK(alt.wcag == std::vector<std::string>{"1.1.1"});
  CHECK(alt.status == "violation");
  CHECK(alt.selector == "#hero");
  CHECK(alt.html == "<img id=\"hero\" src=\"a.png\">");
  REQUIRE(alt.bbox);
  CHECK(alt.bbox->y == 80.5);
  CHECK(alt.message.find("Images must have alternative text") == 0);
  CHECK(alt.message.find("does not have an alt attribute") != std::string::npos);
  CHECK(alt.help_url == "https://dequeuniversity.com/rules/axe/4.14/image-alt");
  // A node without an impact takes the rule's; a selector inside a shadow root joins its parts.
  CHECK(out.issues[1].impact == "serious");
  CHECK(out.issues[1].selector == "#host >> button");
  CHECK_FALSE(out.issues[1].bbox);
  CHECK(out.issues[1].wcag == std::vector<std::string>{"2.5.8"});
  // Incomplete: needs review; inside a frame, the frame's selector first.
  CHECK(out.issues[2].status == "needs_review");
  CHECK(out.issues[2].selector == "iframe >>> video");
  // Undecided contrast is set aside for the pixel check, with axe's data.
  REQUIRE(out.contrast_incomplete.size() == 1);
  CHECK(out.contrast_incomplete[0].data["checks"][0]["data"]["messageKey"] == "bgImage");
  CHECK(out.passed_rules == std::vector<std::string>{"document-title", "html-has-lang"});
  CHECK_THROWS_AS(issues_from_axe(json::array()), tyto::Error);
}

TEST_CASE("WCAG success criteria come from axe's tags, levels left out", "[unit][accessibility]") {
  CHECK(wcag_criteria(json{"wcag2a", "wcag143", "wcag1410", "wcag21aa", "best-practice", "wcag2411", "wcagx"}) ==
        std::vector<std::string>{"1.4.3", "1.4.10", "2.4.11"});
  CHECK(wcag_criteria(json("wcag143")).empty());
}

TEST_CASE("The score weighs passed and violated rules by impact", "[unit][accessibility]") {
  CHECK(scan_score({}, {}) == 100);
  CHECK(scan_score({"a", "b", "c"}, {}) == 100);
  Issue critical;
  critical.rule = "image-alt";
  critical.impact = "critical";
  critical.status = "violation";
  // 3 passed rules weigh 9, a critical violation 10.
  CHECK(scan_score({"a", "b", "c"}, {critical, critical}) == 47);
  Issue review = critical;
  review.status = "needs_review";
  CHECK(scan_score({"a"}, {review}) == 100);  // what needs review does not count against the page
  CHECK(scan_score({}, {critical}) == 0);
}

TEST_CASE("An uploaded DOM becomes an offline document that allows no request", "[unit][accessibility]") {
  const std::string url = offline_document_url("<!DOCTYPE html><html><body><a href=\"#top\">100%</a></body></html>");
  REQUIRE(url.starts_with("data:text/html;charset=utf-8,"));
  // The doctype stays first (no quirks mode), the policy follows it; # and % are escaped.
  const auto doctype = url.find("%3C!DOCTYPE%20html%3E");
  const auto policy = url.find("Content-Security-Policy");
  CHECK(doctype != std::string::npos);
  CHECK(policy > doctype);
  CHECK(url.find("default-src%20'none'") != std::string::npos);
  CHECK(url.find('#') == std::string::npos);
  CHECK(url.find("100%25") != std::string::npos);
  CHECK(offline_document_url("<p>no doctype</p>").find("Content-Security-Policy") < 60);
}

TEST_CASE("An issue reads back as it was written", "[unit][accessibility]") {
  Issue i;
  i.rule = "tyto-contrast-pixels";
  i.source = "tyto";
  i.impact = "serious";
  i.wcag = {"1.4.3"};
  i.status = "violation";
  i.selector = "#hero > p";
  i.html = "<p>";
  i.bbox = IssueBox{1, 2, 3, 4};
  i.message = "Contrast 2.9:1 is below 4.5:1";
  i.help_url = "https://example.org";
  i.data = {{"ratio", 2.9}};
  i.evidence_object_id = "0190";
  const Issue back = issue_from_json(issue_json(i));
  CHECK(issue_json(back) == issue_json(i));
  CHECK(issue_json(i)["bbox"]["height"] == 4);
  CHECK_THROWS_AS(issue_from_json(json::object()), tyto::Error);
}

TEST_CASE("Evidence is cropped around the box, sensitive boxes masked, at the device scale", "[unit][accessibility]") {
  tyto::vision::Image white{200, 100, 3, std::vector<std::uint8_t>(200 * 100 * 3, 255)};
  // At scale 2 the CSS box {10, 10, 20, 10} is 40 x 20 device pixels; masked, the box turns grey.
  const Evidence evidence(tyto::vision::encode_png(white), 2.0, {{10, 10, 20, 10}});
  CHECK(evidence.masked() == 1);
  const auto crop = evidence.crop({10, 10, 20, 10}, 5);
  REQUIRE(crop);
  const auto image = tyto::vision::decode(*crop);
  CHECK(image.width == 60);
  CHECK(image.height == 40);
  const auto at = [&](int x, int y) { return image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3]; };
  CHECK(at(30, 20) == 96);                         // inside the masked box
  CHECK(at(2, 2) == 255);                          // the margin around it
  CHECK_FALSE(evidence.crop({500, 500, 10, 10}));  // outside the screenshot
  CHECK_FALSE(evidence.crop({10, 10, 0, 10}));     // no box
  CHECK_THROWS_AS(Evidence("not an image", 1, {}), tyto::Error);
}
