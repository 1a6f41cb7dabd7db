// The measurement sheets as CSV, through the platform's csv_cell (quoting and formula defusing).
#include "products/captures/sheet/sheet.hpp"
#include "tyto/core/csv.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace tyto::captures {
namespace {

const std::vector<std::string> kColumns = {"name",       "label",  "value_cm",    "uncertainty_cm",
                                           "confidence", "edited", "original_cm", "definition"};

std::string number(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  return fmt::format("{:.{}f}", value, decimals);
}

void append_rows(std::string& out, const Sheet& sheet, bool with_capture_id) {
  std::vector<std::string> cells;
  for (const auto& m : sheet.measurements) {
    cells.clear();
    if (with_capture_id) cells.push_back(sheet.capture_id);
    cells.push_back(m.name);
    cells.push_back(m.label);
    cells.push_back(number(m.value_cm, 2));
    cells.push_back(number(m.uncertainty_cm, 2));
    cells.push_back(number(m.confidence, 3));
    cells.push_back(m.edited ? "true" : "false");
    cells.push_back(m.original_cm ? number(*m.original_cm, 2) : "");
    cells.push_back(m.definition);
    append_csv_row(out, cells);
  }
}

}  // namespace

std::string render_csv(const Sheet& sheet) {
  std::string out;
  append_csv_row(out, kColumns);
  append_rows(out, sheet, false);
  return out;
}

std::string render_csv(std::span<const Sheet> sheets) {
  std::vector<std::string> header = {"capture_id"};
  header.insert(header.end(), kColumns.begin(), kColumns.end());
  std::string out;
  append_csv_row(out, header);
  for (const auto& sheet : sheets) append_rows(out, sheet, true);
  return out;
}

}  // namespace tyto::captures
