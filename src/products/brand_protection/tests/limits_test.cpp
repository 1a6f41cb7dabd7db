// What scans share across instances: saved providers with sealed API keys, request rates and concurrent
// scans held in the database (limits.hpp), and scans deferred while their tenant's slots are taken.
#include "../limits.hpp"
#include "../demo_marketplace.hpp"
#include "integration/backends.hpp"
#include "integration/isolation_matrix.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace tyto::test;
using namespace std::chrono_literals;
using nlohmann::json;
using tyto::products::brand_protection::SharedLimits;
namespace demo = tyto::products::brand_protection::demo;

namespace {

json finished(std::uint16_t port, const std::string& path) {
  json got;
  REQUIRE(eventually(
      [&] {
        got = api(port, "GET", path).body;
        return got["state"] == "succeeded" || got["state"] == "failed";
      },
      std::chrono::seconds(240)));
  return got;
}

// The demo marketplace's search of this server as an http_json provider, keyed with the admin key.
json demo_search(std::uint16_t port) {
  return {{"type", "http_json"},
          {"url_template", "http://127.0.0.1:" + std::to_string(port) +
                               "/api/v1/brands/demo-marketplace/search?q={query}&offset={offset}&limit={limit}"},
          {"items", "/items"},
          {"fields", {{"id", "/id"}, {"title", "/title"}, {"image_url", "/image_url"}}},
          {"page_size", 5},
          {"max_pages", 1},
          {"rate_per_minute", 6000},
          {"api_key", std::string("Bearer ") + kAdminKey},
          {"api_key_header", "Authorization"}};
}

}  // namespace

TEMPLATE_TEST_CASE("Shared limits hold across two database handles: slots, leases and token buckets",
                   "[integration][brand_protection][limits]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());  // applies the product's migrations
  auto db_a = backend.open();
  auto db_b = backend.open();  // a second instance's connections
  SharedLimits a(*db_a), b(*db_b);

  // Slots: at most the limit, a retried scan keeps its own, a released or expired one frees.
  CHECK(a.acquire("t1", "provider:p", "s1", 2, 600s));
  CHECK(b.acquire("t1", "provider:p", "s2", 2, 600s));
  CHECK_FALSE(a.acquire("t1", "provider:p", "s3", 2, 600s));
  CHECK(b.acquire("t1", "provider:p", "s1", 2, 600s));
  CHECK(a.acquire("t2", "provider:p", "s3", 2, 600s));  // another tenant's are its own
  b.release("t1", "provider:p", "s1");
  CHECK(a.acquire("t1", "provider:p", "s3", 2, 600s));
  CHECK(a.acquire("t1", "lease", "crashed", 1, 0s));
  std::this_thread::sleep_for(5ms);
  CHECK(b.acquire("t1", "lease", "next", 1, 600s));  // the crashed instance's slot expired

  // Many threads of two handles race for three slots of one key: exactly three win.
  std::atomic<int> won{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 12; ++i) {
    racers.emplace_back([&, i] {
      if ((i % 2 ? a : b).acquire("t1", "race", "scan-" + std::to_string(i), 3, 600s)) ++won;
    });
  }
  for (auto& t : racers) t.join();
  CHECK(won == 3);

  // Token buckets: a burst of 4 at a rate too slow to refill during the test, shared by both handles.
  std::atomic<int> taken{0};
  std::vector<std::thread> takers;
  for (int i = 0; i < 10; ++i) {
    takers.emplace_back([&, i] {
      if ((i % 2 ? a : b).take("t1", "origin:http://x", 0.01, 4).count() == 0) ++taken;
    });
  }
  for (auto& t : takers) t.join();
  CHECK(taken == 4);
  // The wait is what the rate says: 60 requests a minute, one a second.
  CHECK(a.take("t1", "origin:http://y", 60, 1).count() == 0);
  const auto wait = b.take("t1", "origin:http://y", 60, 1);
  CHECK(wait > 900ms);
  CHECK(wait <= 1000ms);
}

TEST_CASE("Saved providers keep their API keys sealed, and scans run them by id",
          "[integration][brand_protection][providers]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args({"--outbound-allow", "127.0.0.1/32"}));
  const auto port = server->port();
  const json spec = demo_search(port);
  auto saved = api(port, "POST", "/api/v1/brands/providers", {{"name", "Demo search"}, {"provider", spec}});
  INFO(saved.raw.body);
  REQUIRE(saved.status == 201);
  const std::string id = saved.body["id"];
  CHECK(saved.body["has_api_key"] == true);
  CHECK(saved.body["max_concurrent_scans"] == 2);
  CHECK_FALSE(saved.body["provider"].contains("api_key"));
  CHECK(saved.raw.body.find(kAdminKey) == std::string::npos);
  // Sealed at rest: the key is not in the database in the clear.
  auto db = backend.open();
  const auto row = db->query_one("SELECT spec, api_key_sealed FROM brand_protection_providers WHERE id = $1", {id});
  REQUIRE(row);
  CHECK(row->get<std::string>(0).find(kAdminKey) == std::string::npos);
  CHECK(row->get<tyto::storage::Blob>(1).bytes.find(kAdminKey) == std::string::npos);
  CHECK(row->get<tyto::storage::Blob>(1).bytes.size() > std::string(kAdminKey).size() + 7);
  CHECK(api(port, "POST", "/api/v1/brands/providers", {{"name", "Demo search"}, {"provider", spec}}).status == 409);
  CHECK(api(port, "GET", "/api/v1/brands/providers").body["items"].size() == 1);
  CHECK(api(port, "GET", "/api/v1/brands/providers/" + id).raw.body.find(kAdminKey) == std::string::npos);

  // A scan names it by id: it runs with the opened key (the search route needs it) and its listings carry the
  // provider's kind.
  auto brand = api(port, "POST", "/api/v1/brands", json::parse(demo::brand_body_json()));
  REQUIRE(brand.status == 201);
  const std::string scans = "/api/v1/brands/" + brand.body["id"].get<std::string>() + "/scans";
  auto started = api(port, "POST", scans, {{"provider", {{"type", "saved"}, {"provider_id", id}}}});
  INFO(started.raw.body);
  REQUIRE(started.status == 202);
  CHECK(started.body["provider"] == "http_json");
  const json scan = finished(port, scans + "/" + started.body["scan_id"].get<std::string>());
  INFO(scan.dump());
  CHECK(scan["state"] == "succeeded");
  CHECK(scan["listings_found"] == 5);
  auto listings = api(port, "GET", scans + "/" + scan["id"].get<std::string>() + "/listings");
  REQUIRE(listings.body["items"].size() == 5);
  CHECK(listings.body["items"][0]["provider"] == "http_json");
  // The scan's row names the provider, never the key.
  CHECK(db->query_one("SELECT provider_spec FROM brand_protection_scans WHERE id = $1", {scan["id"].get<std::string>()})
            ->get<std::string>(0)
            .find(kAdminKey) == std::string::npos);

  // A brand may schedule scans of it by id, never with a key inline.
  auto inline_key = api(port, "PATCH", "/api/v1/brands/" + brand.body["id"].get<std::string>(),
                        {{"schedule", "daily"}, {"scan_provider", spec}});
  CHECK(inline_key.status == 422);
  CHECK(inline_key.body["error"]["details"]["fields"].contains("scan_provider.api_key"));
  CHECK(api(port, "PATCH", "/api/v1/brands/" + brand.body["id"].get<std::string>(),
            {{"schedule", "daily"}, {"scan_provider", {{"type", "saved"}, {"provider_id", id}}}})
            .status == 200);

  // A change without a key keeps the key; a wrong key makes the search fail; deleting it fails the next scan
  // at submission.
  auto renamed = api(port, "PATCH", "/api/v1/brands/providers/" + id, {{"name", "Renamed"}});
  REQUIRE(renamed.status == 200);
  CHECK(renamed.body["has_api_key"] == true);
  json wrong = spec;
  wrong["api_key"] = "Bearer not-the-key";
  REQUIRE(api(port, "PATCH", "/api/v1/brands/providers/" + id, {{"provider", wrong}}).status == 200);
  auto refused = api(port, "POST", scans, {{"provider", {{"type", "saved"}, {"provider_id", id}}}});
  REQUIRE(refused.status == 202);
  CHECK(finished(port, scans + "/" + refused.body["scan_id"].get<std::string>())["state"] == "failed");
  CHECK(api(port, "DELETE", "/api/v1/brands/providers/" + id).status == 204);
  CHECK(api(port, "POST", scans, {{"provider", {{"type", "saved"}, {"provider_id", id}}}}).status == 422);
  CHECK(api(port, "POST", "/api/v1/brands/providers", {{"name", "x"}, {"provider", {{"type", "saved"}}}}).status ==
        422);
  CHECK(api(port, "GET", "/api/v1/audit?limit=100").raw.body.find("brand_protection.provider_update") !=
        std::string::npos);
}

TEST_CASE("A tenant's scans beyond its concurrent share wait in the queue without spending attempts",
          "[integration][brand_protection][limits]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_BRAND_PROTECTION_CONCURRENT_SCANS", "1"},
                                                    {"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "60"},
                                                    {"TYTO_JOBS_WORKERS", "4"}});
  const auto port = server->port();
  auto brand = api(port, "POST", "/api/v1/brands", json::parse(demo::brand_body_json()));
  REQUIRE(brand.status == 201);
  const std::string scans = "/api/v1/brands/" + brand.body["id"].get<std::string>() + "/scans";
  std::vector<json> started;
  for (int i = 0; i < 3; ++i) {
    auto s = api(port, "POST", scans, {{"provider", {{"type", "demo"}}}});
    REQUIRE(s.status == 202);
    started.push_back(s.body);
  }
  int deferred = 0;
  for (const auto& s : started) {
    CHECK(finished(port, scans + "/" + s["scan_id"].get<std::string>())["state"] == "succeeded");
    json job;
    REQUIRE(eventually([&] {
      job = api(port, "GET", "/api/v1/jobs/" + s["job_id"].get<std::string>()).body;
      return job["state"] == "succeeded";
    }));
    CHECK(job["attempts"] == 1);  // waiting spent no attempt
    auto db = backend.open();
    const auto released = db->query_one("SELECT COUNT(*) FROM events WHERE topic = $1 AND type = 'released'",
                                        {"job:" + s["job_id"].get<std::string>()});
    deferred += released->get<std::int64_t>(0) > 0 ? 1 : 0;
  }
  // One ran at once; the others were deferred at least once while it held the tenant's slot.
  CHECK(deferred >= 1);
  auto db = backend.open();
  CHECK(db->query_one("SELECT COUNT(*) FROM brand_protection_scan_slots")->get<std::int64_t>(0) == 0);
}
