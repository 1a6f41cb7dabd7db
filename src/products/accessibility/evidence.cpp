#include "evidence.hpp"

#include "tyto/vision/redact.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace tyto::products::accessibility {
namespace {

vision::Box device_box(const IssueBox& b, double scale, double margin) {
  const double x0 = std::floor((b.x - margin) * scale), y0 = std::floor((b.y - margin) * scale);
  const double x1 = std::ceil((b.x + b.width + margin) * scale), y1 = std::ceil((b.y + b.height + margin) * scale);
  auto clamp = [](double v) { return static_cast<int>(std::clamp(v, -1e9, 1e9)); };
  return {clamp(x0), clamp(y0), clamp(x1 - x0), clamp(y1 - y0)};
}

}  // namespace

Evidence::Evidence(std::string_view screenshot, double scale, const std::vector<IssueBox>& sensitive)
    : Evidence(vision::decode(screenshot), scale, sensitive) {}

Evidence::Evidence(vision::Image screenshot, double scale, const std::vector<IssueBox>& sensitive)
    : image_(std::move(screenshot)), scale_(scale > 0 ? scale : 1) {
  std::vector<vision::Box> boxes;
  for (const auto& b : sensitive) boxes.push_back(device_box(b, scale_, 1));  // a pixel more: anti-aliased edges
  if (!boxes.empty()) masked_ = vision::redact(image_, boxes, vision::RedactMode::kFill, {96, 96, 96});
}

std::string Evidence::png() const { return vision::encode_png(image_); }

std::optional<std::string> Evidence::crop(const IssueBox& box, double margin) const {
  if (!(box.width > 0 && box.height > 0)) return std::nullopt;
  const vision::Box area = vision::clip(device_box(box, scale_, margin), image_.width, image_.height);
  if (area.width <= 0 || area.height <= 0) return std::nullopt;
  vision::Image out;
  out.width = area.width;
  out.height = area.height;
  out.channels = image_.channels;
  const std::size_t row = static_cast<std::size_t>(area.width) * image_.channels;
  out.pixels.resize(row * area.height);
  for (int y = 0; y < area.height; ++y) {
    const std::size_t from = (static_cast<std::size_t>(area.y + y) * image_.width + area.x) * image_.channels;
    std::memcpy(out.pixels.data() + row * y, image_.pixels.data() + from, row);
  }
  return vision::encode_png(out);
}

}  // namespace tyto::products::accessibility
