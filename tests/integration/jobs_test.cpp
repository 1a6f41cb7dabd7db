// The job queue through the real binary, on SQLite and on PostgreSQL.
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "tyto/storage/database.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Fast timings so crash and retry tests take seconds, not minutes.
const std::vector<std::string> kFast = {"--jobs-lease-ms",
                                        "1500",
                                        "--jobs-heartbeat-ms",
                                        "300",
                                        "--jobs-rescue-interval-ms",
                                        "200",
                                        "--jobs-backoff-base-ms",
                                        "50",
                                        "--jobs-poll-ms",
                                        "100",
                                        "--jobs-workers",
                                        "2"};

using Sqlite = WithArgs<SqliteBackend, kFast>;
using Postgres = WithArgs<PostgresBackend, kFast>;

std::string submit(std::uint16_t port, const json& job, const std::map<std::string, std::string>& headers = {}) {
  auto res = api(port, "POST", "/api/v1/jobs", job, headers);
  INFO(res.raw.body);
  REQUIRE(res.status == 202);
  return res.body["id"].get<std::string>();
}

std::int64_t count_events(tyto::storage::Database& db, const std::string& id, const std::string& type) {
  return db.query_one("SELECT COUNT(*) FROM events WHERE topic = $1 AND type = $2", {"job:" + id, type})
      ->get<std::int64_t>(0);
}

}  // namespace

TEMPLATE_TEST_CASE("1,000 jobs on 2 workers all finish exactly once", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  std::vector<std::string> ids;
  for (int batch = 0; batch < 2; ++batch) {
    json jobs = json::array();
    for (int i = 0; i < 500; ++i) jobs.push_back({{"pipeline", "builtin.noop"}, {"input", {{"n", i}}}});
    auto res = api(port, "POST", "/api/v1/jobs/batch", {{"jobs", jobs}});
    REQUIRE(res.status == 200);
    REQUIRE(res.body["results"].size() == 500);
    for (const auto& r : res.body["results"]) {
      REQUIRE(r["status"] == 202);
      ids.push_back(r["job"]["id"]);
    }
  }
  auto db = backend.open();
  REQUIRE(eventually(
      [&] {
        return db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")->template get<std::int64_t>(0) ==
               1000;
      },
      120s));
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1000);
  CHECK(db->query_one("SELECT COUNT(*) FROM jobs WHERE attempts <> 1")->template get<std::int64_t>(0) == 0);
  // Exactly once: one start and one success per job, never two.
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE type = 'started'")->template get<std::int64_t>(0) == 1000);
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE type = 'succeeded'")->template get<std::int64_t>(0) == 1000);
  CHECK(db->query_one("SELECT COUNT(*) FROM (SELECT topic FROM events WHERE type = 'succeeded' GROUP BY topic "
                      "HAVING COUNT(*) > 1) t")
            ->template get<std::int64_t>(0) == 0);
}

TEMPLATE_TEST_CASE("A job whose server is killed is rescued after restart and finishes once", "[integration][jobs]",
                   Sqlite, Postgres) {
  TestType backend;
  std::string id;
  {
    auto server = TytoProcess::serve(backend.args());
    id = submit(server->port(), {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 2000}, {"steps", 4}}}});
    wait_for_state(server->port(), id, "running");
    server->signal(SIGKILL);
    REQUIRE(server->wait() == 128 + SIGKILL);
  }
  auto server = TytoProcess::serve(backend.args());
  const auto job = wait_for_state(server->port(), id, "succeeded", 60s);
  CHECK(job["attempts"] == 2);
  auto db = backend.open();
  CHECK(count_events(*db, id, "rescued") == 1);
  CHECK(count_events(*db, id, "succeeded") == 1);
  CHECK(count_events(*db, id, "started") == 2);
}

TEMPLATE_TEST_CASE("Jobs can be cancelled while queued and while running", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();

  const auto later = submit(port, {{"pipeline", "builtin.noop"}, {"run_at", "2099-01-01T00:00:00Z"}});
  auto res = api(port, "POST", "/api/v1/jobs/" + later + "/cancel");
  CHECK(res.status == 200);
  CHECK(res.body["state"] == "cancelled");
  CHECK(api(port, "POST", "/api/v1/jobs/" + later + "/cancel").status == 409);

  const auto busy = submit(port, {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 20000}, {"steps", 200}}}});
  wait_for_state(port, busy, "running");
  CHECK(api(port, "POST", "/api/v1/jobs/" + busy + "/cancel").status == 200);
  const auto job = wait_for_state(port, busy, "cancelled", 10s);
  CHECK(job["progress"].template get<double>() < 1.0);

  // A cancelled job can be retried.
  auto again = api(port, "POST", "/api/v1/jobs/" + later + "/retry");
  CHECK(again.status == 200);
  CHECK(again.body["state"] == "queued");
  CHECK(api(port, "POST", "/api/v1/jobs/nonexistent/cancel").status == 404);
}

TEMPLATE_TEST_CASE("A finished job answered from memory never outlives a retry or an erasure, nor crosses tenants",
                   "[integration][jobs][views]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();

  // The first read of a finished job keeps its view; the second is answered from it, and says the same.
  const auto id = submit(port, {{"pipeline", "builtin.noop"}, {"run_at", "2099-01-01T00:00:00Z"}});
  REQUIRE(api(port, "POST", "/api/v1/jobs/" + id + "/cancel").status == 200);
  const auto first = get_job(port, id);
  REQUIRE(first["state"] == "cancelled");
  CHECK(get_job(port, id) == first);
  // A retry shows at once (a kept view would still say cancelled for a second).
  REQUIRE(api(port, "POST", "/api/v1/jobs/" + id + "/retry").status == 200);
  CHECK(get_job(port, id)["state"] != "cancelled");
  const auto done = wait_for_state(port, id, "succeeded");
  CHECK(get_job(port, id) == done);

  // Another tenant's admin gets 404 for it, before and after its owner read it from memory.
  auto sa = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                {{"Authorization", ""}});
  REQUIRE(sa.status == 200);
  REQUIRE(api(port, "POST", "/api/v1/tenants", {{"name", "other"}}, bearer(sa.body["access_token"])).status == 201);
  auto in_other =
      api(port, "POST", "/api/v1/auth/login",
          {{"email", kAdminEmail}, {"password", kAdminPassword}, {"tenant", "other"}}, {{"Authorization", ""}});
  REQUIRE(in_other.status == 200);
  auto other_key = api(port, "POST", "/api/v1/api-keys", {{"name", "other"}, {"role", "admin"}},
                       bearer(in_other.body["access_token"]));
  REQUIRE(other_key.status == 201);
  const auto as_other = bearer(other_key.body["key"]);
  for (int i = 0; i < 3; ++i) {
    CHECK(get_job(port, id)["state"] == "succeeded");
    auto res = api(port, "GET", "/api/v1/jobs/" + id, nullptr, as_other);
    CHECK(res.status == 404);
    CHECK(res.body["error"]["code"] == "not_found");
  }

  // A member's job, read from memory by the admin, is gone the moment the member deletes their account.
  const auto leaving = member(port, "leaving@example.com", "user");
  const auto theirs = submit(port, {{"pipeline", "builtin.noop"}}, bearer(leaving.token));
  const auto theirs_done = wait_for_state(port, theirs, "succeeded");
  CHECK(get_job(port, theirs) == theirs_done);
  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, bearer(leaving.token)).status == 204);
  // The erasure also forgot the cached principals: one request reads the admin's back, so the next is tried
  // from memory.
  REQUIRE(api(port, "GET", "/api/v1/jobs?limit=1").status == 200);
  CHECK(api(port, "GET", "/api/v1/jobs/" + theirs).status == 404);
}

TEST_CASE("A job read from memory is still charged to the caller's rate limit", "[integration][jobs][views]") {
  auto server = TytoProcess::serve({"--limits-key-rps", "0.5", "--limits-key-burst", "8"});
  const auto port = server->port();
  auto key = api(port, "POST", "/api/v1/api-keys", {{"name", "reader"}, {"role", "viewer"}});
  REQUIRE(key.status == 201);
  const auto id = submit(port, {{"pipeline", "builtin.noop"}});
  // Few polls: the admin key's own bucket holds 8.
  json job = json::object();
  for (int i = 0; i < 5 && job.value("state", "") != "succeeded"; ++i) {
    std::this_thread::sleep_for(300ms);
    job = api(port, "GET", "/api/v1/jobs/" + id).body;
  }
  REQUIRE(job["state"] == "succeeded");
  const auto as_reader = bearer(key.body["key"]);
  int ok = 0, limited = 0;
  for (int i = 0; i < 14; ++i) {
    auto res = api(port, "GET", "/api/v1/jobs/" + id, nullptr, as_reader);
    if (res.status == 200) {
      ++ok;
      CHECK(res.body == job);
    } else if (res.status == 429) {
      ++limited;
      CHECK(!res.raw.header("retry-after").empty());
    }
  }
  CHECK(ok >= 8);
  CHECK(ok <= 10);  // the burst, and what 0.5/s refills while the loop runs
  CHECK(ok + limited == 14);
}

TEMPLATE_TEST_CASE("A job that runs past its timeout fails with code timeout", "[integration][jobs]", Sqlite,
                   Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto id = submit(server->port(),
                         {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 30000}, {"steps", 30}}}, {"timeout_s", 1}});
  const auto job = wait_for_state(server->port(), id, "failed", 15s);
  CHECK(job["error"]["code"] == "timeout");
  CHECK(job["attempts"] == 1);
}

TEMPLATE_TEST_CASE("Failing attempts are retried with backoff until one succeeds", "[integration][jobs]", Sqlite,
                   Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto flaky = submit(port, {{"pipeline", "builtin.fail"}, {"input", {{"times", 2}}}, {"max_attempts", 3}});
  const auto job = wait_for_state(port, flaky, "succeeded");
  CHECK(job["attempts"] == 3);
  CHECK(job["result"]["attempt"] == 3);
  auto db = backend.open();
  CHECK(count_events(*db, flaky, "retry_scheduled") == 2);

  const auto doomed = submit(port, {{"pipeline", "builtin.fail"}, {"input", {{"times", 5}}}, {"max_attempts", 2}});
  const auto failed = wait_for_state(port, doomed, "failed");
  CHECK(failed["attempts"] == 2);
  CHECK(failed["error"]["code"] == "builtin_failure");

  const auto permanent =
      submit(port, {{"pipeline", "builtin.fail"}, {"input", {{"times", 1}, {"permanent", true}}}, {"max_attempts", 5}});
  CHECK(wait_for_state(port, permanent, "failed")["attempts"] == 1);

  auto retried = api(port, "POST", "/api/v1/jobs/" + permanent + "/retry");
  CHECK(retried.status == 200);
  CHECK(api(port, "POST", "/api/v1/jobs/" + flaky + "/retry").status == 409);  // succeeded jobs stay done
}

TEMPLATE_TEST_CASE("A retried job resumes after its last finished stage", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto id = submit(server->port(), {{"pipeline", "builtin.chain"}, {"input", {{"ms", 200}, {"times", 1}}}});
  const auto job = wait_for_state(server->port(), id, "succeeded");
  CHECK(job["attempts"] == 2);
  auto db = backend.open();
  // The sleep stage ran once (attempt 1); attempt 2 started at the fail stage.
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE topic = $1 AND type = 'stage_started' AND data LIKE $2",
                      {"job:" + id, "%\"stage\":\"sleep\"%"})
            ->template get<std::int64_t>(0) == 1);
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE topic = $1 AND type = 'stage_started' AND data LIKE $2",
                      {"job:" + id, "%\"stage\":\"fail\"%"})
            ->template get<std::int64_t>(0) == 2);
}

TEMPLATE_TEST_CASE("Unique keys and idempotency keys hold across requests", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const json later = {{"pipeline", "builtin.noop"}, {"run_at", "2099-01-01T00:00:00Z"}, {"unique_key", "report-42"}};
  const auto first = submit(port, later);
  auto conflict = api(port, "POST", "/api/v1/jobs", later);
  CHECK(conflict.status == 409);
  CHECK(conflict.body["error"]["code"] == "conflict");
  CHECK(conflict.body["error"]["details"]["job_id"] == first);
  // Once the holder is finished, the key is free again.
  REQUIRE(api(port, "POST", "/api/v1/jobs/" + first + "/cancel").status == 200);
  CHECK(api(port, "POST", "/api/v1/jobs", later).status == 202);

  const json job = {{"pipeline", "builtin.noop"}};
  const auto a = submit(port, job, {{"Idempotency-Key", "client-request-7"}});
  auto replay = api(port, "POST", "/api/v1/jobs", job, {{"Idempotency-Key", "client-request-7"}});
  CHECK(replay.status == 200);
  CHECK(replay.body["id"] == a);
  CHECK(replay.raw.header("idempotent-replayed") == "true");
}

TEMPLATE_TEST_CASE("Bad job requests get 422 naming the fields", "[integration][jobs][errors]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto unknown = api(port, "POST", "/api/v1/jobs", {{"pipeline", "no.such.pipeline"}});
  CHECK(unknown.status == 422);
  CHECK(unknown.body["error"]["details"]["fields"].contains("pipeline"));
  auto bad_input = api(port, "POST", "/api/v1/jobs",
                       {{"pipeline", "builtin.sleep"}, {"input", {{"ms", "soon"}}}, {"priority", 5000}});
  CHECK(bad_input.status == 422);
  CHECK(bad_input.body["error"]["details"]["fields"].contains("input.ms"));
  CHECK(bad_input.body["error"]["details"]["fields"].contains("priority"));
  CHECK(api(port, "POST", "/api/v1/jobs/batch", {{"jobs", json::array()}}).status == 422);
  CHECK(api(port, "GET", "/api/v1/jobs?state=sideways").status == 422);
  CHECK(api(port, "GET", "/api/v1/jobs/not-a-job").status == 404);
}

TEMPLATE_TEST_CASE("Job lists are paginated with a cursor", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  json jobs = json::array();
  for (int i = 0; i < 7; ++i) jobs.push_back({{"pipeline", "builtin.noop"}, {"run_at", "2099-01-01T00:00:00Z"}});
  REQUIRE(api(port, "POST", "/api/v1/jobs/batch", {{"jobs", jobs}}).status == 200);
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = api(port, "GET", "/api/v1/jobs?state=queued&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(page.status == 200);
    for (const auto& j : page.body["items"]) CHECK(seen.insert(j["id"].template get<std::string>()).second);
    cursor = page.body["next_cursor"].is_null() ? "" : page.body["next_cursor"].template get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen.size() == 7);
  CHECK(pages == 3);
}

TEMPLATE_TEST_CASE("SSE streams a job's events and resumes after Last-Event-ID", "[integration][jobs][streams]", Sqlite,
                   Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto id = submit(port, {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 300}, {"steps", 3}}}});
  wait_for_state(port, id, "succeeded");

  auto read_sse = [&](const std::string& last_id) {
    Client c(port);
    std::string req =
        "GET /api/v1/jobs/" + id + "/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdminKey + "\r\n";
    if (!last_id.empty()) req += "Last-Event-ID: " + last_id + "\r\n";
    c.send(req + "\r\n");
    auto res = c.read_response(3s);  // close-delimited: read until the timeout
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->header("content-type") == "text/event-stream");
    std::vector<std::int64_t> ids;
    std::vector<std::string> types;
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("id: ", 0) == 0) ids.push_back(std::stoll(line.substr(4)));
      if (line.rfind("event: ", 0) == 0) types.push_back(line.substr(7));
    }
    return std::make_pair(ids, types);
  };
  auto [all_ids, all_types] = read_sse("");
  REQUIRE(all_types.size() >= 7);  // queued, started, stage_started, 3 × progress, stage_finished, succeeded
  CHECK(all_types.front() == "queued");
  CHECK(all_types.back() == "succeeded");
  CHECK(std::is_sorted(all_ids.begin(), all_ids.end()));

  auto [rest_ids, rest_types] = read_sse(std::to_string(all_ids[2]));
  CHECK(rest_ids == std::vector<std::int64_t>(all_ids.begin() + 3, all_ids.end()));
}

TEMPLATE_TEST_CASE("A WebSocket follows a job live from a snapshot, without gaps or duplicates",
                   "[integration][jobs][streams]", Sqlite, Postgres) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto id = submit(port, {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 1000}, {"steps", 10}}}});
  Client c(port);
  REQUIRE(c.websocket_upgrade("/ws/jobs/" + id));
  auto first = c.websocket_read_text();
  REQUIRE(first);
  CHECK(json::parse(*first)["type"] == "snapshot");
  std::vector<std::int64_t> seqs;
  std::vector<std::string> types;
  while (auto msg = c.websocket_read_text(15s)) {
    const auto e = json::parse(*msg);
    seqs.push_back(e["seq"]);
    types.push_back(e["type"]);
    if (e["type"] == "succeeded") break;
  }
  REQUIRE_FALSE(types.empty());
  CHECK(types.back() == "succeeded");
  CHECK(std::count(types.begin(), types.end(), "progress") == 10);
  CHECK(std::adjacent_find(seqs.begin(), seqs.end(), std::greater_equal<>()) == seqs.end());  // strictly increasing
}

TEST_CASE("A WebSocket consumer that stops reading is cut off and the server stays healthy",
          "[integration][jobs][streams]") {
  Sqlite backend;
  auto args = backend.args();
  args.insert(args.end(), {"--jobs-stream-queue-limit", "5"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  const auto id = submit(port, {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 3000}, {"steps", 3000}}}});
  Client lazy(port);
  REQUIRE(lazy.websocket_upgrade("/ws/jobs/" + id));
  // Read nothing while the job streams thousands of progress events.
  wait_for_state(port, id, "succeeded", 60s);
  REQUIRE(eventually(
      [&] {
        auto m = request(port, "GET", "/metrics");
        return m.body.find("tyto_stream_too_slow_total 1") != std::string::npos;
      },
      10s));
  CHECK(lazy.closed_within(10s));
  CHECK(request(port, "GET", "/health").status == 200);
}

TEMPLATE_TEST_CASE("Schedules are validated and fire their pipeline each period", "[integration][jobs][schedules]",
                   Sqlite, Postgres) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--jobs-schedule-tick-ms", "50"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  auto bad = api(port, "POST", "/api/v1/schedules",
                 {{"pipeline", "builtin.noop"}, {"cron", "61 * * * *"}, {"timezone", "Mars/Olympus"}});
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["details"]["fields"].contains("cron"));
  CHECK(bad.body["error"]["details"]["fields"].contains("timezone"));

  auto created = api(port, "POST", "/api/v1/schedules",
                     {{"pipeline", "builtin.noop"}, {"cron", "* * * * * *"}, {"timezone", "Europe/Berlin"}});
  REQUIRE(created.status == 201);
  const std::string id = created.body["id"];
  CHECK_FALSE(created.body["next_fire_at"].is_null());
  std::this_thread::sleep_for(3500ms);
  REQUIRE(api(port, "DELETE", "/api/v1/schedules/" + id).status == 204);
  CHECK(api(port, "GET", "/api/v1/schedules/" + id).status == 404);

  auto db = backend.open();
  const auto jobs = db->query("SELECT unique_key FROM jobs WHERE unique_key LIKE $1", {"schedule:" + id + ":%"});
  std::set<std::string> keys;
  for (const auto& r : jobs.rows) keys.insert(r.template get<std::string>(0));
  CHECK(jobs.rows.size() >= 2);  // 3 or 4 on a quiet machine; a stalled tick fires a missed time once
  CHECK(jobs.rows.size() <= 4);
  CHECK(keys.size() == jobs.rows.size());
}

TEST_CASE("Two instances on one PostgreSQL share the queue and each other's events", "[integration][jobs][postgres]") {
  Postgres backend;
  auto a_args = backend.args();
  a_args.insert(a_args.end(), {"--jobs-schedule-tick-ms", "50"});
  auto b_args = a_args;
  auto a = TytoProcess::serve(a_args);
  auto b = TytoProcess::serve(b_args);

  // Both run the jobs one of them accepted, none twice.
  json jobs = json::array();
  for (int i = 0; i < 200; ++i) jobs.push_back({{"pipeline", "builtin.sleep"}, {"input", {{"ms", 5}}}});
  REQUIRE(api(a->port(), "POST", "/api/v1/jobs/batch", {{"jobs", jobs}}).status == 200);
  auto db = backend.open();
  REQUIRE(eventually(
      [&] { return db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")->get<std::int64_t>(0) == 200; },
      60s));
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE type = 'started'")->get<std::int64_t>(0) == 200);
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE type = 'succeeded'")->get<std::int64_t>(0) == 200);
  std::set<std::string> runners;
  for (const auto& r : db->query("SELECT data FROM events WHERE type = 'started'").rows) {
    runners.insert(json::parse(r.get<std::string>(0))["runner"].get<std::string>());
  }
  CHECK(runners.size() == 2);

  // A schedule fires once per period although both instances look at it.
  auto created = api(a->port(), "POST", "/api/v1/schedules", {{"pipeline", "builtin.noop"}, {"cron", "* * * * * *"}});
  REQUIRE(created.status == 201);
  const std::string schedule = created.body["id"];
  std::this_thread::sleep_for(3500ms);
  REQUIRE(api(b->port(), "DELETE", "/api/v1/schedules/" + schedule).status == 204);
  const auto fired = db->query("SELECT unique_key FROM jobs WHERE unique_key LIKE $1", {"schedule:" + schedule + ":%"});
  std::set<std::string> keys;
  for (const auto& r : fired.rows) keys.insert(r.get<std::string>(0));
  CHECK(fired.rows.size() >= 2);  // as above: never more than one job per fire time
  CHECK(fired.rows.size() <= 4);
  CHECK(keys.size() == fired.rows.size());

  // An event of a job running on A reaches a WebSocket subscriber on B.
  b->signal(SIGTERM);
  REQUIRE(b->wait() == 0);
  auto b_api_only = b_args;
  b_api_only.insert(b_api_only.end(), {"--jobs-enabled", "false"});
  auto b2 = TytoProcess::serve(b_api_only);
  const auto id = submit(a->port(), {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 1500}, {"steps", 5}}}});
  Client c(b2->port());
  REQUIRE(c.websocket_upgrade("/ws/jobs/" + id));
  std::vector<std::string> types;
  while (auto msg = c.websocket_read_text(15s)) {
    types.push_back(json::parse(*msg)["type"]);
    if (types.back() == "succeeded") break;
  }
  CHECK(std::count(types.begin(), types.end(), "progress") == 5);
  CHECK(types.back() == "succeeded");
}

TEMPLATE_TEST_CASE("A pipeline's concurrency limit caps its running jobs", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--jobs-pipeline-concurrency", "builtin.sleep=1", "--jobs-workers", "4"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  json jobs = json::array();
  for (int i = 0; i < 3; ++i) jobs.push_back({{"pipeline", "builtin.sleep"}, {"input", {{"ms", 300}}}});
  for (int i = 0; i < 5; ++i) jobs.push_back({{"pipeline", "builtin.noop"}});
  REQUIRE(api(port, "POST", "/api/v1/jobs/batch", {{"jobs", jobs}}).status == 200);
  auto db = backend.open();
  int most_running = 0;
  REQUIRE(eventually(
      [&] {
        const auto running =
            db->query_one("SELECT COUNT(*) FROM jobs WHERE pipeline = 'builtin.sleep' AND state = 'running'")
                ->template get<std::int64_t>(0);
        most_running = std::max<int>(most_running, static_cast<int>(running));
        return db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")->template get<std::int64_t>(0) == 8;
      },
      30s));
  CHECK(most_running == 1);
  CHECK(TytoProcess({"serve", "--listen", "127.0.0.1:0", "--jobs-pipeline-concurrency", "no.such=2"}).wait() == 1);
}

TEMPLATE_TEST_CASE("Shutdown releases a running job, which the next start runs again", "[integration][jobs]", Sqlite,
                   Postgres) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--jobs-shutdown-timeout-ms", "300"});
  std::string id;
  {
    auto server = TytoProcess::serve(args);
    id = submit(server->port(), {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 4000}, {"steps", 40}}}});
    wait_for_state(server->port(), id, "running");
    server->signal(SIGTERM);
    CHECK(server->wait(15s) == 0);
  }
  auto db = backend.open();
  const auto row = db->query_one("SELECT state, attempts, lease_owner FROM jobs WHERE id = $1", {id});
  REQUIRE(row);
  CHECK(row->template get<std::string>(0) == "queued");
  CHECK(row->template get<int>(1) == 0);  // the interrupted attempt is not counted
  CHECK(row->is_null(2));
  CHECK(count_events(*db, id, "released") == 1);
  auto server = TytoProcess::serve(args);
  CHECK(wait_for_state(server->port(), id, "succeeded", 30s)["attempts"] == 1);
}

TEMPLATE_TEST_CASE("A tenant's concurrency limit caps its running jobs", "[integration][jobs]", Sqlite, Postgres) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--jobs-tenant-concurrency", "2", "--jobs-workers", "4"});
  auto server = TytoProcess::serve(args);
  json jobs = json::array();
  for (int i = 0; i < 6; ++i) jobs.push_back({{"pipeline", "builtin.sleep"}, {"input", {{"ms", 200}}}});
  REQUIRE(api(server->port(), "POST", "/api/v1/jobs/batch", {{"jobs", jobs}}).status == 200);
  auto db = backend.open();
  int most_running = 0;
  REQUIRE(eventually(
      [&] {
        const auto running =
            db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'running'")->template get<std::int64_t>(0);
        most_running = std::max<int>(most_running, static_cast<int>(running));
        return db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")->template get<std::int64_t>(0) == 6;
      },
      30s));
  CHECK(most_running == 2);
}

TEST_CASE("Jobs survive a PostgreSQL restart: none lost, none run twice", "[integration][jobs][postgres]") {
  PrivatePostgres pg;
  TempDir dir;
  std::vector<std::string> args = {"--data-dir", dir.path().string(), "--database", pg.url()};
  args.insert(args.end(), kFast.begin(), kFast.end());
  auto server = TytoProcess::serve(args);
  json jobs = json::array();
  for (int i = 0; i < 300; ++i) jobs.push_back({{"pipeline", "builtin.sleep"}, {"input", {{"ms", 10}}}});
  REQUIRE(api(server->port(), "POST", "/api/v1/jobs/batch", {{"jobs", jobs}}).status == 200);
  std::this_thread::sleep_for(300ms);  // some finished, some running, most queued
  REQUIRE(pg.restart());

  auto db = tyto::storage::open_database({pg.url()});
  REQUIRE(eventually(
      [&] { return db->query_one("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")->get<std::int64_t>(0) == 300; },
      90s));
  // Every job succeeded once; a job whose lease was renewed across the restart may have been
  // rescued and started again, but never finished twice.
  CHECK(db->query_one("SELECT COUNT(*) FROM events WHERE type = 'succeeded'")->get<std::int64_t>(0) == 300);
  CHECK(request(server->port(), "GET", "/ready").status == 200);
  server->signal(SIGTERM);
  CHECK(server->wait() == 0);
}
