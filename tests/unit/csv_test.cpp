#include "tyto/core/csv.hpp"

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("CSV cells are quoted where they must be and formulas are defused", "[core][csv]") {
  CHECK(tyto::csv_cell("plain") == "plain");
  CHECK(tyto::csv_cell("a,b") == "\"a,b\"");
  CHECK(tyto::csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(tyto::csv_cell("two\nlines") == "\"two\nlines\"");
  CHECK(tyto::csv_cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(tyto::csv_cell("+1") == "'+1");
  CHECK(tyto::csv_cell("-2") == "'-2");
  CHECK(tyto::csv_cell("@sum") == "'@sum");
  CHECK(tyto::csv_cell("") == "");
}

TEST_CASE("A CSV row joins its cells with commas and ends in CRLF", "[core][csv]") {
  std::string out = "h1,h2\r\n";
  const std::vector<std::string> cells = {"a", "b,c", ""};
  tyto::append_csv_row(out, cells);
  CHECK(out == "h1,h2\r\na,\"b,c\",\r\n");
}
