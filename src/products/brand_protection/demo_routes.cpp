// The demo marketplace's HTTP face (demo_marketplace.hpp): a search endpoint shaped like the marketplace
// search APIs that the http_json provider reads, and the listings' pictures. It serves no tenant data, only
// what the generator makes: search and listings need a credential like every route, the pictures are public
// like static files (a listings file or a browser can point at them).
#include "demo_routes.hpp"

#include "demo_marketplace.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/router.hpp"

#include <charconv>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

constexpr std::string_view kBase = "/api/v1/brands/demo-marketplace";

json listing_json(const demo::Listing& l) {
  return {{"id", l.id},       {"title", l.title},       {"seller", l.seller}, {"seller_rating", l.seller_rating},
          {"price", l.price}, {"currency", l.currency}, {"url", l.url},       {"image_url", l.image_url}};
}

json listing_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"seller", {{"type", "string"}}},
            {"seller_rating", {{"type", "number"}}},
            {"price", {{"type", "number"}}},
            {"currency", {{"type", "string"}}},
            {"url", {{"type", "string"}}},
            {"image_url", {{"type", "string"}}}}}};
}

int int_query(const http::Request& req, std::string_view name, int fallback, int most) {
  const auto text = req.query(name);
  if (!text || text->empty()) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0 || value > most) {
    throw Error(ErrorCode::kValidationFailed, "invalid query",
                {{"fields", {{std::string(name), "an integer from 0 to " + std::to_string(most)}}}});
  }
  return value;
}

// "demo-0042.jpg" or "demo-0042" → 42; anything else is no listing of the marketplace.
int listing_number(std::string_view text, bool with_extension) {
  if (with_extension) {
    if (text.size() < 4 || text.substr(text.size() - 4) != ".jpg") return -1;
    text.remove_suffix(4);
  }
  if (text.size() != 9 || text.substr(0, 5) != "demo-") return -1;
  int n = -1;
  const auto digits = text.substr(5);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0 || n >= demo::kListings) return -1;
  return n;
}

http::Response jpeg(std::string bytes) {
  auto r = http::Response::text(std::move(bytes), "image/jpeg");
  r.headers.set("Cache-Control", "private, max-age=86400");  // the same bytes for ever
  return r;
}

}  // namespace

void install_demo_routes(http::Router& router) {
  router.add(http::Method::kGet, std::string(kBase) + "/search",
             [](http::Request& req) {
               const std::string q = req.query("q").value_or("");
               const int offset = int_query(req, "offset", 0, demo::kListings);
               const int limit = int_query(req, "limit", 50, 200);
               json items = json::array();
               for (const auto& l : demo::search(q, offset, limit + 1, std::string(kBase)))
                 items.push_back(listing_json(l));
               json next = nullptr;
               if (static_cast<int>(items.size()) > limit) {
                 items.erase(items.size() - 1);
                 next = offset + limit;
               }
               return http::Response::json({{"items", items}, {"next_offset", next}});
             },
             {.summary = "The demo marketplace's search: listings whose title holds every word of ?q=, from ?offset=, "
                         "?limit= at a time (at most 200)",
              .tag = "brand_protection",
              .response_schema = {{"type", "object"},
                                  {"properties",
                                   {{"items", {{"type", "array"}, {"items", listing_schema()}}},
                                    {"next_offset", {{"type", {"integer", "null"}}}}}}}});
  router.add(http::Method::kGet, std::string(kBase) + "/listings/{listing}",
             [](http::Request& req) {
               const int n = listing_number(req.param("listing"), false);
               if (n < 0) throw Error(ErrorCode::kNotFound, "no such demo listing");
               return http::Response::json(listing_json(demo::listing(n, std::string(kBase))));
             },
             {.summary = "One listing of the demo marketplace",
              .tag = "brand_protection",
              .response_schema = listing_schema()});
  router.add(
      http::Method::kGet, std::string(kBase) + "/images/{file}",
      [](http::Request& req) {
        const int n = listing_number(req.param("file"), true);
        if (n < 0) throw Error(ErrorCode::kNotFound, "no such demo picture");
        return jpeg(demo::listing_image(n));
      },
      {.summary = "A demo listing's picture (JPEG)", .tag = "brand_protection", .success_content_type = "image/jpeg"},
      {.public_route = true});
  router.add(
      http::Method::kGet, std::string(kBase) + "/references/{file}",
      [](http::Request& req) {
        const auto file = req.param("file");
        if (file.size() != 5 || file.substr(1) != ".jpg" || file[0] < '0' || file[0] >= '0' + demo::kReferences) {
          throw Error(ErrorCode::kNotFound, "no such demo reference picture");
        }
        return jpeg(demo::reference_image(file[0] - '0'));
      },
      {.summary = "The demo brand Northwind's reference pictures, 0.jpg to 2.jpg (JPEG)",
       .tag = "brand_protection",
       .success_content_type = "image/jpeg"},
      {.public_route = true});
}

}  // namespace tyto::products::brand_protection
