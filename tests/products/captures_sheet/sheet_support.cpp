#include "products/captures_sheet/sheet_support.hpp"

#include "support/test_support.hpp"

#include <cairo.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <regex>

namespace tyto::captures::test {

namespace fs = std::filesystem;

std::string quote(const std::string& arg) {
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

std::string pdf_text(const fs::path& pdf) {
  INFO("pdftotext is Debian's poppler-utils (scripts/packages/test.txt)");
  const auto r = run_command("pdftotext -enc UTF-8 " + quote(pdf.string()) + " -");
  REQUIRE(r.status == 0);
  return std::regex_replace(r.out, std::regex("\\s+"), " ");
}

int pdf_pages(const fs::path& pdf) {
  const auto r = run_command("pdfinfo " + quote(pdf.string()));
  INFO(r.out);
  REQUIRE(r.status == 0);
  std::smatch match;
  REQUIRE(std::regex_search(r.out, match, std::regex("Pages:\\s+(\\d+)")));
  return std::stoi(match[1].str());
}

Raster render_page(const fs::path& pdf, int page, int dpi) {
  const fs::path prefix = pdf.parent_path() / fmt::format("page{}", page);
  const auto r = run_command(fmt::format("pdftoppm -png -r {} -f {} -l {} -singlefile {} {}", dpi, page, page,
                                         quote(pdf.string()), quote(prefix.string())));
  INFO(r.out);
  REQUIRE(r.status == 0);
  const std::string png = prefix.string() + ".png";
  cairo_surface_t* image = cairo_image_surface_create_from_png(png.c_str());
  REQUIRE(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS);
  Raster raster;
  raster.width = cairo_image_surface_get_width(image);
  raster.height = cairo_image_surface_get_height(image);
  const int stride = cairo_image_surface_get_stride(image);
  const auto* data = cairo_image_surface_get_data(image);
  for (int y = 0; y < raster.height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < raster.width; ++x) raster.pixels.push_back(row[x] & 0xFFFFFF);
  }
  cairo_surface_destroy(image);
  return raster;
}

std::vector<std::vector<std::string>> parse_csv_with_python(const std::string& csv) {
  tyto::test::TempDir dir;
  const fs::path file = dir.path() / "sheet.csv";
  tyto::test::write_file(file, csv);
  const auto r = run_command(
      "python3 -c 'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline=\"\", "
      "encoding=\"utf-8\")))))' " +
      quote(file.string()));
  INFO(r.out);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out).get<std::vector<std::vector<std::string>>>();
}

}  // namespace tyto::captures::test
