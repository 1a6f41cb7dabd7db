// OCR through Tesseract on text the test renders, on a photo without text, and the engine pool.
#include "tyto/vision/ocr.hpp"
#include "support/test_support.hpp"
#include "tyto/core/error.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <future>
#include <set>

using namespace tyto;
using namespace tyto::test;
using namespace tyto::test::vis;

namespace {

struct Rendered {
  vision::Image image;
  std::vector<vision::Box> line_boxes;
};

Rendered screenshot_like() {
  cv::Mat bgr(260, 900, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::rectangle(bgr, cv::Rect(0, 0, 900, 50), cv::Scalar(120, 60, 20), cv::FILLED);  // a dark header bar
  Rendered r;
  r.line_boxes.push_back(put_text(bgr, "ACCOUNT SETTINGS", {20, 36}, 1.0, cv::Scalar(255, 255, 255)));
  r.line_boxes.push_back(put_text(bgr, "Invoice number 4821", {20, 110}, 1.1, cv::Scalar(20, 20, 20)));
  r.line_boxes.push_back(put_text(bgr, "Please pay before Friday", {20, 170}, 1.1, cv::Scalar(20, 20, 20)));
  r.line_boxes.push_back(put_text(bgr, "Contact support", {20, 230}, 0.9, cv::Scalar(160, 70, 0)));
  r.image = from_bgr(bgr);
  return r;
}

bool contains_word(const vision::OcrResult& result, const std::string& word) {
  for (const auto& line : result.lines)
    for (const auto& w : line.words)
      if (w.text == word) return true;
  return false;
}

}  // namespace

TEST_CASE("The tessdata folder is found from Debian's tesseract-ocr-eng", "[vision][ocr]") {
  const auto dir = vision::find_tessdata();
  REQUIRE_FALSE(dir.empty());
  CHECK(std::filesystem::is_regular_file(std::filesystem::path(dir) / "eng.traineddata"));
  CHECK(vision::find_tessdata("klingon").empty());

  // $TESSDATA_PREFIX wins when it holds the model, itself or in its tessdata/ folder.
  TempDir prefix;
  std::filesystem::create_directories(prefix.path() / "tessdata");
  std::filesystem::create_symlink(std::filesystem::path(dir) / "eng.traineddata",
                                  prefix.path() / "tessdata" / "eng.traineddata");
  ::setenv("TESSDATA_PREFIX", prefix.path().c_str(), 1);
  const auto from_env = vision::find_tessdata();
  vision::OcrPool pool({.size = 1});
  CHECK_NOTHROW(pool.warm_up());
  const auto pool_dir = pool.tessdata();
  ::setenv("TESSDATA_PREFIX", (prefix.path() / "nothing-here").c_str(), 1);
  const auto fallback = vision::find_tessdata();
  ::unsetenv("TESSDATA_PREFIX");
  CHECK(from_env == (prefix.path() / "tessdata").string());
  CHECK(pool_dir == from_env);
  CHECK(fallback == dir);
}

TEST_CASE("OCR reads rendered text as words and lines with boxes where it was drawn", "[vision][ocr]") {
  vision::OcrPool pool({.size = 1});
  const auto rendered = screenshot_like();
  const auto result = pool.recognize(rendered.image);
  INFO(result.text());
  for (const char* word : {"Invoice", "number", "4821", "Please", "pay", "before", "Friday", "Contact", "support"})
    CHECK(contains_word(result, word));
  CHECK(result.text().find("ACCOUNT SETTINGS") != std::string::npos);  // light text on a dark bar

  // Each drawn line is found once, in the place it was drawn, with confidence.
  for (const auto& drawn : rendered.line_boxes) {
    int matches = 0;
    for (const auto& line : result.lines)
      if (vision::iou(line.box, drawn) > 0.5) {
        ++matches;
        CHECK(line.confidence > 70);
        for (const auto& w : line.words) {
          CHECK(w.box.x >= drawn.x - 4);
          CHECK(w.box.x + w.box.width <= drawn.x + drawn.width + 4);
          CHECK(w.confidence > 50);
        }
      }
    CHECK(matches == 1);
  }
  // The "Invoice" word's box starts where the line was drawn.
  for (const auto& line : result.lines)
    if (!line.words.empty() && line.words[0].text == "Invoice") CHECK(std::abs(line.words[0].box.x - 20) <= 4);
}

TEST_CASE("OCR finds few or no confident words in a photo without text", "[vision][ocr]") {
  vision::OcrPool pool({.size = 1});
  for (const char* name : {"fruits.jpg", "orange.jpg", "butterfly.jpg"}) {
    const auto photo = vision::decode(read_bytes(sample(name)));
    const auto result = pool.recognize(photo, {.min_confidence = 80});
    INFO(name << ": " << result.text());
    CHECK(result.word_count() <= 2);
  }
}

TEST_CASE("The OCR pool reuses its engines and never makes more than its size", "[vision][ocr]") {
  vision::OcrPool pool({.size = 2});
  CHECK(pool.engines_created() == 0);  // lazily
  pool.warm_up();
  CHECK(pool.engines_created() == 1);
  const auto image = screenshot_like().image;
  std::vector<std::future<std::string>> runs;
  for (int i = 0; i < 6; ++i)
    runs.push_back(std::async(std::launch::async, [&] { return pool.recognize(image).text(); }));
  std::set<std::string> texts;
  for (auto& run : runs) texts.insert(run.get());
  CHECK(texts.size() == 1);  // every engine reads the same
  CHECK(pool.engines_created() == 2);
  pool.recognize(image);
  CHECK(pool.engines_created() == 2);
}

TEST_CASE("OCR without a language model is unavailable, and an empty image is refused", "[vision][ocr]") {
  TempDir empty_dir;
  vision::OcrPool missing({.size = 1, .tessdata = empty_dir.path().string()});
  try {
    missing.warm_up();
    FAIL("an engine started without a model");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
  CHECK(missing.engines_created() == 0);
  vision::OcrPool pool({.size = 1});
  CHECK_THROWS_AS(pool.recognize(vision::Image{}), Error);
}
