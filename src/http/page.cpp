#include "tyto/http/page.hpp"

#include "tyto/core/error.hpp"

namespace tyto::http {

PageQuery page_query(const Request& req, int fallback, int most,
                     const std::function<bool(std::string_view)>& well_formed) {
  PageQuery q;
  q.limit = page_limit(req, fallback, most);
  if (auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
    if (well_formed && !well_formed(*cursor)) throw validation_error("invalid query", {{"cursor", "not a cursor"}});
    q.cursor = std::move(*cursor);
  }
  return q;
}

nlohmann::json page_body(nlohmann::json items, std::optional<std::string> next_cursor) {
  return {{"items", std::move(items)}, {"next_cursor", next_cursor ? nlohmann::json(*next_cursor) : nlohmann::json()}};
}

nlohmann::json page_schema(nlohmann::json item) {
  return {
      {"type", "object"},
      {"required", {"items", "next_cursor"}},
      {"properties",
       {{"items", {{"type", "array"}, {"items", std::move(item)}}}, {"next_cursor", {{"type", {"string", "null"}}}}}}};
}

}  // namespace tyto::http
