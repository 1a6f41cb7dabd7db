// The captures product's photos for the benchmark, and card detection per image (tests/bench/captures.sh):
//   tyto_bench_captures photos OUT_DIR   writes front.jpg, side.jpg, portrait.jpg at 1280 x 960: opencv-doc's
//                                         photos of a standing man (basketball1.png) and a face (messi5.jpg),
//                                         each with an ID-1 card pasted in perspective at a known scale
//   tyto_bench_captures card DIR ROUNDS  times body::detect_card on each photo of DIR, ROUNDS times; prints
//                                         p50 and p95 per image in ms and whether the card was found
#include "tyto/body/card.hpp"
#include "tyto/vision/image.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string kData = "/usr/share/doc/opencv-doc/examples/data/";
constexpr int kWidth = 1280;
constexpr int kHeight = 960;

// A blue card 85.60 x 53.98 mm at `px_per_mm`, tilted a little, its top-left corner at (x, y).
void paste_card(cv::Mat& img, double x, double y, double px_per_mm) {
  const double w = 85.60 * px_per_mm, h = 53.98 * px_per_mm;
  cv::Mat card(static_cast<int>(h), static_cast<int>(w), CV_8UC3, cv::Scalar(170, 90, 30));
  cv::rectangle(card,
                cv::Rect(static_cast<int>(w * 0.15), static_cast<int>(h * 0.35), static_cast<int>(w * 0.14),
                         static_cast<int>(h * 0.22)),
                cv::Scalar(80, 170, 200), cv::FILLED);  // the chip
  const std::vector<cv::Point2f> from = {
      {0, 0}, {static_cast<float>(w), 0}, {static_cast<float>(w), static_cast<float>(h)}, {0, static_cast<float>(h)}};
  const float fx = static_cast<float>(x), fy = static_cast<float>(y);
  const std::vector<cv::Point2f> to = {{fx, fy},
                                       {fx + static_cast<float>(w), fy + 6},
                                       {fx + static_cast<float>(w) - 4, fy + static_cast<float>(h) + 8},
                                       {fx - 3, fy + static_cast<float>(h)}};
  cv::Mat warped(img.size(), img.type(), cv::Scalar(0, 0, 0));
  cv::Mat mask(img.size(), CV_8U, cv::Scalar(0));
  const cv::Mat m = cv::getPerspectiveTransform(from, to);
  cv::warpPerspective(card, warped, m, img.size(), cv::INTER_LINEAR);
  cv::warpPerspective(cv::Mat(card.size(), CV_8U, cv::Scalar(255)), mask, m, img.size(), cv::INTER_NEAREST);
  warped.copyTo(img, mask);
}

cv::Mat photo_of(const std::string& file, cv::Rect crop) {
  cv::Mat src = cv::imread(kData + file, cv::IMREAD_COLOR);
  if (src.empty()) throw std::runtime_error("cannot read " + file);
  if (crop.area() > 0) src = src(crop & cv::Rect(0, 0, src.cols, src.rows)).clone();
  cv::Mat out(kHeight, kWidth, CV_8UC3, cv::Scalar(200, 205, 210));
  const double s = std::min(static_cast<double>(kWidth) / src.cols, static_cast<double>(kHeight) / src.rows);
  cv::Mat scaled;
  cv::resize(src, scaled, {}, s, s, cv::INTER_AREA);
  scaled.copyTo(out(cv::Rect((kWidth - scaled.cols) / 2, (kHeight - scaled.rows) / 2, scaled.cols, scaled.rows)));
  return out;
}

int photos(const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  cv::Mat man = photo_of("basketball1.png", {0, 0, 320, 480});  // the left half: a man standing, whole
  cv::Mat front = man.clone(), side = man.clone();
  paste_card(front, 880, 520, 1.4);
  paste_card(side, 860, 540, 1.4);
  cv::flip(side, side, 1);
  cv::Mat portrait = photo_of("messi5.jpg", {});
  paste_card(portrait, 60, 640, 2.0);
  cv::imwrite((out / "front.jpg").string(), front, {cv::IMWRITE_JPEG_QUALITY, 90});
  cv::imwrite((out / "side.jpg").string(), side, {cv::IMWRITE_JPEG_QUALITY, 90});
  cv::imwrite((out / "portrait.jpg").string(), portrait, {cv::IMWRITE_JPEG_QUALITY, 90});
  return 0;
}

int card(const std::filesystem::path& dir, int rounds) {
  for (const char* name : {"front.jpg", "side.jpg", "portrait.jpg"}) {
    std::ifstream f(dir / name, std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    const auto img = tyto::vision::decode(bytes.str());
    std::vector<double> ms;
    tyto::body::CardDetection found;
    for (int i = 0; i < rounds; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      found = tyto::body::detect_card(img);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("card %s %dx%d: p50 %.1f ms, p95 %.1f ms, detected %s, px_per_mm %.3f\n", name, img.width, img.height,
                ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], found.detected ? "yes" : "no",
                found.px_per_mm);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "photos" && argc == 3) return photos(argv[2]);
  if (what == "card" && argc == 4) return card(argv[2], std::stoi(argv[3]));
  std::fprintf(stderr, "usage: %s photos OUT_DIR | card DIR ROUNDS\n", argv[0]);
  return 2;
}
