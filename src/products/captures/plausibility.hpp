// A partner's batch of customer measurements (POST /api/v1/partner/upload-batch), row by row: each value
// parsed in its unit, checked against a plausible range for an adult, and each row's values checked
// against each other (ratios a human body keeps). A row with any error is refused with all of its
// errors; nothing is ever filled in or corrected silently. Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::captures {

struct MeasurementRange {
  std::string_view name;  // "height", "chest", …
  double min_cm;
  double max_cm;
};
// The measurements a batch row may carry, with their plausible ranges in cm.
std::span<const MeasurementRange> measurement_ranges();

// A ratio between two measurements, kept within [min, max] by a plausible body.
struct RatioRule {
  std::string_view numerator;
  std::string_view denominator;
  double min;
  double max;
};
std::span<const RatioRule> ratio_rules();

struct RowResult {
  int row = 0;                                             // 1-based, the header not counted
  std::string external_id;                                 // the partner's own id of the customer, when given
  nlohmann::json measurements = nlohmann::json::object();  // name -> value in cm, as given (converted)
  nlohmann::json errors = nlohmann::json::array();         // [{field, code, message}]
  bool accepted() const { return errors.empty(); }
};

// Rows of a CSV text (header: external_id, unit (cm, mm or in; default cm), then measurement names)
// or of a JSON array of objects with the same keys. Throws tyto::Error(kValidationFailed) when the
// whole body cannot be read (malformed CSV or JSON, no header, no rows, more than max_rows rows);
// problems of single rows are their errors.
std::vector<RowResult> check_batch(std::string_view format, std::string_view body, std::size_t max_rows);

// One row's values (name -> number or text as given) in `unit`: the errors of that row.
RowResult check_row(int row, const nlohmann::json& values);

}  // namespace tyto::products::captures
