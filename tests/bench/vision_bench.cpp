// The vision module's costs on this machine: OCR of a 1280x800 screenshot-like image (one engine, then two
// engines on two threads), contrast measurement per text node, decoding, faces, redaction and overlays.
// Measures; never asserts. Usage: tyto_bench_vision [OPENCV_SAMPLE_DIR]
#include "tyto/vision/contrast.hpp"
#include "tyto/vision/faces.hpp"
#include "tyto/vision/ocr.hpp"
#include "tyto/vision/overlay.hpp"
#include "tyto/vision/preprocess.hpp"
#include "tyto/vision/redact.hpp"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <random>
#include <string>
#include <vector>

using namespace tyto::vision;
using clock_type = std::chrono::steady_clock;

namespace {

struct Screenshot {
  Image image;
  std::vector<Box> text_nodes;
};

// A page-like picture: a header bar, a sidebar, headings, paragraphs, buttons and links in several colours.
Screenshot screenshot() {
  cv::Mat bgr(800, 1280, CV_8UC3, cv::Scalar(250, 250, 250));
  Screenshot out;
  auto text = [&](const std::string& s, cv::Point at, double scale, cv::Scalar colour, int thickness) {
    int baseline = 0;
    const cv::Size size = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
    cv::putText(bgr, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv::LINE_AA);
    out.text_nodes.push_back({at.x - 4, at.y - size.height - 4, size.width + 8, size.height + baseline + 8});
  };
  cv::rectangle(bgr, cv::Rect(0, 0, 1280, 64), cv::Scalar(90, 50, 20), cv::FILLED);
  text("Tyto Store", {24, 42}, 1.0, {255, 255, 255}, 2);
  for (int i = 0; i < 4; ++i)
    text(std::vector<std::string>{"Home", "Products", "Support", "Account"}[i], {700 + i * 140, 40}, 0.7,
         {230, 230, 230}, 1);
  cv::rectangle(bgr, cv::Rect(0, 64, 240, 736), cv::Scalar(235, 235, 235), cv::FILLED);
  for (int i = 0; i < 8; ++i) text(fmt::format("Category {}", i + 1), {24, 120 + i * 44}, 0.6, {60, 60, 60}, 1);
  text("Spring collection", {280, 130}, 1.3, {30, 30, 30}, 2);
  const std::vector<std::string> words = {"quality", "delivery", "order",     "returns", "within",  "days",
                                          "free",    "shipping", "customers", "reviews", "product", "warranty"};
  std::mt19937 rng(7);
  for (int line = 0; line < 10; ++line) {
    std::string s;
    for (int w = 0; w < 8; ++w) s += (w ? " " : "") + words[rng() % words.size()];
    text(s, {280, 190 + line * 36}, 0.65, line % 3 ? cv::Scalar(70, 70, 70) : cv::Scalar(119, 119, 119), 1);
  }
  for (int b = 0; b < 3; ++b) {
    cv::rectangle(bgr, cv::Rect(280 + b * 220, 600, 190, 50), cv::Scalar(160, 90 + b * 30, 20), cv::FILLED);
    text(std::vector<std::string>{"Add to cart", "Compare", "Save"}[b], {300 + b * 220, 633}, 0.7, {255, 255, 255}, 2);
  }
  text("Terms and privacy", {280, 740}, 0.5, {150, 120, 40}, 1);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  out.image = {rgb.cols, rgb.rows, 3, std::vector<std::uint8_t>(rgb.data, rgb.data + rgb.total() * 3)};
  return out;
}

// Median wall time of `runs` calls, in milliseconds.
double median_ms(int runs, const std::function<void()>& f) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = clock_type::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string samples = argc > 1 ? argv[1] : "/usr/share/doc/opencv-doc/examples/data";
  const Screenshot shot = screenshot();
  const std::string png = encode_png(shot.image);
  fmt::print("== vision: 1280x800 screenshot-like image, {} text nodes, PNG {} KiB\n", shot.text_nodes.size(),
             png.size() / 1024);
  fmt::print("{:<44} {:>9.2f} ms\n", "decode PNG", median_ms(20, [&] { decode(png); }));

  OcrPool one({.size = 1});
  const auto start = clock_type::now();
  one.warm_up();
  fmt::print("{:<44} {:>9.1f} ms\n", "OCR engine initialisation (once)",
             std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  std::size_t words = 0;
  fmt::print("{:<44} {:>9.1f} ms\n", "OCR, page segmentation 3 (auto), median of 5",
             median_ms(5, [&] { words = one.recognize(shot.image).word_count(); }));
  fmt::print("{:<44} {:>9}\n", "  words found", words);
  fmt::print("{:<44} {:>9.1f} ms\n", "OCR, page segmentation 11 (sparse), median of 5",
             median_ms(5, [&] { words = one.recognize(shot.image, {.page_segmentation = 11}).word_count(); }));
  fmt::print("{:<44} {:>9}\n", "  words found", words);

  OcrPool two({.size = 2});
  two.warm_up();
  const int pages = 8;
  const auto pair_start = clock_type::now();
  std::vector<std::future<void>> runs;
  for (int t = 0; t < 2; ++t)
    runs.push_back(std::async(std::launch::async, [&] {
      for (int i = 0; i < pages / 2; ++i) two.recognize(shot.image);
    }));
  for (auto& r : runs) r.get();
  const double seconds = std::chrono::duration<double>(clock_type::now() - pair_start).count();
  fmt::print("{:<44} {:>9.2f} pages/s\n", "OCR, 2 engines on 2 threads", pages / seconds);

  double sink = 0;
  const int rounds = 50;
  const double per_round = median_ms(rounds, [&] {
    for (const auto& box : shot.text_nodes) sink += measure_contrast(shot.image, box).ratio;
  });
  fmt::print("{:<44} {:>9.1f} µs   (checksum {:.1f})\n", "contrast measurement per text node",
             per_round * 1000 / shot.text_nodes.size(), sink / rounds);

  fmt::print("{:<44} {:>9.2f} ms\n", "overlay of every text node + PNG encode", median_ms(10, [&] {
               std::vector<Annotation> a;
               for (const auto& box : shot.text_nodes) a.push_back({box, "text", {230, 40, 40}});
               encode_png(draw_overlay(shot.image, a));
             }));
  fmt::print("{:<44} {:>9.2f} ms\n", "blur redaction of every text node", median_ms(10, [&] {
               Image copy = shot.image;
               redact(copy, shot.text_nodes, RedactMode::kBlur);
             }));

  const std::string photo = read_file(samples + "/messi5.jpg");
  if (!photo.empty()) {
    FaceDetector faces;
    const Image decoded = decode(photo);
    std::size_t found = 0;
    fmt::print("{:<44} {:>9.1f} ms   ({} faces)\n", "faces in messi5.jpg (548x342)",
               median_ms(10, [&] { found = faces.detect(decoded).size(); }), found);
    const Image big = resize(decoded, 1920, 1198);
    fmt::print("{:<44} {:>9.1f} ms\n", "faces in a 1920x1198 photo (searched at 1280)",
               median_ms(5, [&] { faces.detect(big); }));
  }
  return 0;
}
