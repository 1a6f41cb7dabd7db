// What the four checks share: issues filled from a page script's element entry, boxes between CSS and
// screenshot pixels, and the screenshot decoded once.
#pragma once

#include "../../issue.hpp"
#include "tyto/vision/image.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tyto::products::accessibility::detail {

// A new issue of a Tyto rule: rule, source "tyto", impact, wcag, status, help_url, and the element's
// selector, html and bbox from a page script's entry ({selector, html, box}).
Issue tyto_issue(const std::string& rule, const std::string& impact, std::vector<std::string> wcag,
                 const std::string& help_url, const nlohmann::json& element);

// A box of the page script ({x, y, width, height}, CSS px), and the same box in screenshot pixels (scaled by
// the device scale factor, grown by `margin` CSS px on each side, rounded outwards, clipped to the image).
IssueBox css_box(const nlohmann::json& box);
vision::Box device_box(const IssueBox& box, double scale, double margin, int image_width, int image_height);

// A region of whole CSS pixels cut from the capture's decoded screenshot at the device scale: the pixels a
// screenshot clipped to the same region shows (of the page as captured). nullopt when the region does not
// lie wholly inside the screenshot (a page taller than the screenshot's limit).
std::optional<vision::Image> cut_from_capture(const vision::Image& captured, const IssueBox& region, double scale);

// "4.48" (two decimals, for messages).
std::string format_ratio(double ratio);

// WCAG 2.2 Understanding pages.
inline constexpr const char* kUnderstanding = "https://www.w3.org/WAI/WCAG22/Understanding/";

}  // namespace tyto::products::accessibility::detail
