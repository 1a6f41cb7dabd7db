// The captures product's parts without a server: a partner's rows against the plausibility rules, edits laid
// over a measuring run, and edits checked against what was measured.
#include "../plausibility.hpp"
#include "../results.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace tyto::products::captures;
using nlohmann::json;

TEST_CASE("A plausible row is accepted and converted to cm, and nothing is filled in", "[unit][captures]") {
  const auto r = check_row(1, {{"external_id", "C-17"}, {"unit", "in"}, {"height", "70"}, {"waist", 32}, {"hip", ""}});
  INFO(r.errors.dump());
  CHECK(r.accepted());
  CHECK(r.external_id == "C-17");
  CHECK(r.measurements["height"].get<double>() == Approx(177.8));
  CHECK(r.measurements["waist"].get<double>() == Approx(81.3));
  CHECK_FALSE(r.measurements.contains("hip"));  // empty: not measured, and not guessed
  CHECK_FALSE(r.measurements.contains("chest"));
}

TEST_CASE("Implausible rows name every field that is wrong and why", "[unit][captures]") {
  const auto r = check_row(3, {{"height", 400}, {"waist", "eighty"}, {"shoe", 42}, {"unit", "furlong"}});
  CHECK_FALSE(r.accepted());
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& e : r.errors) seen.insert({e["field"].get<std::string>(), e["code"].get<std::string>()});
  CHECK(seen.contains({"height", "out_of_range"}));
  CHECK(seen.contains({"waist", "not_a_number"}));
  CHECK(seen.contains({"shoe", "unknown_field"}));
  CHECK(seen.contains({"unit", "unknown_unit"}));
  // Each value in range, but not together: an inseam longer than half the height.
  const auto ratio = check_row(4, {{"height", 150}, {"inseam", 100}});
  REQUIRE(ratio.errors.size() == 1);
  CHECK(ratio.errors[0]["code"] == "implausible_ratio");
  CHECK(check_row(5, json::object()).errors[0]["code"] == "empty_row");
}

TEST_CASE("A CSV batch is read row by row with per-row errors, and a broken body is refused whole",
          "[unit][captures]") {
  const std::string csv =
      "external_id,unit,height,chest,waist,hip\r\n"
      "a,cm,172,96,82,98\r\n"
      "b,cm,172,96,20,98\r\n"
      "\"c, quoted\",mm,1720,960,820,980\r\n"
      "d,cm,172\r\n";
  const auto rows = check_batch("csv", csv, 100);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].accepted());
  CHECK_FALSE(rows[1].accepted());
  CHECK(rows[1].errors[0]["field"] == "waist");
  CHECK(rows[2].accepted());
  CHECK(rows[2].external_id == "c, quoted");
  CHECK(rows[2].measurements["chest"].get<double>() == Approx(96));
  CHECK_FALSE(rows[3].accepted());  // a short row: the cell count is wrong
  CHECK(rows[3].errors.back()["code"] == "cell_count");
  CHECK_THROWS_AS(check_batch("csv", "a,b\n\"open", 100), tyto::Error);
  CHECK_THROWS_AS(check_batch("csv", "external_id,height\n", 100), tyto::Error);
  CHECK_THROWS_AS(check_batch("json", "{\"rows\": 3}", 100), tyto::Error);
  CHECK_THROWS_AS(check_batch("csv", "height\n170\n171\n172\n", 2), tyto::Error);
  const auto json_rows = check_batch("json", R"([{"external_id": 7, "height": 180}, {"height": -1}])", 10);
  CHECK(json_rows[0].accepted());
  CHECK(json_rows[0].external_id == "7");
  CHECK_FALSE(json_rows[1].accepted());
}

namespace {

json run_results() {
  return {{"metrics",
           {{"waist", {{"value_cm", 81.2}, {"uncertainty_cm", 2.0}, {"confidence", 0.8}}},
            {"hip", {{"value_cm", 99.0}, {"uncertainty_cm", 2.5}, {"confidence", 0.7}}}}},
          {"quality", {{"overall_confidence", 0.8}, {"needs_review", false}}}};
}

Adjustment edit(std::string id, std::string status, json changes) {
  Adjustment a;
  a.id = std::move(id);
  a.user_id = "u1";
  a.status = std::move(status);
  a.changes = std::move(changes);
  a.note = "tape measure";
  return a;
}

}  // namespace

TEST_CASE("Edits are laid over the run: the original stays, rejected edits do not count", "[unit][captures]") {
  const std::vector<Adjustment> edits = {
      edit("a1", "approved", {{"waist", {{"from", 81.2}, {"to", 79.0}}}}),
      edit("a2", "rejected", {{"hip", {{"from", 99.0}, {"to", 120.0}}}}),
      edit("a3", "pending", {{"waist", {{"from", 79.0}, {"to", 78.5}}}}),
  };
  const auto c = current_metrics(run_results(), edits);
  CHECK(c.metrics["waist"]["value_cm"] == 78.5);
  CHECK(c.metrics["waist"]["original_cm"] == 81.2);  // the measured value, not the first edit's
  CHECK(c.metrics["waist"]["edited"] == true);
  CHECK(c.metrics["waist"]["adjustment_id"] == "a3");
  CHECK(c.metrics["hip"]["value_cm"] == 99.0);
  CHECK_FALSE(c.metrics["hip"].contains("edited"));
  CHECK(c.edited == std::vector<std::string>{"waist"});
  CHECK(c.overall_confidence == Approx(0.8 * kEditConfidenceFactor));  // one measurement edited
  const auto untouched = current_metrics(run_results(), {});
  CHECK(untouched.overall_confidence == Approx(0.8));
}

TEST_CASE("An edit must name measured figures with a believable value", "[unit][captures]") {
  const auto c = current_metrics(run_results(), {});
  const auto changes = checked_changes({{"waist", 79.04}, {"hip", {{"value_cm", 97}}}}, c);
  CHECK(changes["waist"]["from"] == 81.2);
  CHECK(changes["waist"]["to"] == 79.0);
  CHECK(changes["hip"]["to"] == 97.0);
  try {
    (void)checked_changes({{"neck", 38}, {"waist", 400}, {"hip", "x"}}, c);
    FAIL("bad edits were accepted");
  } catch (const tyto::Error& e) {
    const auto& f = e.details()["fields"];
    CHECK(f.contains("neck"));   // not measured
    CHECK(f.contains("waist"));  // five times the measurement: a typing error
    CHECK(f.contains("hip"));
  }
  CHECK_THROWS_AS(checked_changes(json::object(), c), tyto::Error);
}

TEST_CASE("Edit after edit stays bounded by the figure as measured", "[unit][captures]") {
  const std::vector<Adjustment> edits = {edit("a1", "pending", {{"waist", {{"from", 81.2}, {"to", 60.0}}}})};
  const auto c = current_metrics(run_results(), edits);
  CHECK(checked_changes({{"waist", 45}}, c)["waist"]["from"] == 60.0);  // half of 81.2 is the floor, not half of 60
  CHECK_THROWS_AS(checked_changes({{"waist", 35}}, c), tyto::Error);
}
