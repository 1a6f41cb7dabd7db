// The measurement sheet's CSV, read back by Python's csv module.
#include "products/captures/sheet/sheet.hpp"
#include "products/captures_sheet/sheet_support.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <vector>

using namespace tyto::captures;
using namespace tyto::captures::test;

using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("The CSV has a row per measurement that a real parser reads back, formulas defused", "[captures_sheet]") {
  Sheet sheet = sample_sheet(3, 2, true);
  sheet.measurements[0].definition = "Around the chest, \"fullest\" part,\nunder the arms";
  sheet.measurements[1].label = "=HYPERLINK(\"http://evil.example\",\"click\")";
  sheet.measurements[1].name = "@SUM(A1)";
  sheet.measurements[2].label = "+1 hip";
  sheet.measurements[2].definition = "-2 from the floor";
  const std::string csv = render_csv(sheet);
  CHECK(csv.rfind("name,label,value_cm,uncertainty_cm,confidence,edited,original_cm,definition\r\n", 0) == 0);

  const Rows rows = parse_csv_with_python(csv);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"name", "label", "value_cm", "uncertainty_cm", "confidence", "edited",
                                            "original_cm", "definition"});
  CHECK(rows[1] == std::vector<std::string>{"chest_circumference", "Chest circumference", "75.00", "4.00", "0.870",
                                            "true", "73.50", "Around the chest, \"fullest\" part,\nunder the arms"});
  CHECK(rows[2] == std::vector<std::string>{"'@SUM(A1)", "'=HYPERLINK(\"http://evil.example\",\"click\")", "61.50",
                                            "1.50", "0.850", "false", "",
                                            "Horizontal girth at the natural waist, above the navel."});
  CHECK(rows[3][1] == "'+1 hip");
  CHECK(rows[3][7] == "'-2 from the floor");
  CHECK(rows[3][2] == "63.00");
}

TEST_CASE("The CSV of many captures starts each row with its capture id", "[captures_sheet]") {
  std::vector<Sheet> sheets = {sample_sheet(3, 0, false), sample_sheet(2, 1, false), sample_sheet(0, 0, false)};
  sheets[1].capture_id = "=cmd|' /C calc'!A0";
  sheets[2].capture_id = "cap_none";
  const Rows rows = parse_csv_with_python(render_csv(sheets));
  REQUIRE(rows.size() == 1 + 3 + 2);
  CHECK(rows[0].front() == "capture_id");
  CHECK(rows[0].size() == 9);
  for (int i = 1; i <= 3; ++i) CHECK(rows[static_cast<std::size_t>(i)][0] == "cap_01HZX4Q9");
  CHECK(rows[4][0] == "'=cmd|' /C calc'!A0");
  CHECK(rows[5][0] == "'=cmd|' /C calc'!A0");
  CHECK(rows[5][1] == "waist_circumference");
  for (const auto& row : rows) CHECK(row.size() == 9);
}

TEST_CASE("A value that is not a number is an empty CSV cell", "[captures_sheet]") {
  Sheet sheet = sample_sheet(1, 0, false);
  sheet.measurements[0].value_cm = std::numeric_limits<double>::quiet_NaN();
  sheet.measurements[0].confidence = std::numeric_limits<double>::infinity();
  sheet.measurements[0].original_cm.reset();
  const Rows rows = parse_csv_with_python(render_csv(sheet));
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][2] == "");
  CHECK(rows[1][3] == "4.00");
  CHECK(rows[1][4] == "");
  CHECK(rows[1][6] == "");
  // An empty sheet is its header alone.
  CHECK(render_csv(Sheet{}) == "name,label,value_cm,uncertainty_cm,confidence,edited,original_cm,definition\r\n");
}
