#include "issue.hpp"

#include "tyto/core/error.hpp"

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

std::string text(const json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json issue_json(const Issue& issue) {
  json out = {{"rule", issue.rule},
              {"source", issue.source},
              {"impact", issue.impact},
              {"wcag", issue.wcag},
              {"status", issue.status},
              {"selector", issue.selector},
              {"html", issue.html},
              {"bbox", nullptr},
              {"message", issue.message},
              {"help_url", issue.help_url},
              {"data", issue.data.is_null() ? json::object() : issue.data},
              {"evidence_object_id", issue.evidence_object_id ? json(*issue.evidence_object_id) : json(nullptr)}};
  if (issue.bbox) {
    out["bbox"] = {
        {"x", issue.bbox->x}, {"y", issue.bbox->y}, {"width", issue.bbox->width}, {"height", issue.bbox->height}};
  }
  return out;
}

Issue issue_from_json(const json& j) {
  if (!j.is_object()) throw Error(ErrorCode::kValidationFailed, "an issue must be an object");
  Issue issue;
  issue.rule = text(j, "rule");
  issue.source = text(j, "source");
  issue.impact = text(j, "impact");
  if (const auto w = j.find("wcag"); w != j.end() && w->is_array()) {
    for (const auto& c : *w)
      if (c.is_string()) issue.wcag.push_back(c.get<std::string>());
  }
  issue.status = text(j, "status");
  issue.selector = text(j, "selector");
  issue.html = text(j, "html");
  if (const auto b = j.find("bbox"); b != j.end() && b->is_object()) {
    issue.bbox = IssueBox{b->value("x", 0.0), b->value("y", 0.0), b->value("width", 0.0), b->value("height", 0.0)};
  }
  issue.message = text(j, "message");
  issue.help_url = text(j, "help_url");
  issue.data = j.value("data", json::object());
  if (const auto e = j.find("evidence_object_id"); e != j.end() && e->is_string()) {
    issue.evidence_object_id = e->get<std::string>();
  }
  if (issue.rule.empty()) throw Error(ErrorCode::kValidationFailed, "an issue needs a rule");
  return issue;
}

}  // namespace tyto::products::accessibility
