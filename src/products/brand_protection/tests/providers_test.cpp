// Search providers against real parts: the demo marketplace in process, the http_json provider against a
// running tyto's demo marketplace routes through the platform's outbound client (SSRF guard included), and
// the file provider on CSV and JSON files whose pictures come from that server.
#include "../providers.hpp"
#include "../demo_marketplace.hpp"
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace tyto::test;
using namespace tyto::products::brand_protection;
using nlohmann::json;

namespace {

tyto::ErrorCode error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const tyto::Error& e) {
    return e.code();
  }
  FAIL("no tyto::Error thrown");
  return tyto::ErrorCode::kInternal;
}

ProviderServices services(const tyto::http::OutboundClient& client, std::map<std::string, std::string> objects = {}) {
  return {client, [objects](const std::string& id, std::size_t) {
            const auto it = objects.find(id);
            if (it == objects.end()) throw tyto::Error(tyto::ErrorCode::kNotFound, "no such object");
            return it->second;
          }};
}

}  // namespace

TEST_CASE("CSV is parsed with quotes, doubled quotes, CRLF and a byte-order mark", "[brand_protection]") {
  const auto rows =
      parse_csv("\xEF\xBB\xBFid,title\r\n1,\"Jacket, \"\"waterproof\"\"\"\r\n2,Boots\n\n3,\"two\nlines\"");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"id", "title"});
  CHECK(rows[1] == std::vector<std::string>{"1", "Jacket, \"waterproof\""});
  CHECK(rows[2] == std::vector<std::string>{"2", "Boots"});
  CHECK(rows[3] == std::vector<std::string>{"3", "two\nlines"});
  CHECK(parse_csv("a,,c").front() == std::vector<std::string>{"a", "", "c"});
  CHECK(error_of([] { parse_csv("id,title\n1,\"never ends"); }) == tyto::ErrorCode::kValidationFailed);
  CHECK(picture_type(demo::reference_image(0)) == "image/jpeg");
  CHECK(picture_type("{\"items\":[]}").empty());
}

TEST_CASE("The demo provider pages through the whole marketplace and hands out its pictures", "[brand_protection]") {
  tyto::http::OutboundPolicy policy;
  tyto::http::OutboundClient client(policy);
  auto provider = make_provider({{"type", "demo"}}, services(client));
  CHECK(provider->kind() == "demo");
  std::set<std::string> ids;
  for (int page = 0;; ++page) {
    const auto p = provider->search("", page);
    for (const auto& l : p.listings) CHECK(ids.insert(l.id).second);
    if (p.last) break;
  }
  CHECK(ids.size() == static_cast<std::size_t>(demo::kListings));
  const auto l = provider->search("northwind", 0).listings.front();
  CHECK(picture_type(provider->fetch_image(l)) == "image/jpeg");
  CHECK(error_of([&] { provider->fetch_image({"demo-9999", "x"}); }) == tyto::ErrorCode::kNotFound);
  CHECK(error_of([&] { make_provider({{"type", "ftp"}}, services(client)); }) == tyto::ErrorCode::kValidationFailed);
}

TEST_CASE("The http_json provider reads a JSON search API through the outbound client and its SSRF guard",
          "[integration][brand_protection]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  const std::string origin = "http://127.0.0.1:" + std::to_string(server->port());
  const json spec = {{"type", "http_json"},
                     {"url_template", origin + "/api/v1/brands/demo-marketplace/search?q={query}&offset={offset}"
                                               "&limit={limit}"},
                     {"items", "/items"},
                     {"fields", {{"id", "/id"}, {"image_url", "/image_url"}}},
                     {"page_size", 40},
                     {"max_pages", 3},
                     {"api_key", std::string("Bearer ") + kAdminKey},
                     {"api_key_header", "Authorization"}};

  tyto::http::OutboundPolicy allowed({"127.0.0.1/32"});
  tyto::http::OutboundClient client(allowed);
  auto provider = make_provider(spec, services(client));
  auto first = provider->search("northwind trail", 0);
  REQUIRE_FALSE(first.listings.empty());
  for (const auto& l : first.listings) {
    CHECK(l.title.find("Northwind Trail") != std::string::npos);
    CHECK(l.price.has_value());
    CHECK(l.image_url.rfind(origin + "/api/v1/brands/demo-marketplace/images/", 0) == 0);  // made absolute
  }
  // The key reaches the provider's own origin, so its pictures come back too.
  CHECK(picture_type(provider->fetch_image(first.listings.front())) == "image/jpeg");
  // Pages follow {offset}; max_pages ends the search.
  auto all = make_provider(spec, services(client));
  std::set<std::string> ids;
  int pages = 0;
  for (int page = 0;; ++page, ++pages) {
    const auto p = all->search("", page);
    for (const auto& l : p.listings) CHECK(ids.insert(l.id).second);
    if (p.last) break;
  }
  CHECK(pages + 1 == 3);
  CHECK(ids.size() == 120);

  // Something that is not a picture is refused; so is an answer without the items array.
  ProviderListing not_picture{"x", "x"};
  not_picture.image_url = origin + "/health";
  CHECK(error_of([&] { provider->fetch_image(not_picture); }) == tyto::ErrorCode::kValidationFailed);
  json wrong_items = spec;
  wrong_items["items"] = "/results";
  CHECK(error_of([&] { make_provider(wrong_items, services(client))->search("x", 0); }) ==
        tyto::ErrorCode::kValidationFailed);
  // A wrong key is the provider's refusal, reported as unavailable with its status.
  json wrong_key = spec;
  wrong_key["api_key"] = "Bearer nope";
  CHECK(error_of([&] { make_provider(wrong_key, services(client))->search("x", 0); }) == tyto::ErrorCode::kUnavailable);

  // Without an allowlist, loopback is a private address: listings and pictures alike are refused.
  tyto::http::OutboundPolicy strict;
  tyto::http::OutboundClient guarded(strict);
  CHECK(error_of([&] { make_provider(spec, services(guarded))->search("x", 0); }) == tyto::ErrorCode::kForbidden);
  CHECK(error_of([&] { make_provider(spec, services(guarded))->fetch_image(first.listings.front()); }) ==
        tyto::ErrorCode::kForbidden);
  CHECK(error_of([&] {
          make_provider({{"type", "http_json"}, {"url_template", "http://example.com/search"}}, services(guarded));
        }) == tyto::ErrorCode::kValidationFailed);
}

TEST_CASE("The file provider reads CSV and JSON listing files and fetches their pictures",
          "[integration][brand_protection]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  const std::string images =
      "http://127.0.0.1:" + std::to_string(server->port()) + "/api/v1/brands/demo-marketplace/references/";
  tyto::http::OutboundPolicy allowed({"127.0.0.1/32"});
  tyto::http::OutboundClient client(allowed);
  const std::map<std::string, std::string> files = {
      {"csv",
       "id,title,price,currency,seller,image_url\n"
       "a1,\"Trail jacket, replica\",19.5,EUR,cheap_brands_hk," +
           images +
           "0.jpg\n"
           "a2,Desk lamp,30,EUR,homeware_co,\n"
           ",no id,1,EUR,x,\n"},
      {"json",
       json::array({{{"id", "j1"}, {"title", "Summit pack"}, {"price", "45.00"}}, {{"title", "no id"}}}).dump()},
      {"empty", "id,title\n"},
      {"broken", "[{\"id\": 1,"}};

  auto csv = make_provider({{"type", "file"}, {"object_id", "csv"}}, services(client, files));
  const auto page = csv->search("anything", 0);
  REQUIRE(page.listings.size() == 2);  // the row without an id is skipped
  CHECK(page.last);
  CHECK(page.listings[0].title == "Trail jacket, replica");
  CHECK(page.listings[0].price == 19.5);
  CHECK(picture_type(csv->fetch_image(page.listings[0])) == "image/jpeg");
  CHECK(error_of([&] { csv->fetch_image(page.listings[1]); }) == tyto::ErrorCode::kValidationFailed);  // no URL
  // A URL that answers 401 (the search needs a credential the file provider does not send) is an error.
  ProviderListing refused = page.listings[0];
  refused.image_url = "http://127.0.0.1:" + std::to_string(server->port()) + "/api/v1/brands/demo-marketplace/search";
  CHECK(error_of([&] { csv->fetch_image(refused); }) == tyto::ErrorCode::kUnavailable);

  auto js = make_provider({{"type", "file"}, {"object_id", "json"}}, services(client, files));
  REQUIRE(js->search("", 0).listings.size() == 1);
  CHECK(js->search("", 0).listings[0].price == 45.0);

  for (const std::string bad : {"empty", "broken"}) {
    INFO(bad);
    CHECK(error_of([&] {
            make_provider({{"type", "file"}, {"object_id", bad}}, services(client, files));
          }) == tyto::ErrorCode::kValidationFailed);
  }
  CHECK(error_of([&] {
          make_provider({{"type", "file"}, {"object_id", "gone"}}, services(client, files));
        }) == tyto::ErrorCode::kNotFound);
}
