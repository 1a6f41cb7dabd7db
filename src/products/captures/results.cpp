#include "results.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::products::captures {

using nlohmann::json;

Current current_metrics(const json& results, const std::vector<Adjustment>& adjustments) {
  Current c;
  c.metrics = results.value("metrics", json::object());
  c.overall_confidence = results.contains("quality") ? results["quality"].value("overall_confidence", 0.0) : 0.0;
  for (const auto& a : adjustments) {
    if (a.status == "rejected") continue;
    for (const auto& [name, change] : a.changes.items()) {
      auto& m = c.metrics[name];
      if (!m.is_object()) m = json::object();
      if (!m.contains("original_cm")) m["original_cm"] = m.contains("value_cm") ? m["value_cm"] : json(nullptr);
      m["value_cm"] = change["to"];
      m["edited"] = true;
      m["adjustment_id"] = a.id;
      m["edited_by"] = a.user_id;
      m["edit_status"] = a.status;
      m["note"] = a.note;
      if (std::find(c.edited.begin(), c.edited.end(), name) == c.edited.end()) c.edited.push_back(name);
    }
  }
  for (std::size_t i = 0; i < c.edited.size(); ++i) {
    c.overall_confidence = std::max(kEditConfidenceFloor, c.overall_confidence * kEditConfidenceFactor);
  }
  return c;
}

json results_json(const Capture& capture, const MetricsRun& first, const MetricsRun& latest,
                  const std::vector<Adjustment>& adjustments) {
  const auto current = current_metrics(latest.results, adjustments);
  json out = latest.results;
  out["capture_id"] = capture.id;
  out["user_id"] = capture.user_id;
  out["status"] = capture.status;
  out["version"] = latest.version;
  out["origin"] = latest.origin;
  out["measured_at"] = format_rfc3339(latest.created_at);
  json quality = out.value("quality", json::object());
  quality["overall_confidence_measured"] = quality.value("overall_confidence", 0.0);
  quality["overall_confidence"] = current.overall_confidence;
  if (!current.edited.empty()) quality["edited"] = current.edited;
  out["quality"] = quality;
  out["metrics_json"] = {{"original", first.results.value("metrics", json::object())}, {"current", current.metrics}};
  json list = json::array();
  for (const auto& a : adjustments) list.push_back(adjustment_json(a));
  out["adjustments"] = list;
  return out;
}

json results_schema() {
  const json measurement = {{"type", "object"},
                            {"properties",
                             {{"value_cm", {{"type", "number"}}},
                              {"uncertainty_cm", {{"type", "number"}}},
                              {"confidence", {{"type", "number"}}},
                              {"definition", {{"type", "string"}}},
                              {"method", {{"type", "string"}}},
                              {"edited", {{"type", "boolean"}}},
                              {"original_cm", {{"type", {"number", "null"}}}}}}};
  return {{"type", "object"},
          {"required", {"capture_id", "status", "version", "metrics", "quality", "metrics_json"}},
          {"properties",
           {{"capture_id", {{"type", "string"}}},
            {"status", {{"type", "string"}}},
            {"version", {{"type", "integer"}}},
            {"metrics", {{"type", "object"}, {"additionalProperties", measurement}}},
            {"skin", {{"type", {"object", "null"}}}},
            {"shape", {{"type", {"string", "null"}}}},
            {"quality", {{"type", "object"}}},
            {"calibration", {{"type", "object"}}},
            {"model_versions", {{"type", "object"}}},
            {"metrics_json",
             {{"type", "object"},
              {"properties",
               {{"original", {{"type", "object"}}},
                {"current", {{"type", "object"}, {"additionalProperties", measurement}}}}}}},
            {"adjustments", {{"type", "array"}}}}}};
}

json checked_changes(const json& body_metrics, const Current& current) {
  json fields = json::object();
  json changes = json::object();
  for (const auto& [name, value] : body_metrics.items()) {
    const auto m = current.metrics.find(name);
    if (m == current.metrics.end() || !m->is_object() || !m->contains("value_cm") || (*m)["value_cm"].is_null()) {
      fields[name] = "not a measurement of this capture";
      continue;
    }
    const double to =
        value.is_object() ? value.value("value_cm", -1.0) : (value.is_number() ? value.get<double>() : -1.0);
    const double from = (*m)["value_cm"].get<double>();
    // Bounded by the figure as measured, so that edit after edit cannot drift away from it.
    const double measured =
        m->contains("original_cm") && (*m)["original_cm"].is_number() ? (*m)["original_cm"].get<double>() : from;
    if (!std::isfinite(to) || to <= 0) {
      fields[name] = "a positive number of cm";
      continue;
    }
    // A user's correction is a tape measurement, not a new body: more than half or double the measured value
    // is a typing error.
    if (to < measured * 0.5 || to > measured * 2.0) {
      fields[name] = "more than half or double the measured value; measure again";
      continue;
    }
    changes[name] = {{"from", from}, {"to", std::round(to * 10) / 10}};
  }
  if (!fields.empty()) throw Error(ErrorCode::kValidationFailed, "invalid metrics", {{"fields", fields}});
  if (changes.empty()) {
    throw Error(ErrorCode::kValidationFailed, "invalid metrics", {{"fields", {{"metrics", "name at least one"}}}});
  }
  return changes;
}

}  // namespace tyto::products::captures
