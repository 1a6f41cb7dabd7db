// The brand-protection product in the real tyto binary, on SQLite and PostgreSQL: brands through the API
// (validation, defaults, partial changes, conflicts, audit), tenant isolation and personal data.
#include "../demo_marketplace.hpp"
#include "integration/backends.hpp"
#include "integration/isolation_matrix.hpp"
#include "integration/unzip.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>

using namespace tyto::test;
using nlohmann::json;

namespace {

json acme() {
  return {{"name", "Acme"},
          {"aliases", {"ACME Corp"}},
          {"misspellings", {"Acmee", "Akme"}},
          {"fraud_terms", {"replica", "1:1 copy"}},
          {"keywords", {"roadrunner"}},
          {"categories", {"shoes"}},
          {"price_band", {{"min", 80}, {"max", 240}, {"currency", "EUR"}}},
          {"weights", {{"image", 2.0}}},
          {"thresholds", {{"flag", 0.9}, {"review", 0.6}}},
          {"schedule", "daily"},
          {"scan_provider", {{"type", "demo"}}}};
}

}  // namespace

TEMPLATE_TEST_CASE("Brands are created, read, listed, changed and deleted through the API",
                   "[integration][brand_protection]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();

  // Migrated under the product's own name.
  auto db = backend.open();
  CHECK(db->query("SELECT name FROM schema_migrations WHERE component = 'brand_protection'").rows.size() == 3);

  auto created = api(port, "POST", "/api/v1/brands", acme());
  INFO(created.raw.body);
  REQUIRE(created.status == 201);
  const std::string id = created.body["id"];
  CHECK(created.body["name"] == "Acme");
  CHECK(created.body["misspellings"] == json({"Acmee", "Akme"}));
  CHECK(created.body["price_band"]["currency"] == "EUR");
  CHECK(created.body["schedule"] == "daily");
  CHECK(created.body["reference_images"] == 0);
  // Weights not given keep their defaults; the one given replaces its default.
  CHECK(created.body["weights"]["image"] == 2.0);
  CHECK(created.body["weights"]["text"] == 1.0);

  // A minimal brand gets every documented member with its default.
  auto minimal = api(port, "POST", "/api/v1/brands", {{"name", "Globex"}});
  REQUIRE(minimal.status == 201);
  CHECK(minimal.body["aliases"] == json::array());
  CHECK(minimal.body["price_band"].is_null());
  CHECK(minimal.body["schedule"] == "manual");
  CHECK(minimal.body["thresholds"]["flag"] == 0.8);

  CHECK(api(port, "GET", "/api/v1/brands/" + id).body["keywords"] == json({"roadrunner"}));
  auto page = api(port, "GET", "/api/v1/brands?limit=1");
  REQUIRE(page.status == 200);
  CHECK(page.body["items"].size() == 1);
  auto next = api(port, "GET", "/api/v1/brands?limit=1&cursor=" + page.body["next_cursor"].template get<std::string>());
  REQUIRE(next.body["items"].size() == 1);
  CHECK(next.body["next_cursor"].is_null());
  // Each brand once over the two pages (ids order them by creation time, to the millisecond).
  const std::set<std::string> names = {page.body["items"][0]["name"], next.body["items"][0]["name"]};
  CHECK(names == std::set<std::string>{"Acme", "Globex"});

  // Names are unique per tenant.
  auto twice = api(port, "POST", "/api/v1/brands", {{"name", "Acme"}});
  CHECK(twice.status == 409);
  CHECK(twice.body["error"]["code"] == "conflict");

  // PATCH replaces what it names, one weight at a time, and keeps the rest.
  auto patched = api(port, "PATCH", "/api/v1/brands/" + id,
                     {{"keywords", {"coyote", "anvil"}}, {"weights", {{"text", 0.5}}}, {"schedule", "0 6 * * 1"}});
  INFO(patched.raw.body);
  REQUIRE(patched.status == 200);
  CHECK(patched.body["keywords"] == json({"coyote", "anvil"}));
  CHECK(patched.body["weights"]["text"] == 0.5);
  CHECK(patched.body["weights"]["image"] == 2.0);
  CHECK(patched.body["misspellings"] == json({"Acmee", "Akme"}));
  CHECK(patched.body["schedule"] == "0 6 * * 1");
  CHECK(api(port, "PATCH", "/api/v1/brands/" + id, {{"name", "Globex"}}).status == 409);

  // Deleted: gone for reads, a second delete is 404; each change is in the audit log.
  CHECK(api(port, "DELETE", "/api/v1/brands/" + id).status == 204);
  CHECK(api(port, "GET", "/api/v1/brands/" + id).status == 404);
  CHECK(api(port, "DELETE", "/api/v1/brands/" + id).status == 404);
  auto audit = api(port, "GET", "/api/v1/audit?limit=50").raw.body;
  CHECK(audit.find("brand_protection.brand_create") != std::string::npos);
  CHECK(audit.find("brand_protection.brand_update") != std::string::npos);
  CHECK(audit.find("brand_protection.brand_delete") != std::string::npos);
}

TEMPLATE_TEST_CASE("Bad brand bodies are refused with the fields named, and nothing is stored",
                   "[integration][brand_protection]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();

  const std::vector<std::pair<json, std::string>> bad = {
      {json::object(), "name"},
      {{{"name", ""}}, "name"},
      {{{"name", "X"}, {"aliases", "not a list"}}, "aliases"},
      {{{"name", "X"}, {"aliases", {"dup", "dup"}}}, "aliases"},
      {{{"name", "X"}, {"price_band", {{"min", 100}, {"max", 10}, {"currency", "EUR"}}}}, "price_band"},
      {{{"name", "X"}, {"price_band", {{"min", 1}, {"max", 10}, {"currency", "euro"}}}}, "price_band"},
      {{{"name", "X"}, {"weights", {{"image", -1}}}}, "weights"},
      {{{"name", "X"}, {"weights", {{"colour", 1}}}}, "weights"},
      {{{"name", "X"}, {"thresholds", {{"flag", 0.5}, {"review", 0.7}}}}, "thresholds"},
      {{{"name", "X"}, {"thresholds", {{"flag", 1.5}}}}, "thresholds"},
      {{{"name", "X"}, {"schedule", "every full moon"}}, "schedule"},
      {{{"name", "X"}, {"owner", "someone"}}, "owner"},
  };
  for (const auto& [body, field] : bad) {
    auto r = api(port, "POST", "/api/v1/brands", body);
    INFO(body.dump() << " → " << r.raw.body);
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "validation_failed");
    // Named by the member, or by a path inside it ("price_band.currency").
    bool named = false;
    for (const auto& [key, why] : r.body["error"]["details"]["fields"].items()) {
      named = named || key == field || key.rfind(field + ".", 0) == 0;
    }
    CHECK(named);
  }
  CHECK(api(port, "GET", "/api/v1/brands").body["items"].empty());

  // A change that is valid alone but not beside what is stored is refused too.
  auto b = api(port, "POST", "/api/v1/brands",
               {{"name", "Band"}, {"price_band", {{"min", 10}, {"max", 20}, {"currency", "USD"}}}});
  REQUIRE(b.status == 201);
  auto r = api(port, "PATCH", "/api/v1/brands/" + b.body["id"].template get<std::string>(),
               {{"thresholds", {{"review", 0.95}}}});
  CHECK(r.status == 422);
  CHECK(api(port, "PATCH", "/api/v1/brands/" + b.body["id"].template get<std::string>(), json::object()).status == 422);
  CHECK(api(port, "GET", "/api/v1/brands/not-a-uuid").status == 404);
  CHECK(api(port, "GET", "/api/v1/brands?cursor=';DROP").status == 422);
}

TEMPLATE_TEST_CASE("Brand routes keep tenants apart and need the user role to change anything",
                   "[integration][brand_protection][isolation]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    auto created = api(port, "POST", "/api/v1/brands", acme());
                    REQUIRE(created.status == 201);
                    v.add("/api/v1/brands/", created.body["id"]);
                    v.bodies["/api/v1/brands/{id}/images"] = {{"object_id", "01900000-0000-7000-8000-000000000000"}};
                    v.bodies["/api/v1/brands/{id}/scans"] = {{"provider", {{"type", "demo"}}}};
                    v.bodies["/api/v1/listings/{id}/review"] = {{"decision", "dismissed"}};
                  }});
}

TEMPLATE_TEST_CASE("A user's brands are in their export, and erasing the user keeps the brands for the tenant",
                   "[integration][brand_protection][privacy]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--auth-registration", "open"}));
  const auto port = server->port();
  auto reg =
      api(port, "POST", "/api/v1/auth/register",
          {{"email", "brand.manager@example.com"}, {"password", "a long enough password"}}, {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  const std::map<std::string, std::string> who = {
      {"Authorization", "Bearer " + reg.body["access_token"].template get<std::string>()}};
  const std::string user_id = reg.body["user"]["id"];
  auto created = api(port, "POST", "/api/v1/brands", acme(), who);
  REQUIRE(created.status == 201);
  const std::string brand_id = created.body["id"];

  const json data = json::parse(exported_archive(port, who).at("tyto-export.json"));
  REQUIRE(data["brand_protection.brands"].size() == 1);
  CHECK(data["brand_protection.brands"][0]["id"] == brand_id);

  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, who).status == 204);
  auto db = backend.open();
  auto row = db->query_one("SELECT created_by FROM brand_protection_brands WHERE id = $1", {brand_id});
  REQUIRE(row);
  CHECK(row->is_null(0));
  CHECK(db->query_one("SELECT COUNT(*) FROM brand_protection_brands WHERE created_by = $1", {user_id})
            ->template get<std::int64_t>(0) == 0);
}

TEST_CASE("The demo marketplace serves every listing once, its pictures, and the same bytes every time",
          "[integration][brand_protection]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  namespace demo = tyto::products::brand_protection::demo;

  // Paging through an empty query reaches every listing once.
  std::set<std::string> ids;
  int copies = 0;
  json next = 0;
  while (!next.is_null()) {
    auto page = api(port, "GET", "/api/v1/brands/demo-marketplace/search?limit=200&offset=" + next.dump());
    REQUIRE(page.status == 200);
    for (const auto& l : page.body["items"]) {
      CHECK(ids.insert(l["id"].template get<std::string>()).second);
      const int n = std::stoi(l["id"].template get<std::string>().substr(5));
      if (demo::kind_of(n) == demo::Kind::kCopy) ++copies;
      CHECK(l["image_url"] == "/api/v1/brands/demo-marketplace/images/" + l["id"].template get<std::string>() + ".jpg");
    }
    next = page.body["next_offset"];
  }
  CHECK(ids.size() == static_cast<std::size_t>(demo::kListings));
  CHECK(copies == demo::kListings / 10);

  // A query keeps the listings whose title holds every word.
  auto found = api(port, "GET", "/api/v1/brands/demo-marketplace/search?q=northwind%20jacket&limit=200");
  REQUIRE(found.status == 200);
  REQUIRE_FALSE(found.body["items"].empty());
  for (const auto& l : found.body["items"]) {
    std::string title = l["title"];
    std::transform(title.begin(), title.end(), title.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(title.find("northwind") != std::string::npos);
    CHECK(title.find("jacket") != std::string::npos);
  }

  // Pictures are JPEGs, the same bytes on every call; numbers outside the marketplace are 404.
  auto a = api(port, "GET", "/api/v1/brands/demo-marketplace/images/demo-0003.jpg");
  auto b = api(port, "GET", "/api/v1/brands/demo-marketplace/images/demo-0003.jpg");
  REQUIRE(a.raw.status == 200);
  CHECK(a.raw.header("content-type") == "image/jpeg");
  CHECK(a.raw.body.substr(0, 3) == "\xFF\xD8\xFF");
  CHECK(a.raw.body == b.raw.body);
  CHECK(api(port, "GET", "/api/v1/brands/demo-marketplace/references/2.jpg").raw.status == 200);
  for (const std::string bad : {"images/demo-1000.jpg", "images/demo-0003.png", "images/..%2Fdemo-0003.jpg",
                                "references/3.jpg", "listings/demo-12", "search?limit=0x10", "search?offset=-1"}) {
    INFO(bad);
    const int status = api(port, "GET", "/api/v1/brands/demo-marketplace/" + bad).status;
    CHECK((status == 404 || status == 422));
  }
  // The search needs a credential like every route; the pictures are public like static files.
  CHECK(api(port, "GET", "/api/v1/brands/demo-marketplace/search", nullptr, {{"Authorization", ""}}).status == 401);
  CHECK(api(port, "GET", "/api/v1/brands/demo-marketplace/images/demo-0001.jpg", nullptr, {{"Authorization", ""}})
            .raw.status == 200);
}
