// Sheets to render in the measurement sheet's tests, and the real tools that read what they render.
#pragma once

#include "products/captures_sheet/sample_sheet.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace tyto::captures::test {

struct CommandResult {
  int status = -1;
  std::string out;  // stdout and stderr
};
// Runs a shell command to completion.
CommandResult run_command(const std::string& command);
std::string quote(const std::string& arg);

// `pdftotext` of the PDF with every run of white space made one space.
std::string pdf_text(const std::filesystem::path& pdf);
// The "Pages:" line of `pdfinfo`; fails the test when pdfinfo rejects the file.
int pdf_pages(const std::filesystem::path& pdf);

// One page rendered by `pdftoppm -png` at `dpi` and decoded by cairo: rows of 0xRRGGBB.
struct Raster {
  int width = 0, height = 0;
  std::vector<std::uint32_t> pixels;
  std::uint32_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
};
Raster render_page(const std::filesystem::path& pdf, int page, int dpi);

// Rows of cells as Python's csv module reads them.
std::vector<std::vector<std::string>> parse_csv_with_python(const std::string& csv);

}  // namespace tyto::captures::test
