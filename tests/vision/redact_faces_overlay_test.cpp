// Redaction, face detection on Debian's sample photos, and overlays.
#include "tyto/core/error.hpp"
#include "tyto/vision/faces.hpp"
#include "tyto/vision/ocr.hpp"
#include "tyto/vision/overlay.hpp"
#include "tyto/vision/preprocess.hpp"
#include "tyto/vision/redact.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto;
using namespace tyto::test::vis;

namespace {

vision::Rgb pixel(const vision::Image& image, int x, int y) {
  const auto* p = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * image.channels];
  return {p[0], p[1], p[2]};
}

}  // namespace

TEST_CASE("Redaction fills boxes exactly, or blurs text beyond OCR, and leaves the rest", "[vision][redact]") {
  cv::Mat bgr(140, 700, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto secret = put_text(bgr, "Password hunter2", {20, 50}, 1.2, cv::Scalar(0, 0, 0));
  const auto visible = put_text(bgr, "Public notice", {20, 115}, 1.2, cv::Scalar(0, 0, 0));
  const auto original = from_bgr(bgr);
  const vision::Box box{secret.x - 4, secret.y - 4, secret.width + 8, secret.height + 8};
  vision::OcrPool pool({.size = 1});
  REQUIRE(pool.recognize(original).text().find("hunter2") != std::string::npos);

  auto filled = original;
  const std::vector<vision::Box> boxes{box, {5000, 5000, 10, 10}};
  CHECK(vision::redact(filled, boxes, vision::RedactMode::kFill, {255, 0, 128}) == 1);
  CHECK(pixel(filled, box.x + 3, box.y + 3) == vision::Rgb{255, 0, 128});
  CHECK(pixel(filled, box.x + box.width - 1, box.y + box.height - 1) == vision::Rgb{255, 0, 128});
  CHECK(pixel(filled, box.x + box.width, box.y + box.height) == vision::Rgb{255, 255, 255});

  auto blurred = original;
  CHECK(vision::redact(blurred, boxes, vision::RedactMode::kBlur) == 1);
  const auto text = pool.recognize(blurred).text();
  INFO(text);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("Password") == std::string::npos);
  CHECK(text.find("Public notice") != std::string::npos);
  // Outside the box the pixels are untouched.
  const auto below = vision::crop(blurred, {0, visible.y - 5, 700, visible.height + 10});
  CHECK(below.pixels == vision::crop(original, {0, visible.y - 5, 700, visible.height + 10}).pixels);
}

TEST_CASE("Face detection finds the face in a portrait and none in photos without people", "[vision][faces]") {
  vision::FaceDetector detector;
  const auto messi = vision::decode(read_bytes(sample("messi5.jpg")));
  const auto faces = detector.detect(messi);
  REQUIRE(faces.size() >= 1);
  // messi5.jpg (548x342): the player's head is in the upper middle of the frame.
  const auto& face = faces.front();
  for (const auto& f : faces) UNSCOPED_INFO("face " << f.x << "," << f.y << " " << f.width << "x" << f.height);
  CHECK(face.width >= 20);
  CHECK(face.y < messi.height / 2);
  for (const char* name : {"fruits.jpg", "building.jpg", "orange.jpg"}) {
    INFO(name);
    CHECK(detector.detect(vision::decode(read_bytes(sample(name)))).empty());
  }
  // Searching a large image at a smaller size reports boxes in the original's pixels.
  const auto twice = vision::resize(messi, messi.width * 2, messi.height * 2);
  const auto scaled = detector.detect(twice, {.max_side = 900});
  double best = 0;
  for (const auto& f : scaled)
    UNSCOPED_INFO("at twice the size: " << f.x << "," << f.y << " " << f.width << "x" << f.height);
  for (const auto& f : scaled)
    best = std::max(best, vision::iou(f, {face.x * 2, face.y * 2, face.width * 2, face.height * 2}));
  CHECK(best > 0.6);

  try {
    vision::FaceDetector missing("/nonexistent/cascade.xml");
    FAIL("a detector started without its cascade");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
}

TEST_CASE("An overlay outlines each box in its colour and labels it", "[vision][overlay]") {
  cv::Mat bgr(200, 300, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto image = from_bgr(bgr);
  const std::vector<vision::Annotation> annotations{{{50, 60, 100, 80}, "low contrast", {200, 0, 0}},
                                                    {{10, 0, 40, 30}, "", {0, 0, 255}}};
  const auto out = vision::draw_overlay(image, annotations);
  REQUIRE(out.width == 300);
  CHECK(out.channels == 3);
  CHECK(pixel(out, 50, 100) == vision::Rgb{200, 0, 0});       // the left edge
  CHECK(pixel(out, 149, 100) == vision::Rgb{200, 0, 0});      // the right edge
  CHECK(pixel(out, 100, 100) == vision::Rgb{255, 255, 255});  // inside stays
  CHECK(pixel(out, 20, 0) == vision::Rgb{0, 0, 255});
  // The label's tab sits above the box, in the box's colour, with white letters on the dark red.
  int tab = 0, letters = 0;
  for (int x = 50; x < 150; ++x)
    for (int y = 40; y < 60; ++y) {
      const auto p = pixel(out, x, y);
      tab += p == vision::Rgb{200, 0, 0};
      letters += p.g > 200 && p.r > 200;
    }
  CHECK(tab > 300);
  CHECK(letters > 20);
  // As a PNG it decodes back to the same pixels.
  CHECK(vision::decode(vision::encode_png(out)).pixels == out.pixels);
}
