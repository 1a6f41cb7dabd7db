// CSV: writing for exports (RFC 4180 rows ending in CRLF), made safe to open in a spreadsheet, and reading
// what clients upload (a partner's batch).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto {

// One cell: quoted when it holds a comma, a quote or a line break (quotes doubled), and a leading = + - @,
// tab or carriage return defused with a ' so spreadsheets do not run it as a formula.
std::string csv_cell(std::string_view text);

// Appends one row of cells, comma-separated, ending in CRLF.
void append_csv_row(std::string& out, std::span<const std::string> cells);

// The rows of a CSV text (RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; rows
// end in CRLF or LF; a UTF-8 byte-order mark is skipped; a last empty line is not a row). Cells are as
// written (no trimming, no formula defusing). Throws tyto::Error(kValidationFailed, details.reason
// "unterminated_quote" or "text_after_quote", details.line) for malformed quoting, and
// details.reason "too_many_rows" / "too_many_cells" past the limits.
std::vector<std::vector<std::string>> parse_csv(std::string_view text, std::size_t max_rows = 100000,
                                                std::size_t max_cells = 200);

}  // namespace tyto
