#include "tyto/http/page.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tyto::http;
using nlohmann::json;

namespace {

Request with_query(std::string query) {
  Request req;
  req.query_string = std::move(query);
  return req;
}

json page_of(int limit, const std::vector<int>& rows) {
  PageQuery q{.limit = limit};
  return page_body(
      q, rows, [](int row) { return json(row); }, [](int row) { return "c" + std::to_string(row); });
}

}  // namespace

TEST_CASE("A page query reads limit and cursor, refusing a cursor the route cannot use", "[page]") {
  const auto q = page_query(with_query("limit=5&cursor=abc"), 20, 100);
  CHECK(q.limit == 5);
  CHECK(q.cursor == "abc");
  CHECK(q.fetch() == 6);
  const auto defaults = page_query(with_query("cursor="), 20, 100);
  CHECK(defaults.limit == 20);
  CHECK_FALSE(defaults.cursor);
  CHECK_THROWS_AS(page_query(with_query("limit=101"), 20, 100), tyto::Error);
  const auto digits = [](std::string_view c) { return c.find_first_not_of("0123456789") == std::string_view::npos; };
  CHECK(page_query(with_query("cursor=42"), 20, 100, digits).cursor == "42");
  try {
    page_query(with_query("cursor=4x"), 20, 100, digits);
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    CHECK(e.details()["fields"] == json{{"cursor", "not a cursor"}});
  }
}

TEST_CASE("A page shows at most limit rows and a next cursor only when more came back", "[page]") {
  CHECK(page_of(2, {1, 2, 3}) == json{{"items", {1, 2}}, {"next_cursor", "c2"}});
  CHECK(page_of(2, {1, 2}) == json{{"items", {1, 2}}, {"next_cursor", nullptr}});
  CHECK(page_of(2, {}) == json{{"items", json::array()}, {"next_cursor", nullptr}});
  CHECK(page_body(json::array({"a"})) == json{{"items", {"a"}}, {"next_cursor", nullptr}});
  CHECK(page_body(json::array(), "x") == json{{"items", json::array()}, {"next_cursor", "x"}});
}
