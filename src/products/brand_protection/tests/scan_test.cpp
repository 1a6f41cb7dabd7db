// Scans end to end in the real tyto binary: the demo brand's reference images uploaded and hashed, a scan
// of the demo marketplace whose planted copies must come out on top with their evidence, reviews kept
// across a rescan, the CSV export, quotas and bad providers; on SQLite and PostgreSQL.
#include "../demo_marketplace.hpp"
#include "integration/backends.hpp"
#include "integration/isolation_matrix.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/webhook_receiver.hpp"
#include "tyto/core/hash.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
namespace demo = tyto::products::brand_protection::demo;

namespace {

// An object through the upload flow: declare, PUT the bytes to the signed URL, complete.
std::string upload(std::uint16_t port, const std::string& purpose, const std::string& type, const std::string& bytes,
                   const std::string& filename) {
  auto declared = api(port, "POST", "/api/v1/uploads",
                      {{"filename", filename},
                       {"content_type", type},
                       {"size", bytes.size()},
                       {"purpose", purpose},
                       {"sha256", tyto::sha256_hex(bytes)}});
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  if (url.front() == '/') url = "http://127.0.0.1:" + std::to_string(port) + url;
  REQUIRE(fetch_url(url, "PUT", bytes, {{"Content-Type", type}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete");
  REQUIRE(done.status == 201);
  return done.body["id"];
}

// The demo brand with its three reference pictures, hashed; returns {brand id, reference image ids}.
std::pair<std::string, std::vector<std::string>> demo_brand(std::uint16_t port) {
  auto brand = api(port, "POST", "/api/v1/brands", json::parse(demo::brand_body_json()));
  REQUIRE(brand.status == 201);
  const std::string id = brand.body["id"];
  std::vector<std::string> images;
  for (int r = 0; r < demo::kReferences; ++r) {
    const auto object = upload(port, "reference", "image/jpeg", demo::reference_image(r), std::to_string(r) + ".jpg");
    auto added = api(port, "POST", "/api/v1/brands/" + id + "/images", {{"object_id", object}});
    INFO(added.raw.body);
    REQUIRE(added.status == 201);
    CHECK(added.body["state"] == "pending");
    images.push_back(added.body["id"]);
  }
  for (const auto& image : images) {
    json got;
    REQUIRE(eventually([&] {
      got = api(port, "GET", "/api/v1/brands/" + id + "/images/" + image).body;
      return got["state"] != "pending";
    }));
    INFO(got.dump());
    REQUIRE(got["state"] == "hashed");
    CHECK(got["hashes"]["pdq"].get<std::string>().size() == 64);
  }
  return {id, images};
}

json finished_scan(std::uint16_t port, const std::string& brand, const json& body) {
  auto started = api(port, "POST", "/api/v1/brands/" + brand + "/scans", body);
  INFO(started.raw.body);
  REQUIRE(started.status == 202);
  const std::string scan = started.body["scan_id"];
  CHECK(started.body["job_id"].is_string());
  json got;
  REQUIRE(eventually(
      [&] {
        got = api(port, "GET", "/api/v1/brands/" + brand + "/scans/" + scan).body;
        return got["state"] == "succeeded" || got["state"] == "failed";
      },
      std::chrono::seconds(240)));
  return got;
}

int listing_number(const json& l) { return std::stoi(l["listing_id"].get<std::string>().substr(5)); }

}  // namespace

TEMPLATE_TEST_CASE("A demo scan puts the planted copies on top with their evidence, and a rescan keeps reviews",
                   "[integration][brand_protection][scan]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "200"}});
  const auto port = server->port();
  const auto [brand, references] = demo_brand(port);

  const json scan = finished_scan(port, brand, {{"provider", {{"type", "demo"}}}});
  INFO(scan.dump());
  REQUIRE(scan["state"] == "succeeded");
  CHECK(scan["listings_found"] == 200);
  CHECK(scan["listings_done"] == 200);
  CHECK(scan["listings_failed"] == 0);
  CHECK(scan["progress"] == 1.0);
  const std::string scan_id = scan["id"];
  const std::string base = "/api/v1/brands/" + brand + "/scans/" + scan_id;

  auto page = api(port, "GET", base + "/listings?sort=-probability&limit=200");
  REQUIRE(page.status == 200);
  const json items = page.body["items"];
  REQUIRE(items.size() == 200);
  // Sorted by probability, highest first.
  for (std::size_t i = 1; i < items.size(); ++i) CHECK(items[i - 1]["probability"] >= items[i]["probability"]);
  // The planted copies come first: every copy above every unrelated listing (genuine resales that name the
  // brand at a fair price beside another picture included), each matched with the reference it copies.
  // Look-alikes (the same layout, another name and colours) are infringements of another kind: they may rank
  // anywhere above or below, so they are left out of the comparison.
  int copies = 0;
  double lowest_copy = 1, highest_unrelated = 0;
  for (const auto& l : items) {
    const int n = listing_number(l);
    const auto kind = demo::kind_of(n);
    INFO(l["listing_id"] << " " << l["title"] << " " << l["probability"] << " " << l["signals"]["image"]);
    if (kind == demo::Kind::kUnrelated) {
      highest_unrelated = std::max(highest_unrelated, l["probability"].template get<double>());
    } else if (kind == demo::Kind::kCopy) {
      ++copies;
      lowest_copy = std::min(lowest_copy, l["probability"].template get<double>());
      CHECK(l["matched_image_id"] == references[demo::reference_of(n)]);
    }
  }
  CHECK(copies == 20);
  CHECK(lowest_copy > highest_unrelated);
  CHECK(scan["flagged"].get<int>() >= 1);
  const json top = items[0];
  CHECK(top["signals"]["signals"].is_array());
  auto evidence = api(port, "GET", "/api/v1/objects/" + top["evidence_object_id"].get<std::string>() + "/content");
  CHECK(evidence.raw.status == 200);
  CHECK(evidence.raw.body == demo::listing_image(listing_number(top)));
  auto snapshot = api(port, "GET", "/api/v1/objects/" + top["snapshot_object_id"].get<std::string>() + "/content");
  REQUIRE(snapshot.raw.status == 200);
  CHECK(json::parse(snapshot.raw.body)["listing"]["title"] == top["title"]);

  // Filters and pages.
  auto likely = api(port, "GET", base + "/listings?min_probability=" + std::to_string(lowest_copy - 1e-6));
  CHECK(likely.body["items"].size() >= 20);
  for (const auto& l : likely.body["items"]) CHECK(l["probability"].template get<double>() >= lowest_copy - 1e-6);
  auto first = api(port, "GET", base + "/listings?limit=7");
  auto second =
      api(port, "GET", base + "/listings?limit=7&cursor=" + first.body["next_cursor"].template get<std::string>());
  REQUIRE(second.body["items"].size() == 7);
  CHECK(second.body["items"][0]["id"] == items[7]["id"]);
  CHECK(api(port, "GET", base + "/listings?sort=title").status == 422);
  CHECK(api(port, "GET", base + "/listings?min_probability=2").status == 422);
  CHECK(api(port, "GET", base + "/listings?cursor=nonsense").status == 422);

  // A review is audit-logged, filters the list, and survives a rescan that updates the same listings.
  const std::string listing = top["id"];
  auto reviewed = api(port, "POST", "/api/v1/listings/" + listing + "/review",
                      {{"decision", "confirmed"}, {"note", "same photo as our catalogue"}});
  REQUIRE(reviewed.status == 200);
  CHECK(reviewed.body["review"]["status"] == "confirmed");
  CHECK(api(port, "POST", "/api/v1/listings/" + listing + "/review", {{"decision", "maybe"}}).status == 422);
  CHECK(api(port, "GET", base + "/listings?status=confirmed").body["items"].size() == 1);
  CHECK(api(port, "GET", "/api/v1/audit?limit=100").raw.body.find("brand_protection.listing_review") !=
        std::string::npos);
  const json rescan = finished_scan(port, brand, {{"provider", {{"type", "demo"}}}});
  REQUIRE(rescan["state"] == "succeeded");
  auto db = backend.open();
  CHECK(db->query_one("SELECT COUNT(*) FROM brand_protection_listings WHERE brand_id = $1", {brand})
            ->template get<std::int64_t>(0) == 200);
  auto again = api(
      port, "GET",
      "/api/v1/brands/" + brand + "/scans/" + rescan["id"].template get<std::string>() + "/listings?status=confirmed");
  REQUIRE(again.body["items"].size() == 1);
  CHECK(again.body["items"][0]["id"] == listing);
  CHECK(again.body["items"][0]["review"]["note"] == "same photo as our catalogue");

  // The CSV export (of the latest scan, which the listings now belong to): a header and one row per listing,
  // most probable first.
  auto csv = api(port, "GET",
                 "/api/v1/brands/" + brand + "/scans/" + rescan["id"].template get<std::string>() + "/listings.csv");
  REQUIRE(csv.raw.status == 200);
  CHECK(csv.raw.header("content-type").find("text/csv") == 0);
  CHECK(std::count(csv.raw.body.begin(), csv.raw.body.end(), '\n') == 201);
  CHECK(csv.raw.body.find("listing_id,provider,title") == 0);
  CHECK(csv.raw.body.find("\r\n" + top["listing_id"].template get<std::string>() + ",demo,") != std::string::npos);
}

TEST_CASE("A scan streams its progress and each scored listing live over WebSocket and SSE",
          "[integration][brand_protection][scan][streams]") {
  using namespace std::chrono_literals;
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "40"}});
  const auto port = server->port();
  const auto [brand, references] = demo_brand(port);
  auto started = api(port, "POST", "/api/v1/brands/" + brand + "/scans", {{"provider", {{"type", "demo"}}}});
  REQUIRE(started.status == 202);
  const std::string scan = started.body["scan_id"];

  // The WebSocket, opened while the scan may still be queued: the scan now, then every event to the end.
  Client ws(port);
  REQUIRE(ws.websocket_upgrade("/ws/brands/" + brand + "/scans/" + scan));
  auto first = ws.websocket_read_text();
  REQUIRE(first);
  const json snapshot = json::parse(*first);
  CHECK(snapshot["type"] == "snapshot");
  CHECK(snapshot["data"]["id"] == scan);
  std::vector<json> events;
  while (events.empty() || events.back()["type"] != "scan.finished") {
    auto text = ws.websocket_read_text(60s);
    REQUIRE(text);
    events.push_back(json::parse(*text));
  }
  std::set<std::string> scored;
  std::int64_t last_seq = 0, last_done = -1;
  for (const auto& e : events) {
    INFO(e.dump().substr(0, 300));
    CHECK(e["seq"].get<std::int64_t>() > last_seq);  // in order, none twice
    last_seq = e["seq"];
    if (e["type"] == "listing.scored") {
      CHECK(e["data"]["probability"].is_number());
      scored.insert(e["data"]["id"].get<std::string>());
    } else if (e["type"] == "scan.progress") {
      CHECK(e["data"]["state"] == "running");
      CHECK(e["data"]["listings_done"].get<std::int64_t>() >= last_done);
      last_done = e["data"]["listings_done"];
    }
  }
  CHECK(scored.size() == 40);
  CHECK(events.back()["data"]["state"] == "succeeded");
  CHECK(events.back()["data"]["listings_done"] == 40);
  const auto listings = api(port, "GET", "/api/v1/brands/" + brand + "/scans/" + scan + "/listings?limit=100");
  for (const auto& l : listings.body["items"]) CHECK(scored.count(l["id"].get<std::string>()) == 1);

  // SSE: the same events with their ids, resumed after the tenth.
  auto read_sse = [&](const std::string& last_id) {
    Client c(port);
    std::string req = "GET /api/v1/brands/" + brand + "/scans/" + scan +
                      "/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdminKey + "\r\n";
    if (!last_id.empty()) req += "Last-Event-ID: " + last_id + "\r\n";
    c.send(req + "\r\n");
    auto res = c.read_response(3s);  // close-delimited: read until the timeout
    REQUIRE(res);
    CHECK(res->status == 200);
    std::vector<std::int64_t> ids;
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("id: ", 0) == 0) ids.push_back(std::stoll(line.substr(4)));
    }
    return ids;
  };
  std::vector<std::int64_t> seqs;
  for (const auto& e : events) seqs.push_back(e["seq"]);
  const auto all = read_sse("");
  CHECK(all == seqs);
  CHECK(read_sse(std::to_string(seqs[9])) == std::vector<std::int64_t>(seqs.begin() + 10, seqs.end()));

  // Another brand's path to the scan finds nothing.
  auto other = api(port, "POST", "/api/v1/brands", {{"name", "Another brand"}});
  REQUIRE(other.status == 201);
  Client wrong(port);
  REQUIRE(wrong.websocket_upgrade("/ws/brands/" + other.body["id"].get<std::string>() + "/scans/" + scan));
  auto refused = wrong.websocket_read_text();
  REQUIRE(refused);
  CHECK(json::parse(*refused)["type"] == "error");
  CHECK(json::parse(*refused)["data"]["error"]["code"] == "not_found");
}

TEST_CASE("A scan of an uploaded listings file puts the planted copies on top by their pictures alone",
          "[integration][brand_protection][scan]") {
  SqliteBackend backend;
  // The listings' pictures are the demo marketplace's, on this server's loopback address, which the outbound
  // guard refuses unless allowed.
  auto server = TytoProcess::serve(backend.args({"--outbound-allow", "127.0.0.1/32"}));
  const auto port = server->port();
  const auto [brand, references] = demo_brand(port);

  // 40 listings with titles that say nothing (so only pictures can tell), four of them planted copies.
  std::string csv = "id,title,price,currency,seller,image_url\n";
  for (int n = 0; n < 40; ++n) {
    csv += fmt::format(
        "file-{:02},Listing number {},{},EUR,seller{},http://127.0.0.1:{}/api/v1/brands/"
        "demo-marketplace/images/demo-{:04}.jpg\n",
        n, n, 30 + n, n % 5, port, n);
  }
  const auto file = upload(port, "document", "text/csv", csv, "listings.csv");

  // Flagged listings go to the endpoints subscribed to brand.listing_flagged (a product's event type, which
  // endpoints may name like the platform's). The threshold is set low: pictures alone score modestly.
  WebhookReceiver receiver;
  CHECK(api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"brand.nope"}}}).status ==
        422);
  auto hook =
      api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"brand.listing_flagged"}}});
  INFO(hook.raw.body);
  REQUIRE(hook.status == 201);
  REQUIRE(api(port, "PATCH", "/api/v1/brands/" + brand, {{"thresholds", {{"flag", 0.02}, {"review", 0.01}}}}).status ==
          200);

  const json scan = finished_scan(port, brand, {{"provider", {{"type", "file"}, {"object_id", file}}}});
  INFO(scan.dump());
  REQUIRE(scan["state"] == "succeeded");
  CHECK(scan["listings_done"] == 40);
  CHECK(scan["listings_failed"] == 0);
  auto page =
      api(port, "GET",
          "/api/v1/brands/" + brand + "/scans/" + scan["id"].template get<std::string>() + "/listings?limit=40");
  REQUIRE(page.body["items"].size() == 40);
  std::set<std::string> top;
  for (int i = 0; i < 4; ++i) {
    INFO(page.body["items"][i].dump());
    top.insert(page.body["items"][i]["listing_id"].template get<std::string>());
    CHECK(page.body["items"][i]["provider"] == "file");
    CHECK(page.body["items"][i]["matched_image_id"].is_string());
  }
  CHECK(top == std::set<std::string>{"file-03", "file-13", "file-23", "file-33"});

  // Every flagged listing reached the receiver, signed and typed; the copies among them.
  REQUIRE(scan["flagged"].template get<std::size_t>() >= 1);
  REQUIRE(receiver.wait_for(scan["flagged"].template get<std::size_t>()));
  std::set<std::string> delivered;
  for (const auto& r : receiver.requests()) {
    CHECK(r.header("tyto-event") == "brand.listing_flagged");
    const json body = json::parse(r.body);
    delivered.insert(body["data"]["provider_listing_id"].template get<std::string>());
    CHECK(body["data"]["probability"].template get<double>() >= 0.02);
  }
  CHECK(delivered.size() == scan["flagged"].template get<std::size_t>());
  for (const auto& copy : top) CHECK(delivered.count(copy) == 1);
}

TEMPLATE_TEST_CASE("A brand's schedule runs its scans through the platform's scheduler",
                   "[integration][brand_protection][scan]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--jobs-schedule-tick-ms", "200"}),
                                   {{"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "3"}});
  const auto port = server->port();

  // A schedule needs a provider to scan.
  auto refused = api(port, "POST", "/api/v1/brands", {{"name", "Acme"}, {"schedule", "daily"}});
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["details"]["fields"].contains("scan_provider"));

  // Every 2 seconds (cron with seconds, as the scheduler takes it).
  auto brand = api(port, "POST", "/api/v1/brands",
                   {{"name", "Acme"}, {"schedule", "*/2 * * * * *"}, {"scan_provider", {{"type", "demo"}}}});
  INFO(brand.raw.body);
  REQUIRE(brand.status == 201);
  const std::string id = brand.body["id"];
  auto schedules = api(port, "GET", "/api/v1/schedules");
  REQUIRE(schedules.status == 200);
  CHECK(schedules.raw.body.find("brand_protection: Acme") != std::string::npos);

  json scans;
  REQUIRE(eventually(
      [&] {
        scans = api(port, "GET", "/api/v1/brands/" + id + "/scans").body;
        for (const auto& s : scans["items"]) {
          if (s["state"] == "succeeded") return true;
        }
        return false;
      },
      std::chrono::seconds(60)));
  for (const auto& s : scans["items"]) {
    CHECK(s["provider"] == "demo");
    CHECK(s["query"] == "Acme");
  }

  // Manual removes the platform schedule; no more scans start.
  REQUIRE(api(port, "PATCH", "/api/v1/brands/" + id, {{"schedule", "manual"}}).status == 200);
  CHECK(api(port, "GET", "/api/v1/schedules").raw.body.find("brand_protection: Acme") == std::string::npos);
  REQUIRE(eventually([&] {
    for (const auto& s : api(port, "GET", "/api/v1/brands/" + id + "/scans").body["items"]) {
      if (s["state"] != "succeeded" && s["state"] != "failed") return false;
    }
    return true;
  }));
  const auto settled = api(port, "GET", "/api/v1/brands/" + id + "/scans").body["items"].size();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(api(port, "GET", "/api/v1/brands/" + id + "/scans").body["items"].size() == settled);

  // Deleting a scheduled brand deletes its schedule.
  REQUIRE(api(port, "PATCH", "/api/v1/brands/" + id, {{"schedule", "weekly"}}).status == 200);
  CHECK(api(port, "GET", "/api/v1/schedules").raw.body.find("brand_protection: Acme") != std::string::npos);
  REQUIRE(api(port, "DELETE", "/api/v1/brands/" + id).status == 204);
  CHECK(api(port, "GET", "/api/v1/schedules").raw.body.find("brand_protection: Acme") == std::string::npos);
}

TEST_CASE("Scans refuse bad providers, fail on refused addresses, and stop at the daily quota",
          "[integration][brand_protection][scan]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_BRAND_PROTECTION_SCANS_PER_DAY", "2"},
                                                    {"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "5"}});
  const auto port = server->port();
  auto brand = api(port, "POST", "/api/v1/brands", {{"name", "Acme"}});
  REQUIRE(brand.status == 201);
  const std::string scans = "/api/v1/brands/" + brand.body["id"].template get<std::string>() + "/scans";

  for (const json& provider :
       {json{{"type", "ftp"}}, json{{"type", "file"}, {"object_id", "01a2367c-0000-7000-8000-000000000000"}},
        json{{"type", "http_json"}, {"url_template", "http://example.com/search"}},
        json{{"type", "http_json"}, {"url_template", "not a url {query}"}}, json{{"type", "demo"}, {"extra", 1}}}) {
    INFO(provider.dump());
    CHECK(api(port, "POST", scans, {{"provider", provider}}).status == 422);
  }
  CHECK(
      api(port, "POST", "/api/v1/brands/01a2367c-0000-7000-8000-000000000000/scans", {{"provider", {{"type", "demo"}}}})
          .status == 404);

  // A provider on a private address fails the scan with the guard's reason (no outbound.allow here).
  const json refused =
      finished_scan(port, brand.body["id"],
                    {{"provider", {{"type", "http_json"}, {"url_template", "http://127.0.0.1:9/search?q={query}"}}}});
  CHECK(refused["state"] == "failed");
  CHECK(refused["error"].template get<std::string>().find("loopback") != std::string::npos);

  const json ok = finished_scan(port, brand.body["id"], {{"provider", {{"type", "demo"}}}});
  CHECK(ok["state"] == "succeeded");
  CHECK(ok["listings_found"] == 5);
  auto over = api(port, "POST", scans, {{"provider", {{"type", "demo"}}}});
  CHECK(over.status == 429);
  CHECK(over.body["error"]["code"] == "quota_exceeded");
}

TEMPLATE_TEST_CASE("Scans, listings and reference images of one tenant are invisible to another",
                   "[integration][brand_protection][isolation]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN", "3"}});
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    auto brand = api(port, "POST", "/api/v1/brands", {{"name", "Victim brand"}});
                    REQUIRE(brand.status == 201);
                    const std::string id = brand.body["id"];
                    v.add("/api/v1/brands/", id);  // nested routes get it for every parameter: 404 as well
                    const auto object = upload(port, "reference", "image/jpeg", demo::reference_image(1), "r.jpg");
                    auto image = api(port, "POST", "/api/v1/brands/" + id + "/images", {{"object_id", object}});
                    REQUIRE(image.status == 201);
                    v.all.push_back(image.body["id"]);  // must not show up in another tenant's answers
                    const json scan = finished_scan(port, id, {{"provider", {{"type", "demo"}}}});
                    REQUIRE(scan["state"] == "succeeded");
                    v.all.push_back(scan["id"]);
                    auto listings =
                        api(port, "GET",
                            "/api/v1/brands/" + id + "/scans/" + scan["id"].template get<std::string>() + "/listings");
                    REQUIRE_FALSE(listings.body["items"].empty());
                    v.add("/api/v1/listings/", listings.body["items"][0]["id"]);
                    auto saved = api(port, "POST", "/api/v1/brands/providers",
                                     {{"name", "Victim's search"},
                                      {"provider",
                                       {{"type", "http_json"},
                                        {"url_template", "https://search.example.com/?q={query}"},
                                        {"api_key", "victim-secret-key"}}}});
                    REQUIRE(saved.status == 201);
                    v.add("/api/v1/brands/providers/", saved.body["id"]);
                    v.bodies["/api/v1/brands/{id}/images"] = {{"object_id", object}};
                    v.bodies["/api/v1/brands/{id}/scans"] = {{"provider", {{"type", "demo"}}}};
                    v.bodies["/api/v1/listings/{id}/review"] = {{"decision", "dismissed"}};
                  }});
}
