// Tailor-ready measurement sheets of one body-measurement capture: an A4 PDF (cairo) and CSV
// (docs/products/captures-sheet.md, "Exports").
//
// Both renderers are pure functions of their input: they keep no state, so any number of threads may call them at
// once. Text is UTF-8; bytes that are not valid UTF-8 are shown as U+FFFD in the PDF and passed through unchanged
// in the CSV.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tyto::captures {

// One measurement as the sheet shows it. Lengths are in centimetres whatever Sheet::units says.
struct SheetMeasurement {
  std::string name;        // stable key, e.g. "chest_circumference"
  std::string label;       // shown to people, e.g. "Chest circumference"
  std::string definition;  // how it is taken, printed in small type under the label
  double value_cm = 0;
  double uncertainty_cm = 0;  // printed as "± …"
  double confidence = 0;      // 0…1, printed as a percentage with a bar
  bool edited = false;
  std::optional<double> original_cm;  // the measured value before an edit, printed beside the "edited" marker
};

// One entry of the audited edit history.
struct SheetEdit {
  std::string at;  // RFC 3339
  std::string by;
  std::string measurement;  // a SheetMeasurement::name (shown by its label when the sheet has it)
  std::string note;
  double from_cm = 0;
  double to_cm = 0;
  std::string status;  // pending | approved | rejected
  std::string approved_by;
};

// A measurement line over a silhouette, in the silhouette's pixel coordinates.
struct SheetLine {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::string label;
};

// A person's mask from one view. mask holds width × height bytes, row by row; a byte >= 128 is the person.
// px_per_mm is the scale the reference card gave; 0 (or less) means unknown, and the silhouette is then drawn to
// fit with "scale unknown" instead of a scale bar.
struct SheetSilhouette {
  int width = 0, height = 0;
  std::vector<std::uint8_t> mask;
  double px_per_mm = 0;
  std::vector<SheetLine> lines;
  std::string title;  // "Front" or "Side" when empty
};

struct Sheet {
  std::string capture_id;
  std::string customer;  // display name or id
  std::string created_at, approved_by, approved_at, tenant_name;
  std::vector<SheetMeasurement> measurements;
  std::vector<SheetEdit> history;
  std::optional<SheetSilhouette> front, side;
  double overall_confidence = 0;  // 0…1
  bool needs_review = false;
  std::string skin_summary;  // one line, e.g. "Monk 5, ITA 28°"; omitted when empty
  std::string units = "cm";  // what the PDF prints lengths in: "cm", "mm" or "in" (the CSV is always in cm)
};

// The sheet as the bytes of an A4 PDF: a header with the capture's id, customer, dates and approval; the
// silhouettes drawn to one scale, stated as 1:N and a 10 cm bar, with the measurement lines and their labels; the
// measurements table; the edit history; a footer "Page i of n" on every page. Tables continue on new pages
// (their header repeated). Throws std::invalid_argument for units other than cm, mm and in, and for a silhouette
// whose mask is not width × height bytes (or whose size is not positive or above 8192 × 8192); std::runtime_error
// if cairo fails.
std::string render_pdf(const Sheet& sheet);

// RFC 4180 CSV (CRLF rows, tyto::csv_cell quoting, cells starting with = + - @ defused with a leading '): a header
// row, then one row per measurement: name,label,value_cm,uncertainty_cm,confidence,edited,original_cm,definition.
// Lengths have two decimals, confidence three (0…1), edited is true/false, original_cm is empty when there is
// none; a value that is not finite is an empty cell.
std::string render_csv(const Sheet& sheet);

// The same for many captures in one file: capture_id is the first column.
std::string render_csv(std::span<const Sheet> sheets);

}  // namespace tyto::captures
