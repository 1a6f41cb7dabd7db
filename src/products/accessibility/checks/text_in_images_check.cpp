// text_in_images: each visible <img>, CSS background image and <canvas> is cropped from the screenshot and
// read by Tesseract; the confident words (at least three letters) that its accessible name does not carry
// are text a screen reader never announces (WCAG 1.1.1) and text set as an image (1.4.5).
#include "checks.hpp"
#include "detail/check_support.hpp"
#include "detail/page_scripts.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/ocr.hpp"
#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

constexpr const char* kRule = "tyto-text-in-image";
constexpr int kMinSide = 24;              // CSS px: smaller images are icons, too small to hold text to read
constexpr float kMinConfidence = 75;      // Tesseract's word confidence; photos give few words above it
constexpr std::size_t kMinLetters = 3;    // shorter "words" are mostly texture read as letters
constexpr std::size_t kMaxElements = 60;  // OCR per element costs ~50-300 ms

// Lowercase letters and digits only: "Sale!" → "sale".
std::string normalise(const std::string& word) {
  std::string out;
  for (unsigned char c : word)
    if (std::isalnum(c) || c >= 0x80) out.push_back(static_cast<char>(std::tolower(c)));
  return out;
}

std::size_t letters(const std::string& word) {
  return static_cast<std::size_t>(
      std::count_if(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c); }));
}

std::set<std::string> name_words(const std::string& name) {
  std::set<std::string> out;
  std::string word;
  for (char c : name + " ") {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '-' || c == '/') {
      if (const std::string n = normalise(word); !n.empty()) out.insert(n);
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  return out;
}

// Levenshtein distance, for OCR's one-letter slips on long words ("Spr1ng" for "Spring").
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool carried(const std::string& word, const std::set<std::string>& name) {
  if (name.count(word)) return true;
  if (word.size() < 5) return false;
  return std::any_of(name.begin(), name.end(), [&](const std::string& n) { return distance(word, n) <= 1; });
}

struct Reading {
  std::string text;                  // every confident word, in reading order
  std::vector<std::string> missing;  // those the name does not carry
};

Reading read(vision::OcrPool& ocr, const vision::Image& crop, const std::set<std::string>& name, double scale) {
  vision::OcrOptions options;
  options.page_segmentation = 11;  // sparse text: labels and slogans scattered over a picture
  options.min_confidence = kMinConfidence;
  options.upscale = std::clamp(2.0 / scale, 1.0, 3.0);  // Tesseract reads 20 px+ glyphs best
  Reading out;
  for (const vision::OcrLine& line : ocr.recognize(crop, options).lines) {
    for (const vision::OcrWord& word : line.words) {
      const std::string n = normalise(word.text);
      if (letters(n) < kMinLetters || letters(n) * 3 < n.size() * 2) continue;
      out.text += (out.text.empty() ? "" : " ") + word.text;
      if (!carried(n, name)) out.missing.push_back(word.text);
    }
  }
  return out;
}

}  // namespace

json image_elements(browser::Page& page) { return page.evaluate(detail::image_elements_script(kMinSide)); }

CheckOutcome text_in_images(const CheckInputs& in, vision::OcrPool& ocr) {
  return text_in_images(in.render, image_elements(in.page), ocr);
}

CheckOutcome text_in_images(const browser::RenderResult& render, const json& elements, vision::OcrPool& ocr,
                            const vision::Image* decoded) {
  CheckOutcome out;
  if (!elements.is_array() || elements.empty()) return out;
  if (!decoded && render.screenshot_png.empty())
    throw Error(ErrorCode::kValidationFailed, "text in images needs the render's screenshot");
  std::optional<vision::Image> own;
  if (!decoded) own = vision::decode(render.screenshot_png);
  const vision::Image& screenshot = decoded ? *decoded : *own;
  const double scale = render.device_scale_factor > 0 ? render.device_scale_factor : 1.0;

  for (std::size_t i = 0; i < elements.size() && i < kMaxElements; ++i) {
    const json& e = elements[i];
    const vision::Box box =
        detail::device_box(detail::css_box(e["box"]), scale, 0, screenshot.width, screenshot.height);
    if (box.width < kMinSide * scale || box.height < kMinSide * scale) continue;  // off the screenshot
    const std::string name = e.value("name", "");
    const Reading reading = read(ocr, vision::crop(screenshot, box), name_words(name), scale);
    Issue issue = detail::tyto_issue(kRule, "moderate", {"1.1.1", "1.4.5"},
                                     std::string(detail::kUnderstanding) + "images-of-text.html", e);
    const std::string kind = e.value("kind", "img");
    const std::string what = kind == "img" ? "The image" : kind == "canvas" ? "The canvas" : "The background image";
    issue.message = e.value("decorative", false)
                        ? fmt::format("{} is marked decorative but shows text: \"{}\"", what, reading.text)
                        : fmt::format("{} shows text that its accessible name (\"{}\") does not carry: \"{}\"", what,
                                      name, reading.text);
    issue.data = {{"ocr_text", reading.text},
                  {"accessible_name", name},
                  {"missing_words", reading.missing},
                  {"kind", kind},
                  {"decorative", e.value("decorative", false)}};
    if (reading.missing.empty()) {
      issue.status = "pass";
      issue.message = "The accessible name carries the text read in the image";
      out.passed.push_back(std::move(issue));
      ++out.passes;
      continue;
    }
    out.issues.push_back(std::move(issue));
  }
  return out;
}

}  // namespace tyto::products::accessibility
