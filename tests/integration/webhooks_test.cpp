// Webhooks through the real binary, on SQLite and PostgreSQL, delivered to a receiver in this process.
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "support/webhook_receiver.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/webhooks/signing.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Fast job timings; retries back off from 200 ms (ceilings 200, 400, 800 ms…, each delay at least half).
const std::vector<std::string> kFast = {
    "--jobs-lease-ms",           "3000", "--jobs-heartbeat-ms", "500", "--jobs-backoff-base-ms", "200",
    "--jobs-rescue-interval-ms", "500",  "--jobs-poll-ms",      "100", "--jobs-workers",         "2"};
const std::map<std::string, std::string> kAllowLoopback = {{"TYTO_OUTBOUND_ALLOW", "127.0.0.0/8"}};

using Sqlite = WithArgs<SqliteBackend, kFast>;
using Postgres = WithArgs<PostgresBackend, kFast>;

json create_webhook(std::uint16_t port, const std::string& url, const json& types) {
  auto res = api(port, "POST", "/api/v1/webhooks", {{"url", url}, {"event_types", types}, {"description", "test"}});
  INFO(res.raw.body);
  REQUIRE(res.status == 201);
  return res.body;
}

json deliveries(std::uint16_t port, const std::string& webhook_id) {
  auto res = api(port, "GET", "/api/v1/webhooks/" + webhook_id + "/deliveries");
  INFO(res.raw.body);
  REQUIRE(res.status == 200);
  return res.body["items"];
}

// Waits until the webhook's newest delivery is in `state`; returns it.
json wait_for_delivery(std::uint16_t port, const std::string& webhook_id, const std::string& state) {
  json last;
  const bool reached = eventually(
      [&] {
        const auto items = deliveries(port, webhook_id);
        if (items.empty()) return false;
        last = items[0];
        return last["state"] == state;
      },
      60s);
  INFO(last.dump());
  REQUIRE(reached);
  return last;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void check_signed(const ReceivedRequest& r, const std::string& secret) {
  INFO(r.header("tyto-signature"));
  CHECK(tyto::webhooks::verify_signature(secret, r.header("tyto-signature"), r.body, unix_now()));
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("user-agent") == "Tyto-Webhooks/1");
}

}  // namespace

TEMPLATE_TEST_CASE("A registered webhook gets signed deliveries, retried with backoff until the receiver accepts",
                   "[integration][webhooks]", Sqlite, Postgres) {
  TestType backend;
  WebhookReceiver receiver;
  receiver.fail_next(2, 500);
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), kAllowLoopback);
  const std::uint16_t port = server->port();
  const auto hook = create_webhook(port, receiver.url(), {"job.*"});
  const std::string secret = hook["secret"];
  CHECK(secret.starts_with("whsec_"));
  CHECK(hook["event_types"] == json({"job.*"}));
  // The secret is shown once: reads never include it.
  auto got = api(port, "GET", "/api/v1/webhooks/" + hook["id"].get<std::string>());
  CHECK(got.status == 200);
  CHECK_FALSE(got.body.contains("secret"));

  auto ping = api(port, "POST", "/api/v1/webhooks/" + hook["id"].get<std::string>() + "/ping");
  INFO(ping.raw.body);
  REQUIRE(ping.status == 202);
  const std::string delivery_id = ping.body["id"];
  REQUIRE(receiver.wait_for(3, 60s));
  const auto requests = receiver.requests();
  for (const auto& r : requests) {
    check_signed(r, secret);
    CHECK(r.header("tyto-delivery") == delivery_id);
    CHECK(r.header("tyto-event") == "webhook.ping");
    const auto body = json::parse(r.body);
    CHECK(body["id"] == delivery_id);
    CHECK(body["type"] == "webhook.ping");
    CHECK(body["data"]["webhook_id"] == hook["id"]);
  }
  // Backoff: each retry waits at least half its ceiling (200 ms, then 400 ms).
  CHECK(requests[1].at - requests[0].at >= 100ms);
  CHECK(requests[2].at - requests[1].at >= 200ms);

  const auto d = wait_for_delivery(port, hook["id"], "delivered");
  CHECK(d["attempts"] == 3);
  REQUIRE(d["attempt_log"].size() == 3);
  CHECK(d["attempt_log"][0]["status_code"] == 500);
  CHECK(d["attempt_log"][1]["status_code"] == 500);
  CHECK(d["attempt_log"][2]["status_code"] == 200);
  CHECK(d["attempt_log"][2]["response_excerpt"] == "ok");
  CHECK(d["last_status"] == 200);
  CHECK(d["delivered_at"].is_string());
  CHECK(receiver.count() == 3);
}

TEMPLATE_TEST_CASE("A delivery fails after the last attempt and can be delivered again", "[integration][webhooks]",
                   Sqlite, Postgres) {
  TestType backend;
  WebhookReceiver receiver;
  receiver.set_default_status(503);
  auto env = kAllowLoopback;
  env["TYTO_WEBHOOKS_MAX_ATTEMPTS"] = "3";
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), env);
  const std::uint16_t port = server->port();
  const auto hook = create_webhook(port, receiver.url("/fail"), {"webhook.ping"});
  const std::string id = hook["id"];
  REQUIRE(api(port, "POST", "/api/v1/webhooks/" + id + "/ping").status == 202);

  auto d = wait_for_delivery(port, id, "failed");
  CHECK(d["attempts"] == 3);
  CHECK(d["attempt_log"].size() == 3);
  CHECK(d["last_status"] == 503);
  CHECK(d["last_error"] == "HTTP 503");
  CHECK(receiver.count() == 3);
  auto job = wait_for_state(port, d["job_id"], "failed");
  CHECK(job["attempts"] == 3);

  receiver.set_default_status(204);
  auto again = api(port, "POST", "/api/v1/webhooks/deliveries/" + d["id"].get<std::string>() + "/redeliver");
  INFO(again.raw.body);
  REQUIRE(again.status == 202);
  d = wait_for_delivery(port, id, "delivered");
  CHECK(d["attempts"] == 4);
  CHECK(d["attempt_log"][3]["status_code"] == 204);
  CHECK(receiver.requests().back().header("tyto-delivery") == d["id"]);
  // Nothing left to redeliver twice at once; unknown deliveries are 404.
  CHECK(api(port, "POST", "/api/v1/webhooks/deliveries/00000000-0000-7000-8000-000000000000/redeliver").status == 404);
}

TEMPLATE_TEST_CASE("A finished builtin.noop job sends one job.succeeded webhook", "[integration][webhooks]", Sqlite,
                   Postgres) {
  TestType backend;
  WebhookReceiver receiver;
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), kAllowLoopback);
  const std::uint16_t port = server->port();
  const auto hook = create_webhook(port, receiver.url(), {"job.succeeded", "job.failed"});
  auto res = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}});
  REQUIRE(res.status == 202);
  const std::string job_id = res.body["id"];
  REQUIRE(receiver.wait_for(1, 60s));
  const auto r = receiver.requests().front();
  check_signed(r, hook["secret"]);
  CHECK(r.header("tyto-event") == "job.succeeded");
  const auto body = json::parse(r.body);
  CHECK(body["type"] == "job.succeeded");
  CHECK(body["data"]["job_id"] == job_id);
  CHECK(body["data"]["pipeline"] == "builtin.noop");
  CHECK(body["data"]["state"] == "succeeded");

  // The delivery job itself succeeds without a webhook of its own.
  const auto d = wait_for_delivery(port, hook["id"], "delivered");
  wait_for_state(port, d["job_id"], "succeeded");
  std::this_thread::sleep_for(1s);
  CHECK(receiver.count() == 1);
  CHECK(deliveries(port, hook["id"]).size() == 1);
}

TEST_CASE("Webhook URLs must resolve to addresses the outbound policy allows", "[integration][webhooks]") {
  WebhookReceiver receiver;
  {
    Sqlite backend;
    std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args());
    for (const auto& url : {receiver.url(), receiver.url("/hook", "localhost")}) {
      auto res = api(server->port(), "POST", "/api/v1/webhooks", {{"url", url}, {"event_types", {"*"}}});
      INFO(res.raw.body);
      CHECK(res.status == 422);
      CHECK(res.body["error"]["details"]["fields"]["url"].get<std::string>().find("loopback") != std::string::npos);
    }
  }
  Sqlite backend;
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), kAllowLoopback);
  const std::uint16_t port = server->port();
  const auto hook = create_webhook(port, receiver.url("/hook", "localhost"), {"*"});
  CHECK(hook["url"] == receiver.url("/hook", "localhost"));
  // Allowing loopback does not allow the cloud metadata service, nor other schemes.
  for (const auto& url :
       {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "ftp://127.0.0.1/", "http://user@127.0.0.1/"}) {
    auto res = api(port, "POST", "/api/v1/webhooks", {{"url", url}, {"event_types", {"*"}}});
    INFO(url << " " << res.raw.body);
    CHECK(res.status == 422);
    CHECK(res.body["error"]["details"]["fields"].contains("url"));
  }
  auto res =
      api(port, "PATCH", "/api/v1/webhooks/" + hook["id"].get<std::string>(), {{"url", "http://169.254.169.254/"}});
  CHECK(res.status == 422);
  CHECK(res.body["error"]["details"]["fields"]["url"].get<std::string>().find("link-local") != std::string::npos);
  // Bad event types.
  res = api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"job.started"}}});
  CHECK(res.status == 422);
  CHECK(res.body["error"]["details"]["fields"].contains("event_types"));
  res = api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", json::array()}});
  CHECK(res.status == 422);
}

TEMPLATE_TEST_CASE("Webhooks can be listed, changed, re-keyed and deleted, each admin action audited",
                   "[integration][webhooks]", Sqlite, Postgres) {
  TestType backend;
  WebhookReceiver receiver;
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), kAllowLoopback);
  const std::uint16_t port = server->port();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(create_webhook(port, receiver.url("/" + std::to_string(i)), {"*"})["id"]);
  // Two pages, newest first (ids sort by creation time to the millisecond).
  auto page = api(port, "GET", "/api/v1/webhooks?limit=2");
  REQUIRE(page.status == 200);
  REQUIRE(page.body["items"].size() == 2);
  auto rest = api(port, "GET", "/api/v1/webhooks?limit=2&cursor=" + page.body["next_cursor"].get<std::string>());
  REQUIRE(rest.body["items"].size() == 1);
  CHECK(rest.body["next_cursor"].is_null());
  std::vector<std::string> listed;
  for (const auto& e : page.body["items"]) listed.push_back(e["id"]);
  listed.push_back(rest.body["items"][0]["id"]);
  CHECK(std::is_sorted(listed.rbegin(), listed.rend()));
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == std::set<std::string>(ids.begin(), ids.end()));

  const std::string id = ids[0];
  auto patched = api(port, "PATCH", "/api/v1/webhooks/" + id, {{"event_types", {"webhook.ping"}}, {"active", false}});
  INFO(patched.raw.body);
  REQUIRE(patched.status == 200);
  CHECK(patched.body["active"] == false);
  CHECK(patched.body["event_types"] == json({"webhook.ping"}));
  CHECK(api(port, "POST", "/api/v1/webhooks/" + id + "/ping").status == 409);  // disabled
  CHECK(api(port, "PATCH", "/api/v1/webhooks/" + id, {{"active", true}}).status == 200);
  CHECK(api(port, "PATCH", "/api/v1/webhooks/" + id, {{"secret", "x"}}).status == 422);

  // A rotated secret signs the next delivery; the old one no longer verifies.
  const auto to_rotate = create_webhook(port, receiver.url("/rotated"), {"webhook.ping"});
  const std::string old_secret = to_rotate["secret"];
  const std::string rotated_id = to_rotate["id"];
  auto rotated = api(port, "POST", "/api/v1/webhooks/" + rotated_id + "/rotate-secret");
  REQUIRE(rotated.status == 200);
  const std::string new_secret = rotated.body["secret"];
  CHECK(new_secret != old_secret);
  REQUIRE(api(port, "POST", "/api/v1/webhooks/" + rotated_id + "/ping").status == 202);
  REQUIRE(receiver.wait_for(1, 60s));
  const auto r = receiver.requests().back();
  CHECK(r.target == "/rotated");
  check_signed(r, new_secret);
  CHECK_FALSE(tyto::webhooks::verify_signature(old_secret, r.header("tyto-signature"), r.body, unix_now()));

  CHECK(api(port, "DELETE", "/api/v1/webhooks/" + id).status == 204);
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id).status == 404);
  CHECK(api(port, "DELETE", "/api/v1/webhooks/" + id).status == 404);
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id + "/deliveries").status == 404);
  CHECK(api(port, "GET", "/api/v1/webhooks/00000000-0000-7000-8000-000000000000").status == 404);

  std::unique_ptr<tyto::storage::Database> db = backend.open();
  auto count = [&](const std::string& action) {
    return db->query_one("SELECT COUNT(*) FROM audit_logs WHERE action = $1", {action})->template get<std::int64_t>(0);
  };
  CHECK(count("webhook.create") == 4);
  CHECK(count("webhook.update") == 2);
  CHECK(count("webhook.rotate_secret") == 1);
  CHECK(count("webhook.delete") == 1);
  const auto entry = db->query_one("SELECT actor, resource FROM audit_logs WHERE action = 'webhook.delete'");
  CHECK(entry->template get<std::string>(1) == "webhook:" + id);
  CHECK(entry->template get<std::string>(0).starts_with("api_key:"));
}

TEST_CASE("Two instances on one PostgreSQL send one job webhook per finished job", "[integration][webhooks]") {
  Postgres backend;
  WebhookReceiver receiver;
  auto a = TytoProcess::serve(backend.args(), kAllowLoopback);
  auto b = TytoProcess::serve(backend.args(), kAllowLoopback);
  create_webhook(a->port(), receiver.url(), {"job.succeeded"});
  json jobs = json::array();
  for (int i = 0; i < 100; ++i) jobs.push_back({{"pipeline", "builtin.noop"}, {"input", {{"n", i}}}});
  auto res = api(b->port(), "POST", "/api/v1/jobs/batch", {{"jobs", jobs}});
  REQUIRE(res.status == 200);
  std::set<std::string> ids;
  for (const auto& r : res.body["results"]) ids.insert(r["job"]["id"].get<std::string>());
  REQUIRE(receiver.wait_for(100, 120s));
  std::unique_ptr<tyto::storage::Database> db = backend.open();
  REQUIRE(eventually(
      [&] {
        return db->query_one("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'delivered'")
                   ->get<std::int64_t>(0) == 100;
      },
      60s));
  std::this_thread::sleep_for(1s);
  std::set<std::string> reported;
  for (const auto& r : receiver.requests()) reported.insert(json::parse(r.body)["data"]["job_id"].get<std::string>());
  CHECK(receiver.count() == 100);
  CHECK(reported == ids);
  CHECK(db->query_one("SELECT COUNT(*) FROM webhook_deliveries")->get<std::int64_t>(0) == 100);
}

TEMPLATE_TEST_CASE("Webhooks are for admins of their own tenant, and other tenants get none of its events",
                   "[integration][webhooks]", Sqlite, Postgres) {
  TestType backend;
  WebhookReceiver mine_receiver, theirs_receiver;
  auto env = kAllowLoopback;
  env["TYTO_AUTH_REGISTRATION"] = "open";
  std::unique_ptr<TytoProcess> server = TytoProcess::serve(backend.args(), env);
  const std::uint16_t port = server->port();
  const auto mine = create_webhook(port, mine_receiver.url(), {"*"});
  const std::string id = mine["id"];
  auto ping = api(port, "POST", "/api/v1/webhooks/" + id + "/ping");
  REQUIRE(ping.status == 202);
  const std::string delivery_id = ping.body["id"];

  // A newly registered user is the admin of a tenant of their own.
  auto reg = api(port, "POST", "/api/v1/auth/register",
                 {{"email", "other@example.com"}, {"password", "another long passphrase"}}, {{"Authorization", ""}});
  INFO(reg.raw.body);
  REQUIRE(reg.status == 201);
  const std::map<std::string, std::string> other = {
      {"Authorization", "Bearer " + reg.body["access_token"].get<std::string>()}};
  auto listed = api(port, "GET", "/api/v1/webhooks", nullptr, other);
  REQUIRE(listed.status == 200);
  CHECK(listed.body["items"].empty());
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id, nullptr, other).status == 404);
  CHECK(api(port, "PATCH", "/api/v1/webhooks/" + id, {{"active", false}}, other).status == 404);
  CHECK(api(port, "POST", "/api/v1/webhooks/" + id + "/rotate-secret", nullptr, other).status == 404);
  CHECK(api(port, "POST", "/api/v1/webhooks/" + id + "/ping", nullptr, other).status == 404);
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id + "/deliveries", nullptr, other).status == 404);
  CHECK(api(port, "POST", "/api/v1/webhooks/deliveries/" + delivery_id + "/redeliver", nullptr, other).status == 404);
  CHECK(api(port, "DELETE", "/api/v1/webhooks/" + id, nullptr, other).status == 404);

  // Their endpoint for every event hears nothing of this tenant's jobs and pings.
  auto theirs = api(port, "POST", "/api/v1/webhooks", {{"url", theirs_receiver.url()}, {"event_types", {"*"}}}, other);
  REQUIRE(theirs.status == 201);
  REQUIRE(api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}}).status == 202);
  REQUIRE(mine_receiver.wait_for(2, 60s));  // the ping and job.succeeded
  std::this_thread::sleep_for(1s);
  CHECK(theirs_receiver.count() == 0);
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id).body["active"] == true);

  // Inside the tenant, webhooks are for admins only, reads included.
  auto key = api(port, "POST", "/api/v1/api-keys", {{"name", "plain user"}, {"role", "user"}});
  REQUIRE(key.status == 201);
  const std::map<std::string, std::string> user = {{"Authorization", "Bearer " + key.body["key"].get<std::string>()}};
  CHECK(api(port, "GET", "/api/v1/webhooks", nullptr, user).status == 403);
  CHECK(api(port, "GET", "/api/v1/webhooks/" + id + "/deliveries", nullptr, user).status == 403);
  CHECK(api(port, "POST", "/api/v1/webhooks", {{"url", mine_receiver.url()}, {"event_types", {"*"}}}, user).status ==
        403);
}

TEST_CASE("A completed upload sends one signed object.created webhook", "[integration][webhooks][uploads]") {
  Sqlite backend;
  WebhookReceiver receiver;
  auto server = TytoProcess::serve(backend.args(), kAllowLoopback);
  const std::uint16_t port = server->port();
  const auto hook = create_webhook(port, receiver.url(), {"object.*"});
  const std::string csv = "name,age\nAda,36\n";
  auto declared =
      api(port, "POST", "/api/v1/uploads",
          {{"filename", "people.csv"}, {"content_type", "text/csv"}, {"size", csv.size()}, {"purpose", "document"}});
  REQUIRE(declared.status == 201);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + declared.body["url"].get<std::string>();
  REQUIRE(fetch_url(url, "PUT", csv, {{"Content-Type", "text/csv"}}).status == 200);
  auto done =
      api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete", nullptr);
  REQUIRE(done.status == 201);

  REQUIRE(receiver.wait_for(1, 60s));
  const auto r = receiver.requests().front();
  check_signed(r, hook["secret"]);
  CHECK(r.header("tyto-event") == "object.created");
  const auto body = json::parse(r.body);
  CHECK(body["data"]["id"] == done.body["id"]);
  CHECK(body["data"]["size"] == csv.size());
  std::this_thread::sleep_for(1s);
  CHECK(receiver.count() == 1);
}
