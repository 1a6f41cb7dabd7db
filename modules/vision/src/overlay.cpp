#include "tyto/vision/overlay.hpp"

#include "detail/mat.hpp"
#include "tyto/vision/contrast.hpp"
#include "tyto/vision/preprocess.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace tyto::vision {
namespace {

// Hershey fonts draw ASCII only; anything else becomes '?'.
std::string printable(const std::string& label) {
  std::string out;
  for (unsigned char c : label.substr(0, 80)) out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace

Image draw_overlay(const Image& image, std::span<const Annotation> annotations) {
  Image out = to_rgb(image);
  cv::Mat canvas = detail::view(out);
  const int thickness = std::min(out.width, out.height) < 200 ? 1 : 2;
  const double font_scale = std::clamp(std::min(out.width, out.height) / 900.0, 0.35, 0.8);
  for (const Annotation& a : annotations) {
    const Box box = clip(a.box, out.width, out.height);
    if (box.width == 0) continue;
    const cv::Scalar colour(a.colour.r, a.colour.g, a.colour.b);
    cv::rectangle(canvas, cv::Rect(box.x, box.y, box.width, box.height), colour, thickness, cv::LINE_8);
    const std::string label = printable(a.label);
    if (label.empty()) continue;
    int baseline = 0;
    const cv::Size size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    const int tab_h = size.height + baseline + 4;
    // Above the box when there is room, otherwise inside its top edge.
    const int top = box.y >= tab_h ? box.y - tab_h : box.y;
    const cv::Rect tab(box.x, top, std::min(size.width + 6, out.width - box.x), std::min(tab_h, out.height - top));
    cv::rectangle(canvas, tab, colour, cv::FILLED);
    const bool dark_text = contrast_ratio(a.colour, {0, 0, 0}) >= contrast_ratio(a.colour, {255, 255, 255});
    cv::putText(canvas, label, cv::Point(box.x + 3, top + size.height + 2), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                dark_text ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  return out;
}

}  // namespace tyto::vision
