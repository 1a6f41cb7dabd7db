// Cursor pagination, the one way list routes page: ?limit= and ?cursor= in, {"items": […], "next_cursor": …}
// out. Lists are newest first; a cursor is opaque to clients (the id of the last item of the previous page),
// and next_cursor is null on the last page.
#pragma once

#include "tyto/http/request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::http {

struct PageQuery {
  int limit = 0;                      // items on this page, from ?limit= (page_limit)
  std::optional<std::string> cursor;  // ?cursor=; nullopt when absent or empty

  // Rows to ask the store for: one more than the page holds tells whether a next page exists.
  int fetch() const { return limit + 1; }
};

// The ?limit= (`fallback` when absent, at most `most`; see page_limit) and ?cursor= of req. A cursor that
// `well_formed` refuses is Error(kValidationFailed) with details.fields.cursor; no check when it is empty.
PageQuery page_query(const Request& req, int fallback, int most,
                     const std::function<bool(std::string_view)>& well_formed = {});

// The body of a page: {"items": items, "next_cursor": next_cursor or null}. For lists served whole
// (next_cursor null) and stores that work out the next cursor themselves.
nlohmann::json page_body(nlohmann::json items, std::optional<std::string> next_cursor = std::nullopt);

// The body of a page from rows fetched with q.fetch(): the first q.limit rows through to_json; when more
// came back, next_cursor is cursor_of the last row shown.
template <typename Row, typename ToJson, typename CursorOf>
nlohmann::json page_body(const PageQuery& q, const std::vector<Row>& rows, ToJson to_json, CursorOf cursor_of) {
  nlohmann::json items = nlohmann::json::array();
  const std::size_t shown = std::min(rows.size(), static_cast<std::size_t>(q.limit));
  for (std::size_t i = 0; i < shown; ++i) items.push_back(to_json(rows[i]));
  std::optional<std::string> next;
  if (rows.size() > shown && shown > 0) next = cursor_of(rows[shown - 1]);
  return page_body(std::move(items), std::move(next));
}

// The JSON Schema of a page of `item`s, for RouteDoc::response_schema.
nlohmann::json page_schema(nlohmann::json item = {{"type", "object"}});

}  // namespace tyto::http
