// An accessibility issue, as every rule reports it (axe-core's, translated, and Tyto's own pixel checks), and
// the shape the API answers (docs/products/accessibility.md).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tyto::products::accessibility {

struct IssueBox {
  double x = 0, y = 0, width = 0, height = 0;  // CSS pixels, page coordinates
};

struct Issue {
  std::string rule;               // axe's rule id ("color-contrast") or Tyto's ("tyto-contrast-pixels")
  std::string source;             // "axe" or "tyto"
  std::string impact;             // "minor", "moderate", "serious" or "critical"
  std::vector<std::string> wcag;  // success criteria: "1.4.3", "2.4.7"
  std::string status;             // "violation" or "needs_review"
  std::string selector;           // a unique CSS selector of the element
  std::string html;               // the element's opening tag and a little content (at most 300 characters)
  std::optional<IssueBox> bbox;
  std::string message;   // what is wrong, for a person: "Contrast 2.9:1 is below 4.5:1 (text #777 on #fff)"
  std::string help_url;  // how to fix it
  nlohmann::json data;   // rule-specific measurements ({"ratio": 2.9, "required": 4.5, "text": "#777777", …})
  std::optional<std::string> evidence_object_id;  // a crop of the screenshot, sensitive inputs masked
};

nlohmann::json issue_json(const Issue& issue);
Issue issue_from_json(const nlohmann::json& j);

}  // namespace tyto::products::accessibility
