#include "detail/check_support.hpp"

#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tyto::products::accessibility::detail {

Issue tyto_issue(const std::string& rule, const std::string& impact, std::vector<std::string> wcag,
                 const std::string& help_url, const nlohmann::json& element) {
  Issue issue;
  issue.rule = rule;
  issue.source = "tyto";
  issue.impact = impact;
  issue.wcag = std::move(wcag);
  issue.status = "violation";
  issue.help_url = help_url;
  issue.selector = element.value("selector", "");
  issue.html = element.value("html", "");
  if (element.contains("box") && element["box"].is_object()) issue.bbox = css_box(element["box"]);
  issue.data = nlohmann::json::object();
  return issue;
}

IssueBox css_box(const nlohmann::json& box) {
  return {box.value("x", 0.0), box.value("y", 0.0), box.value("width", 0.0), box.value("height", 0.0)};
}

vision::Box device_box(const IssueBox& box, double scale, double margin, int image_width, int image_height) {
  const double left = std::floor((box.x - margin) * scale), top = std::floor((box.y - margin) * scale);
  const double right = std::ceil((box.x + box.width + margin) * scale);
  const double bottom = std::ceil((box.y + box.height + margin) * scale);
  const vision::Box raw{static_cast<int>(left), static_cast<int>(top), static_cast<int>(right - left),
                        static_cast<int>(bottom - top)};
  return vision::clip(raw, image_width, image_height);
}

std::optional<vision::Image> cut_from_capture(const vision::Image& captured, const IssueBox& region, double scale) {
  const vision::Box box{
      static_cast<int>(std::lround(region.x * scale)), static_cast<int>(std::lround(region.y * scale)),
      static_cast<int>(std::lround(region.width * scale)), static_cast<int>(std::lround(region.height * scale))};
  if (box.x < 0 || box.y < 0 || box.width <= 0 || box.height <= 0 || box.x + box.width > captured.width ||
      box.y + box.height > captured.height)
    return std::nullopt;
  return vision::crop(captured, box);
}

std::string format_ratio(double ratio) { return fmt::format("{:.2f}", ratio); }

}  // namespace tyto::products::accessibility::detail
