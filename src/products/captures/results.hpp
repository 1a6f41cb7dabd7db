// The results of a capture as the API answers them (docs/products/captures.md, "Results"):
//   {capture_id, status, version, metrics, skin, shape, quality, calibration, model_versions, keypoints,
//    metrics_json: {original, current}, adjustments}
// A measuring run's results are immutable; users' edits (adjustments) are laid over the latest run to make
// metrics_json.current, each edited figure marked with its original and its adjustment. Pure functions.
#pragma once

#include "store.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace tyto::products::captures {

// How much each edited measurement lowers the overall confidence (multiplied per edit), and its floor.
inline constexpr double kEditConfidenceFactor = 0.9;
inline constexpr double kEditConfidenceFloor = 0.1;

struct Current {
  nlohmann::json metrics;  // name -> {value_cm, uncertainty_cm, confidence, definition, …, edited?, original_cm?}
  double overall_confidence = 0;
  std::vector<std::string> edited;  // names of edited measurements, in order of their first edit
};

// The latest run's metrics with every adjustment that is not rejected applied, oldest first.
Current current_metrics(const nlohmann::json& results, const std::vector<Adjustment>& adjustments);

// The GET /capture/{id}/results body. `first` is the capture's first run, `latest` its latest.
nlohmann::json results_json(const Capture& capture, const MetricsRun& first, const MetricsRun& latest,
                            const std::vector<Adjustment>& adjustments);

// The JSON Schema of the results body, for the OpenAPI document.
nlohmann::json results_schema();

// Measurement names a user may edit, from a run's metrics; and the edits of a PATCH body checked against
// them: {"waist": {"from": <current>, "to": <new>}}. Throws Error(kValidationFailed) naming each bad field.
nlohmann::json checked_changes(const nlohmann::json& body_metrics, const Current& current);

}  // namespace tyto::products::captures
