#include "tyto/core/csv.hpp"
#include "tyto/core/error.hpp"

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

TEST_CASE("CSV text parses into rows with quoted commas, quotes and line breaks", "[core][csv]") {
  const auto rows = tyto::parse_csv("\xEF\xBB\xBFid,note\r\n1,\"a, b\"\r\n2,\"say \"\"hi\"\"\nthere\"\n3,\n\"\",x\n");
  REQUIRE(rows.size() == 5);
  CHECK(rows[0] == std::vector<std::string>{"id", "note"});
  CHECK(rows[1] == std::vector<std::string>{"1", "a, b"});
  CHECK(rows[2] == std::vector<std::string>{"2", "say \"hi\"\nthere"});
  CHECK(rows[3] == std::vector<std::string>{"3", ""});
  CHECK(rows[4] == std::vector<std::string>{"", "x"});
  std::string written;
  tyto::append_csv_row(written, rows[2]);
  CHECK(tyto::parse_csv(written).front() == rows[2]);
}

TEST_CASE("Malformed CSV is refused with the line it went wrong on", "[core][csv]") {
  try {
    (void)tyto::parse_csv("a,b\n1,\"open\n2,3\n");
    FAIL("an unterminated quote was accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.details()["reason"] == "unterminated_quote");
    CHECK(e.details()["line"] == 2);
  }
  CHECK_THROWS_AS(tyto::parse_csv("\"a\"b,c\n"), tyto::Error);
  CHECK_THROWS_AS(tyto::parse_csv("a\nb\nc\n", 2), tyto::Error);
  CHECK_THROWS_AS(tyto::parse_csv("a,b,c\n", 100, 2), tyto::Error);
}
