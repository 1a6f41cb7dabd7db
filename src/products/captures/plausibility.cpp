#include "plausibility.hpp"

#include "tyto/core/csv.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace tyto::products::captures {
namespace {

using nlohmann::json;

// Adult ranges, wide enough for the 0.1st to 99.9th percentiles of the anthropometric surveys
// (ANSUR II, NHANES) and for loose tape measurements.
constexpr std::array<MeasurementRange, 10> kRanges = {{
    {"height", 120, 230},
    {"chest", 60, 180},
    {"waist", 45, 180},
    {"hip", 60, 190},
    {"neck", 25, 60},
    {"inseam", 50, 110},
    {"shoulder_width", 28, 65},
    {"arm_length", 45, 90},
    {"thigh", 30, 100},
    {"weight_kg", 30, 300},
}};

constexpr std::array<RatioRule, 6> kRatios = {{
    {"inseam", "height", 0.37, 0.54},
    {"chest", "waist", 0.75, 1.75},
    {"hip", "waist", 0.75, 1.9},
    {"neck", "chest", 0.2, 0.55},
    {"shoulder_width", "height", 0.17, 0.32},
    {"waist", "height", 0.3, 1.05},
}};

const MeasurementRange* range_of(std::string_view name) {
  for (const auto& r : kRanges) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

void add_error(RowResult& r, std::string field, std::string code, std::string message) {
  r.errors.push_back({{"field", std::move(field)}, {"code", std::move(code)}, {"message", std::move(message)}});
}

std::optional<double> number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  double out = 0;
  const auto [end, ec] = std::from_chars(s.data() + start, s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || start == s.size()) return std::nullopt;
  return out;
}

}  // namespace

std::span<const MeasurementRange> measurement_ranges() { return kRanges; }
std::span<const RatioRule> ratio_rules() { return kRatios; }

RowResult check_row(int row, const json& values) {
  RowResult r;
  r.row = row;
  if (!values.is_object()) {
    add_error(r, "", "not_an_object", "a row is an object of measurements");
    return r;
  }
  double to_cm = 1;
  std::string unit = "cm";
  if (const auto u = values.find("unit"); u != values.end() && !(u->is_string() && u->get<std::string>().empty())) {
    unit = u->is_string() ? u->get<std::string>() : "";
    if (unit == "cm")
      to_cm = 1;
    else if (unit == "mm")
      to_cm = 0.1;
    else if (unit == "in")
      to_cm = 2.54;
    else
      add_error(r, "unit", "unknown_unit", "unit is cm, mm or in");
  }
  if (const auto id = values.find("external_id"); id != values.end()) {
    if (id->is_string())
      r.external_id = id->get<std::string>();
    else if (id->is_number_integer())
      r.external_id = std::to_string(id->get<std::int64_t>());
    else
      add_error(r, "external_id", "wrong_type", "external_id is text");
    if (r.external_id.size() > 200) add_error(r, "external_id", "too_long", "external_id has at most 200 characters");
  }
  for (const auto& [name, value] : values.items()) {
    if (name == "unit" || name == "external_id") continue;
    const auto* range = range_of(name);
    if (!range) {
      add_error(r, name, "unknown_field", "not a measurement this batch takes");
      continue;
    }
    if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) continue;  // not measured
    const auto v = number(value);
    if (!v || !std::isfinite(*v)) {
      add_error(r, name, "not_a_number", "a number is expected");
      continue;
    }
    // weight is in kg whatever the unit column says
    const double cm = name == "weight_kg" ? *v : *v * to_cm;
    if (cm < range->min_cm || cm > range->max_cm) {
      add_error(r, name, "out_of_range",
                fmt::format("{:.1f} is outside the plausible range {:.0f} to {:.0f}{}", cm, range->min_cm,
                            range->max_cm, name == "weight_kg" ? " kg" : " cm"));
      continue;
    }
    r.measurements[name] = std::round(cm * 10) / 10;
  }
  if (r.measurements.empty() && r.errors.empty()) add_error(r, "", "empty_row", "the row has no measurement");
  for (const auto& rule : kRatios) {
    const std::string n(rule.numerator), d(rule.denominator);
    if (!r.measurements.contains(n) || !r.measurements.contains(d)) continue;
    const double ratio = r.measurements[n].get<double>() / r.measurements[d].get<double>();
    if (ratio < rule.min || ratio > rule.max) {
      add_error(r, n, "implausible_ratio",
                fmt::format("{} / {} is {:.2f}, outside {:.2f} to {:.2f}", n, d, ratio, rule.min, rule.max));
    }
  }
  return r;
}

std::vector<RowResult> check_batch(std::string_view format, std::string_view body, std::size_t max_rows) {
  json rows = json::array();
  if (format == "json") {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_object() && parsed.contains("rows")) parsed = parsed["rows"];
    if (!parsed.is_array()) {
      throw Error(ErrorCode::kValidationFailed, "a JSON batch is an array of rows (or {\"rows\": [...]})",
                  {{"reason", "not_an_array"}});
    }
    rows = std::move(parsed);
  } else {
    const auto table = parse_csv(body, max_rows + 1);
    if (table.empty()) throw Error(ErrorCode::kValidationFailed, "the CSV has no header", {{"reason", "no_header"}});
    const auto& header = table.front();
    for (std::size_t i = 1; i < table.size(); ++i) {
      json row = json::object();
      const auto& cells = table[i];
      if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
      for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
      if (cells.size() != header.size()) {
        row["__cells"] = fmt::format("{} cells where the header has {}", cells.size(), header.size());
      }
      rows.push_back(std::move(row));
    }
  }
  if (rows.empty()) throw Error(ErrorCode::kValidationFailed, "the batch has no rows", {{"reason", "no_rows"}});
  if (rows.size() > max_rows) {
    throw Error(ErrorCode::kValidationFailed, "the batch has too many rows",
                {{"reason", "too_many_rows"}, {"limit", max_rows}});
  }
  std::vector<RowResult> out;
  out.reserve(rows.size());
  int n = 0;
  for (auto& row : rows) {
    std::optional<std::string> cells_problem;
    if (row.is_object() && row.contains("__cells")) {
      cells_problem = row["__cells"].get<std::string>();
      row.erase("__cells");
    }
    auto result = check_row(++n, row);
    if (cells_problem) add_error(result, "", "cell_count", *cells_problem);
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace tyto::products::captures
