// Colour measurement: WCAG luminance and ratios, and text rendered in known colours measured back from
// pixels, on flat colours, a gradient and a photo. The measured errors are printed for docs/quality.md.
#include "tyto/vision/contrast.hpp"
#include "tyto/core/error.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

using namespace tyto;
using namespace tyto::test::vis;
using vision::Rgb;

namespace {

cv::Scalar bgr_of(Rgb c) { return cv::Scalar(c.b, c.g, c.r); }

double relative_error(double measured, double truth) { return std::abs(measured - truth) / truth; }

void report(const char* what, double measured, double truth) {
  std::printf("contrast %-40s measured %6.3f true %6.3f error %5.2f%%\n", what, measured, truth,
              100 * relative_error(measured, truth));
}

// The median colour of `bgr` inside `box`, leaving out the pixels under `text_mask` grown by 2 px.
Rgb median_outside(const cv::Mat& bgr, const cv::Mat& text_mask, const vision::Box& box) {
  cv::Mat grown;
  cv::dilate(text_mask, grown, cv::Mat::ones(5, 5, CV_8U));
  std::array<std::vector<int>, 3> channels;
  for (int y = box.y; y < box.y + box.height; ++y)
    for (int x = box.x; x < box.x + box.width; ++x)
      if (!grown.at<std::uint8_t>(y, x))
        for (int c = 0; c < 3; ++c) channels[c].push_back(bgr.at<cv::Vec3b>(y, x)[c]);
  std::array<std::uint8_t, 3> m{};
  for (int c = 0; c < 3; ++c) {
    auto& v = channels[c];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    m[c] = static_cast<std::uint8_t>(v[v.size() / 2]);
  }
  return {m[2], m[1], m[0]};
}

}  // namespace

TEST_CASE("Relative luminance and contrast ratio follow WCAG 2.x", "[vision][contrast]") {
  CHECK(vision::relative_luminance({255, 255, 255}) == Approx(1.0));
  CHECK(vision::relative_luminance({0, 0, 0}) == Approx(0.0));
  CHECK(vision::contrast_ratio({0, 0, 0}, {255, 255, 255}) == Approx(21.0));
  CHECK(vision::contrast_ratio({255, 255, 255}, {0, 0, 0}) == Approx(21.0));
  // Known pairs: #777777 on white is just under 4.5:1, #767676 just over (WebAIM's checker: 4.48, 4.54).
  CHECK(vision::contrast_ratio({0x77, 0x77, 0x77}, {255, 255, 255}) == Approx(4.48).margin(0.01));
  CHECK(vision::contrast_ratio({0x76, 0x76, 0x76}, {255, 255, 255}) == Approx(4.54).margin(0.01));
  CHECK(vision::relative_luminance({255, 0, 0}) == Approx(0.2126));
  CHECK(vision::contrast_ratio({0, 0, 255}, {255, 255, 255}) == Approx(8.59).margin(0.01));
}

TEST_CASE("Text rendered in known colours is measured back to its contrast ratio", "[vision][contrast]") {
  struct Pair {
    Rgb text, background;
    double scale;
    int thickness;
  };
  const std::vector<Pair> pairs = {
      {{0, 0, 0}, {255, 255, 255}, 1.0, 2},          {{0x77, 0x77, 0x77}, {255, 255, 255}, 0.8, 2},
      {{0x76, 0x76, 0x76}, {255, 255, 255}, 0.8, 2}, {{255, 255, 255}, {0x1a, 0x4d, 0x8c}, 1.0, 2},
      {{200, 30, 30}, {245, 240, 220}, 0.7, 1},      {{255, 204, 0}, {40, 40, 40}, 1.2, 3},
      {{90, 90, 90}, {110, 110, 110}, 1.0, 2},       {{0, 120, 0}, {230, 255, 230}, 0.6, 1},
  };
  for (const auto& p : pairs) {
    cv::Mat bgr(80, 420, CV_8UC3, bgr_of(p.background));
    const auto drawn = put_text(bgr, "Quick brown fox 42", {10, 50}, p.scale, bgr_of(p.text), p.thickness);
    const vision::Box region{drawn.x - 6, drawn.y - 6, drawn.width + 12, drawn.height + 12};
    const auto m = vision::measure_contrast(from_bgr(bgr), region);
    const double truth = vision::contrast_ratio(p.text, p.background);
    const std::string what = vision::to_hex(p.text) + " on " + vision::to_hex(p.background);
    report(what.c_str(), m.ratio, truth);
    INFO(what << ": measured " << m.ratio << " (" << vision::to_hex(m.text) << " on " << vision::to_hex(m.background)
              << "), true " << truth);
    CHECK(m.separated);
    CHECK(m.background == p.background);
    CHECK(relative_error(m.ratio, truth) < 0.03);
    CHECK(m.min_ratio == Approx(m.ratio).epsilon(0.01));  // a flat background: no worse part
  }
}

TEST_CASE("Contrast over a gradient reports the middle and the worst part of the background", "[vision][contrast]") {
  const Rgb left{30, 60, 140}, right{90, 140, 200}, text{255, 255, 255};
  cv::Mat bgr(90, 480, CV_8UC3);
  auto at = [&](int x) {
    const double t = x / 479.0;
    return Rgb{static_cast<std::uint8_t>(std::lround(left.r + t * (right.r - left.r))),
               static_cast<std::uint8_t>(std::lround(left.g + t * (right.g - left.g))),
               static_cast<std::uint8_t>(std::lround(left.b + t * (right.b - left.b)))};
  };
  for (int x = 0; x < bgr.cols; ++x) bgr.col(x).setTo(bgr_of(at(x)));
  const auto drawn = put_text(bgr, "Gradient banner text", {20, 55}, 1.2, bgr_of(text), 2);
  const vision::Box region{10, drawn.y - 8, 460, drawn.height + 16};
  const auto m = vision::measure_contrast(from_bgr(bgr), region);
  const double middle = vision::contrast_ratio(text, at(240));
  const double worst = vision::contrast_ratio(text, at(469));  // the lightest end of the region
  report("white on a blue gradient (median)", m.ratio, middle);
  report("white on a blue gradient (worst 10%)", m.min_ratio, worst);
  CHECK(m.text == text);
  CHECK(relative_error(m.ratio, middle) < 0.05);
  CHECK(m.min_ratio < m.ratio);
  CHECK(relative_error(m.min_ratio, worst) < 0.12);
}

TEST_CASE("Contrast over a photo measures the text against the photo around it", "[vision][contrast]") {
  const cv::Mat photo = cv::imread(sample("building.jpg").string(), cv::IMREAD_COLOR);
  REQUIRE_FALSE(photo.empty());
  struct Case {
    const char* what;
    Rgb text;
    cv::Rect area;
  };
  // A light text over a dark part of the photo and a dark one over a light part, chosen by mean luminance.
  cv::Mat grey;
  cv::cvtColor(photo, grey, cv::COLOR_BGR2GRAY);
  cv::Rect darkest, lightest;
  double dark_mean = 256, light_mean = -1;
  for (int y = 0; y + 60 <= grey.rows; y += 20)
    for (int x = 0; x + 360 <= grey.cols; x += 20) {
      const double mean = cv::mean(grey(cv::Rect(x, y, 360, 60)))[0];
      if (mean < dark_mean) dark_mean = mean, darkest = cv::Rect(x, y, 360, 60);
      if (mean > light_mean) light_mean = mean, lightest = cv::Rect(x, y, 360, 60);
    }
  for (const Case& c : {Case{"light text on a dark photo", {250, 250, 250}, darkest},
                        Case{"dark text on a light photo", {15, 15, 15}, lightest}}) {
    cv::Mat bgr = photo.clone(), mask(photo.size(), CV_8U, cv::Scalar(0));
    const cv::Point origin(c.area.x + 10, c.area.y + 42);
    const auto drawn = put_text(bgr, "Photo caption", origin, 1.1, bgr_of(c.text), 3);
    put_text(mask, "Photo caption", origin, 1.1, cv::Scalar(255), 3);
    const vision::Box region{drawn.x - 5, drawn.y - 5, drawn.width + 10, drawn.height + 10};
    const auto m = vision::measure_contrast(from_bgr(bgr), region);
    const double truth = vision::contrast_ratio(c.text, median_outside(photo, mask, region));
    report(c.what, m.ratio, truth);
    INFO(c.what << ": " << vision::to_hex(m.text) << " on " << vision::to_hex(m.background));
    CHECK(relative_error(m.ratio, truth) < 0.15);
    CHECK(vision::contrast_ratio(m.text, c.text) < 1.15);
  }
}

TEST_CASE("A region without a second colour is reported as not separated", "[vision][contrast]") {
  cv::Mat bgr(40, 40, CV_8UC3, cv::Scalar(10, 200, 30));
  const auto m = vision::measure_contrast(from_bgr(bgr), {5, 5, 30, 30});
  CHECK_FALSE(m.separated);
  CHECK(m.ratio == 1.0);
  CHECK(m.text == Rgb{30, 200, 10});
  CHECK_THROWS_AS(vision::measure_contrast(from_bgr(bgr), {38, 38, 10, 10}), Error);  // 2x2 once clipped
  CHECK_THROWS_AS(vision::measure_contrast(from_bgr(bgr), {100, 100, 10, 10}), Error);
}
