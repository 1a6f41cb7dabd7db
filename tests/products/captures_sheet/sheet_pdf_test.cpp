// The measurement sheet's PDF, read back by Debian's poppler-utils: pdfinfo (a valid PDF, its pages), pdftotext
// (what it says) and pdftoppm (what it shows).
#include "products/captures/sheet/sheet.hpp"
#include "products/captures_sheet/sheet_support.hpp"
#include "support/test_support.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <stdexcept>
#include <thread>

using namespace tyto::captures;
using namespace tyto::captures::test;
namespace fs = std::filesystem;

namespace {

fs::path write_pdf(const tyto::test::TempDir& dir, const std::string& name, const Sheet& sheet) {
  const std::string pdf = render_pdf(sheet);
  REQUIRE(pdf.rfind("%PDF-", 0) == 0);
  const fs::path path = dir.path() / name;
  tyto::test::write_file(path, pdf);
  return path;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The person's colour in the PDF (kPerson in detail/silhouette.cpp) and the measurement lines' red.
bool is_person(std::uint32_t rgb) {
  const int r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  return std::abs(r - 102) <= 8 && std::abs(g - 117) <= 8 && std::abs(b - 143) <= 8;
}
bool is_line_red(std::uint32_t rgb) {
  const int r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  return r > 170 && g < 90 && b < 90;
}

struct Extent {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  long pixels = 0;
};
// Where the person's colour lies in columns [from_x, to_x).
Extent person_extent(const Raster& page, int from_x, int to_x) {
  Extent e;
  for (int y = 0; y < page.height; ++y) {
    for (int x = from_x; x < to_x; ++x) {
      if (!is_person(page.at(x, y))) continue;
      ++e.pixels;
      e.x0 = std::min(e.x0, x), e.x1 = std::max(e.x1, x), e.y0 = std::min(e.y0, y), e.y1 = std::max(e.y1, y);
    }
  }
  return e;
}

}  // namespace

TEST_CASE("A measurement sheet renders to a PDF that poppler reads, with its values, definitions and history",
          "[captures_sheet]") {
  tyto::test::TempDir dir;
  const Sheet sheet = sample_sheet(5, 3, true);
  const fs::path pdf = write_pdf(dir, "sheet.pdf", sheet);

  const auto info = run_command("pdfinfo " + quote(pdf.string()));
  INFO(info.out);
  REQUIRE(info.status == 0);
  CHECK(std::regex_search(info.out, std::regex("Page size:\\s+595\\.2\\d* x 841\\.89 pts \\(A4\\)")));
  CHECK(std::regex_search(info.out, std::regex("Title:\\s+Body measurements cap_01HZX4Q9\\n")));
  CHECK(std::regex_search(info.out, std::regex("Author:\\s+Atelier Nord\\n")));
  // The header, the silhouettes and five measurements fill the first page; the history goes on to the second.
  CHECK(pdf_pages(pdf) == 2);

  const std::string text = pdf_text(pdf);
  INFO(text);
  for (const char* expected :
       {"Body measurements", "Atelier Nord", "cap_01HZX4Q9", "Ada Lovelace", "2026-11-30 09:12 UTC",
        "lead@atelier.example, 2026-12-01 16:05 +01:00", "82%", "Needs review before cutting", "Monk 5, ITA 28°",
        // the measurements: value ± uncertainty, confidence, the definition, the edit and the value before it
        "Measurements (5)", "Chest circumference", "75.0 cm ± 4.0 cm", "87%", "Horizontal girth at the fullest part",
        "edited", "was 73.5 cm", "Waist circumference", "61.5 cm ± 1.5 cm", "85%", "Inside leg", "64.5 cm ± 2.5 cm",
        // the history: when, who, which measurement (by its label), the change, the status and the note
        "Edit history (3)", "2026-11-30 10:01 UTC", "tailor1@atelier.example", "73.5 cm → 75.0 cm", "pending",
        "approved", "by lead@atelier.", "rejected", "Note 2:", "slim fit", "second line",
        // the silhouettes' captions and lines, and the footer
        "Silhouettes", "Front", "Side", "Scale 1:", "Chest", "Waist", "Height", "Page 1 of 2", "Page 2 of 2"}) {
    CAPTURE(expected);
    CHECK(text.find(expected) != std::string::npos);
  }
  // Each edited measurement is marked once; only the first is.
  CHECK(count(text, "edited") == 1);
}

TEST_CASE("Long tables continue on new pages, their header repeated and every page numbered", "[captures_sheet]") {
  tyto::test::TempDir dir;
  const int short_pages = pdf_pages(write_pdf(dir, "short.pdf", sample_sheet(3, 1, true)));
  const fs::path pdf = write_pdf(dir, "long.pdf", sample_sheet(40, 60, true));
  const int pages = pdf_pages(pdf);
  CHECK(short_pages == 1);
  CHECK(pages >= 4);
  const std::string text = pdf_text(pdf);
  for (int i = 1; i <= pages; ++i) CHECK(text.find(fmt::format("Page {} of {}", i, pages)) != std::string::npos);
  CHECK(text.find(fmt::format("Page {} of", pages + 1)) == std::string::npos);
  CHECK(text.find("Measurement (continued)") != std::string::npos);
  CHECK(text.find("When (continued)") != std::string::npos);
  // Every row made it onto some page, once.
  for (int i = 1; i < 40; ++i) {
    CHECK(count(text, fmt::format("{:.1f} cm ± {:.1f} cm", 60 + i * 1.5, 1 + (i % 4) * 0.5)) == 1);
  }
  for (int i = 0; i < 60; ++i) CHECK(count(text, fmt::format("Note {}:", i)) == 1);
  // Each page carries its own number, and no row is cut by a page break: on every page each history row's first
  // line ("Note i:") comes with its last ("second line").
  const std::regex note_start("Note \\d+:");
  int notes = 0;
  for (int page = 1; page <= pages; ++page) {
    const auto r = run_command(fmt::format("pdftotext -f {} -l {} {} -", page, page, quote(pdf.string())));
    REQUIRE(r.status == 0);
    const std::string page_text = std::regex_replace(r.out, std::regex("\\s+"), " ");
    CAPTURE(page);
    CHECK(page_text.find(fmt::format("Page {} of {}", page, pages)) != std::string::npos);
    const auto row_starts =
        std::distance(std::sregex_iterator(page_text.begin(), page_text.end(), note_start), std::sregex_iterator());
    CHECK(row_starts == static_cast<long>(count(page_text, "second line")));
    notes += static_cast<int>(row_starts);
  }
  CHECK(notes == 60);
  // Nothing is drawn into the gap above the footer's rule (784–792 pt from the top): no row overflows a page.
  for (int page = 1; page <= pages; ++page) {
    const Raster raster = render_page(pdf, page, 72);
    long inked = 0;
    for (int y = 786; y <= 790; ++y) {
      for (int x = 0; x < raster.width; ++x) inked += raster.at(x, y) != 0xFFFFFF;
    }
    CAPTURE(page);
    CHECK(inked == 0);
  }
  // More rows, more pages.
  CHECK(pdf_pages(write_pdf(dir, "longer.pdf", sample_sheet(40, 200, true))) > pages);
}

TEST_CASE("The silhouettes are drawn on the first page to the stated scale, with their measurement lines",
          "[captures_sheet]") {
  tyto::test::TempDir dir;
  const fs::path pdf = write_pdf(dir, "sheet.pdf", sample_sheet(5, 3, true));
  constexpr int kDpi = 100;
  const Raster page = render_page(pdf, 1, kDpi);
  REQUIRE(page.width == 827);  // A4 at 100 dpi
  const Extent front = person_extent(page, 0, page.width / 2);
  const Extent side = person_extent(page, page.width / 2, page.width);
  REQUIRE(front.pixels > 5000);
  REQUIRE(side.pixels > 2000);

  // The scale the sheet states, against the person's drawn height: 1,700 mm at 1:N is 1700 / N mm on paper.
  const std::string text = pdf_text(pdf);
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex("Scale 1:(\\d+(\\.\\d)?) at 100% print")));
  const double n = std::stod(match[1].str());
  const double expected_px = 1700 / n / 25.4 * kDpi;
  INFO("1:" << n << ", expected " << expected_px << " px, front " << front.y1 - front.y0 + 1 << ", side "
            << side.y1 - side.y0 + 1);
  CHECK(std::abs((front.y1 - front.y0 + 1) - expected_px) < expected_px * 0.04);
  // Both views are drawn to one scale and stand on one floor.
  CHECK(std::abs((front.y1 - front.y0) - (side.y1 - side.y0)) <= 2);
  CHECK(std::abs(front.y1 - side.y1) <= 2);
  // The front is wider than the side, as the masks are (the arms, 0.36 of the height, against 0.16).
  CHECK(front.x1 - front.x0 > 1.8 * (side.x1 - side.x0));
  // A scale bar: at this scale 50 cm is the first length of at least 40 pt.
  CHECK(text.find("50 cm") != std::string::npos);

  // The measurement lines are drawn in red over each person.
  for (const auto& e : {front, side}) {
    long red = 0;
    for (int y = e.y0; y <= e.y1; ++y) {
      for (int x = std::max(0, e.x0 - 20); x <= std::min(page.width - 1, e.x1 + 20); ++x)
        red += is_line_red(page.at(x, y));
    }
    CHECK(red > 300);
  }

  // Without silhouettes none of this is drawn.
  const Raster plain = render_page(write_pdf(dir, "plain.pdf", sample_sheet(5, 3, false)), 1, kDpi);
  CHECK(person_extent(plain, 0, plain.width).pixels == 0);
}

TEST_CASE("A silhouette without a card scale is drawn to fit and says its scale is unknown", "[captures_sheet]") {
  tyto::test::TempDir dir;
  Sheet sheet = sample_sheet(3, 0, false);
  sheet.front = person_silhouette(true, 0, 300, 600, 20, 590);
  const fs::path pdf = write_pdf(dir, "unscaled.pdf", sheet);
  const std::string text = pdf_text(pdf);
  CHECK(text.find("Scale unknown (no reference card)") != std::string::npos);
  CHECK(text.find("Scale 1:") == std::string::npos);
  const Raster page = render_page(pdf, 1, 72);
  const Extent front = person_extent(page, 0, page.width);
  CHECK(front.pixels > 3000);
  // Fitted to the 250 pt box, less its padding: the 570 px person in a 600 px image is 226 pt tall.
  CHECK(std::abs((front.y1 - front.y0 + 1) - 238.0 * 570 / 600) < 5);
}

TEST_CASE("A sheet without history, silhouettes or measurements still renders", "[captures_sheet]") {
  tyto::test::TempDir dir;
  const fs::path pdf = write_pdf(dir, "bare.pdf", sample_sheet(4, 0, false));
  CHECK(pdf_pages(pdf) == 1);
  const std::string text = pdf_text(pdf);
  CHECK(text.find("Edit history (0) No edits.") != std::string::npos);
  CHECK(text.find("Silhouettes") == std::string::npos);
  CHECK(text.find("Inside leg") != std::string::npos);

  Sheet empty;
  empty.capture_id = "cap_empty";
  const fs::path empty_pdf = write_pdf(dir, "empty.pdf", empty);
  CHECK(pdf_pages(empty_pdf) == 1);
  const std::string empty_text = pdf_text(empty_pdf);
  CHECK(empty_text.find("Measurements (0) No measurements.") != std::string::npos);
  CHECK(empty_text.find("No edits.") != std::string::npos);
  CHECK(empty_text.find("not yet") != std::string::npos);
  CHECK(empty_text.find("Not needed") != std::string::npos);
}

TEST_CASE("Invalid UTF-8, control characters and very long words do not stop the drawing", "[captures_sheet]") {
  tyto::test::TempDir dir;
  Sheet sheet = sample_sheet(3, 2, false);
  sheet.customer = "Bad \xff\xfe bytes\x01 and \xe2\x82 a cut sequence";
  sheet.measurements[0].label = "Chest\tcircumference \xc0\xaf";
  sheet.measurements[1].definition = std::string(3000, 'x');  // one word, longer than any page
  sheet.history[0].note = std::string(20000, 'y') + " end";
  const fs::path pdf = write_pdf(dir, "odd.pdf", sheet);
  CHECK(pdf_pages(pdf) >= 1);
  const std::string text = pdf_text(pdf);
  // Invalid bytes show as U+FFFD, and everything after them is still drawn.
  CHECK(text.find("Bad \xEF\xBF\xBD\xEF\xBF\xBD bytes and \xEF\xBF\xBD a cut sequence") != std::string::npos);
  CHECK(text.find("Chest circumference") != std::string::npos);
  CHECK(text.find("Hip circumference") != std::string::npos);
  CHECK(text.find("Note 1:") != std::string::npos);
  // A cell is cut after 24 lines, ending in an ellipsis, so that no row outgrows a page.
  CHECK(text.find("y\xE2\x80\xA6") != std::string::npos);
  CHECK(text.find("y end") == std::string::npos);
}

TEST_CASE("Lengths are printed in the sheet's units, and unknown units or bad masks are refused", "[captures_sheet]") {
  tyto::test::TempDir dir;
  Sheet sheet = sample_sheet(2, 1, false);
  sheet.units = "in";
  std::string text = pdf_text(write_pdf(dir, "in.pdf", sheet));
  CHECK(text.find("29.53 in ± 1.57 in") != std::string::npos);
  CHECK(text.find("28.94 in → 29.53 in") != std::string::npos);
  sheet.units = "mm";
  text = pdf_text(write_pdf(dir, "mm.pdf", sheet));
  CHECK(text.find("750 mm ± 40 mm") != std::string::npos);

  sheet.units = "furlong";
  CHECK_THROWS_AS(render_pdf(sheet), std::invalid_argument);
  sheet.units = "cm";
  sheet.front = person_silhouette(true, 0.5, 100, 200, 5, 195);
  sheet.front->mask.pop_back();
  CHECK_THROWS_AS(render_pdf(sheet), std::invalid_argument);
  sheet.front->width = 0;
  sheet.front->mask.clear();
  CHECK_THROWS_AS(render_pdf(sheet), std::invalid_argument);
}

TEST_CASE("Sheets render on many threads at once", "[captures_sheet]") {
  tyto::test::TempDir dir;
  const Sheet sheet = sample_sheet(12, 10, true);
  const std::string expected = pdf_text(write_pdf(dir, "one.pdf", sheet));
  constexpr int kThreads = 4, kEach = 3;
  std::vector<std::vector<std::string>> pdfs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) pdfs[static_cast<std::size_t>(t)].push_back(render_pdf(sheet));
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const fs::path path = dir.path() / fmt::format("t{}_{}.pdf", t, i);
      tyto::test::write_file(path, pdfs[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)]);
      CHECK(pdf_text(path) == expected);
    }
  }
}
