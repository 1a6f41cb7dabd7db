// CSV for exports (RFC 4180 rows ending in CRLF), made safe to open in a spreadsheet.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tyto {

// One cell: quoted when it holds a comma, a quote or a line break (quotes doubled), and a leading = + - @,
// tab or carriage return defused with a ' so spreadsheets do not run it as a formula.
std::string csv_cell(std::string_view text);

// Appends one row of cells, comma-separated, ending in CRLF.
void append_csv_row(std::string& out, std::span<const std::string> cells);

}  // namespace tyto
