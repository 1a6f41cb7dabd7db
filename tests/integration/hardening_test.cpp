// What an independent probe of the platform found, kept as tests: each case sends what the probe
// sent and checks the server now refuses it cleanly (and stays up).
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Resident memory of a process, in bytes.
std::int64_t rss_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

std::string nested_input(int depth) {
  std::string input(depth, '[');
  input += std::string(depth, ']');
  return R"({"pipeline":"builtin.noop","input":{"x":)" + input + "}}";
}

json error_of(const HttpResponse& res) {
  INFO(res.body);
  const auto body = json::parse(res.body);
  REQUIRE(body.contains("error"));
  return body["error"];
}

}  // namespace

TEST_CASE("A JSON body nested 60,000 levels deep is refused with invalid_json and the server stays up",
          "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  for (const char* path : {"/api/v1/jobs", "/api/v1/jobs/batch", "/api/v1/schedules"}) {
    INFO(path);
    const auto res = request(port, "POST", path, nested_input(60'000), {{"Content-Type", "application/json"}});
    CHECK(res.status == 400);
    const auto error = error_of(res);
    CHECK(error["code"] == "invalid_json");
    CHECK_THAT(error["details"]["reason"].get<std::string>(), Catch::Contains("deeper than 256"));
  }
  // Within the limit the same shape is an ordinary job.
  CHECK(request(port, "POST", "/api/v1/jobs", nested_input(200), {{"Content-Type", "application/json"}}).status == 202);
  CHECK(request(port, "GET", "/health").status == 200);
  CHECK(server->running());
}

TEST_CASE("http.max_json_depth sets the nesting limit", "[integration][hardening]") {
  auto server = TytoProcess::serve({"--http-max-json-depth", "8"});
  const auto port = server->port();
  CHECK(request(port, "POST", "/api/v1/jobs", nested_input(7), {{"Content-Type", "application/json"}}).status == 400);
  CHECK(request(port, "POST", "/api/v1/jobs", nested_input(5), {{"Content-Type", "application/json"}}).status == 202);
}

TEST_CASE("Numbers no double holds are invalid_json, not an internal error", "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  for (const std::string& number : {std::string("1e400"), std::string("-1e400"), std::string(500, '9')}) {
    const auto res =
        request(port, "POST", "/api/v1/jobs", R"({"pipeline":"builtin.noop","input":{"n":)" + number + "}}",
                {{"Content-Type", "application/json"}});
    CHECK(res.status == 400);
    CHECK(error_of(res)["code"] == "invalid_json");
  }
}

TEST_CASE("A chunk extension that never ends is refused at the header limit, not buffered",
          "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  const auto before = rss_bytes(server->pid());
  for (const std::string& tail : {std::string("1b;"), std::string("0\r\nX-Trailer: ")}) {
    INFO(tail);
    Client c(port);
    c.send(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
        tail);
    // Up to 64 MiB of 'a' without a line end; the server must stop reading long before.
    const std::string block(64 * 1024, 'a');
    std::size_t sent = 0;
    while (sent < (64u << 20) && c.try_send(block)) sent += block.size();
    const auto res = c.read_response(5s);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(c.closed_within(5s));
  }
  // The connection held at most the header limit plus a little: RSS did not follow the bytes sent.
  CHECK(rss_bytes(server->pid()) - before < 24 * 1024 * 1024);
  CHECK(request(port, "GET", "/health").status == 200);
}

TEST_CASE("Ambiguous framing is refused: obs-fold, TE other than chunked, listed or repeated Content-Length",
          "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  const std::string body = R"({"email":"a@b.c","password":"x"})";
  const std::string len = std::to_string(body.size());
  const std::string start = "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
  const std::vector<std::string> smuggles = {
      start + "X-Folded: a\r\n b\r\nContent-Length: " + len + "\r\n\r\n" + body,
      start + "Transfer-Encoding: identity, chunked\r\n\r\n" + "0\r\n\r\n",
      start + "Transfer-Encoding: gzip\r\n\r\n" + body,
      start + "Content-Length: " + len + ", " + len + "\r\n\r\n" + body,
      start + "Content-Length: " + len + "\r\nContent-Length: " + len + "\r\n\r\n" + body,
      start + "Content-Length: +" + len + "\r\n\r\n" + body,
      "POST /api/v1/auth/login HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      // A bare LF inside a quoted chunk extension: a proxy that ends lines at LF frames this differently.
      start + "Transfer-Encoding: chunked\r\n\r\n" + "2;a=\"\n\"\r\n{}\r\n0\r\n\r\n",
  };
  for (const auto& bytes : smuggles) {
    INFO(bytes);
    Client c(port);
    c.send(bytes);
    const auto res = c.read_response(5s);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(error_of(*res)["code"] == "bad_request");
    CHECK(c.closed_within(5s));
  }
  // The plain forms still work.
  Client ok(port);
  ok.send(start + "Content-Length: " + len + "\r\n\r\n" + body);
  const auto res = ok.read_response(5s);
  REQUIRE(res);
  CHECK(res->status == 401);
}

namespace {

const json kNoop = {{"pipeline", "builtin.noop"}};

// Invites email into the default tenant with role, registers it and returns the registration answer.
json add_member(std::uint16_t port, const std::string& email, const std::string& role) {
  auto inv = api(port, "POST", "/api/v1/invitations", {{"email", email}, {"role", role}});
  REQUIRE(inv.status == 201);
  auto reg = api(port, "POST", "/api/v1/auth/register",
                 {{"email", email}, {"password", "a long enough password"}, {"invitation", inv.body["token"]}},
                 {{"Authorization", ""}});
  INFO(reg.raw.body);
  REQUIRE(reg.status == 201);
  return reg.body;
}

std::string create_key(std::uint16_t port, const std::string& token, const std::string& role) {
  auto res = api(port, "POST", "/api/v1/api-keys", {{"name", role + " key"}, {"role", role}}, bearer(token));
  INFO(res.raw.body);
  REQUIRE(res.status == 201);
  return res.body["key"];
}

// Declares an upload of a small CSV as `token`'s principal; the answer holds upload_id and url.
json declare_upload(std::uint16_t port, const std::string& token) {
  auto res = api(port, "POST", "/api/v1/uploads",
                 {{"filename", "note.csv"}, {"content_type", "text/csv"}, {"size", 8}, {"purpose", "document"}},
                 bearer(token));
  INFO(res.raw.body);
  REQUIRE(res.status == 201);
  return res.body;
}

// An object uploaded and completed through the local upload flow by `token`'s principal.
std::string upload_object(std::uint16_t port, const std::string& token) {
  const json declared = declare_upload(port, token);
  std::string url = declared["url"];
  url = url.substr(url.find("/api/"));
  auto put = request(port, "PUT", url, "a,b\n1,2\n", {{"Content-Type", "text/csv"}, {"Authorization", ""}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared["upload_id"].get<std::string>() + "/complete", nullptr,
                  bearer(token));
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

}  // namespace

TEMPLATE_TEST_CASE("Removing a member revokes their API keys, and demoting one caps their keys' role",
                   "[integration][hardening]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const json removed = add_member(port, "removed@example.com", "user");
  const json demoted = add_member(port, "demoted@example.com", "admin");
  const std::string removed_key = create_key(port, removed["access_token"], "user");
  const std::string demoted_key = create_key(port, demoted["access_token"], "admin");
  REQUIRE(api(port, "POST", "/api/v1/jobs", kNoop, bearer(removed_key)).status == 202);
  REQUIRE(api(port, "GET", "/api/v1/users", nullptr, bearer(demoted_key)).status == 200);

  REQUIRE(api(port, "DELETE", "/api/v1/users/" + removed["user"]["id"].get<std::string>(), nullptr).status == 204);
  CHECK(api(port, "POST", "/api/v1/jobs", kNoop, bearer(removed_key)).status == 401);
  CHECK(api(port, "GET", "/api/v1/objects", nullptr, bearer(removed_key)).status == 401);

  REQUIRE(
      api(port, "PATCH", "/api/v1/users/" + demoted["user"]["id"].get<std::string>(), {{"role", "viewer"}}).status ==
      204);
  // An admin key of a member who is now a viewer is a viewer key.
  CHECK(api(port, "GET", "/api/v1/users", nullptr, bearer(demoted_key)).status == 403);
  CHECK(api(port, "POST", "/api/v1/jobs", kNoop, bearer(demoted_key)).status == 403);
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, bearer(demoted_key)).status == 200);
}

TEST_CASE("Keys made without a user are owners of their own: they neither see nor change each other's objects",
          "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  auto cli_key = [&](const std::string& role) {
    auto run = run_tyto(
        {"apikey", "create", "--tenant", "default", "--role", role, "--data-dir", (server->dir() / "data").string()});
    INFO(run.out << run.err);
    REQUIRE(run.status == 0);
    const auto at = run.out.find("tyto_");
    REQUIRE(at != std::string::npos);
    return run.out.substr(at, run.out.find_first_of(" \n", at) - at);
  };
  const std::string viewer = cli_key("viewer");
  const std::string user_a = cli_key("user");
  const std::string user_b = cli_key("user");
  // The bootstrap admin key uploads.
  const std::string object_id = upload_object(port, kAdminKey);
  const std::string path = "/api/v1/objects/" + object_id;
  CHECK(api(port, "GET", path, nullptr, bearer(viewer)).status == 404);
  CHECK(api(port, "GET", path + "/content", nullptr, bearer(viewer)).status == 404);
  CHECK(api(port, "DELETE", path, nullptr, bearer(user_a)).status == 404);
  CHECK(api(port, "GET", path, nullptr).status == 200);  // the admin key sees everything of the tenant

  const std::string mine = upload_object(port, user_a);
  CHECK(api(port, "GET", "/api/v1/objects/" + mine, nullptr, bearer(user_a)).status == 200);
  CHECK(api(port, "GET", "/api/v1/objects/" + mine, nullptr, bearer(user_b)).status == 404);
  const json pending = declare_upload(port, user_a);
  CHECK(api(port, "POST", "/api/v1/uploads/" + pending["upload_id"].get<std::string>() + "/complete", nullptr,
            bearer(user_b))
            .status == 404);
  auto listed = api(port, "GET", "/api/v1/objects", nullptr, bearer(user_b));
  REQUIRE(listed.status == 200);
  CHECK(listed.body["items"].empty());
}

TEST_CASE("Password checks have their own small admission, so a login flood leaves the API responsive",
          "[integration][hardening]") {
  // One password check at a time and one waiting; 16 concurrent logins.
  auto server = TytoProcess::serve({"--auth-password-concurrency", "1", "--auth-login-burst", "100"});
  const auto port = server->port();
  std::vector<std::thread> flood;
  std::atomic<int> refused = 0;
  std::atomic<int> answered = 0;
  for (int i = 0; i < 16; ++i) {
    flood.emplace_back([&] {
      auto res = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                     {{"Authorization", ""}});
      if (res.status == 429 && res.body["error"]["details"]["scope"] == "password_checks") ++refused;
      if (res.status == 200 || res.status == 429) ++answered;
    });
  }
  // Meanwhile the API answers as usual.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr).status == 200);
  const auto api_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  for (auto& t : flood) t.join();
  CHECK(answered == 16);
  CHECK(refused > 0);  // beyond one running and one waiting, refused at once
  INFO("API latency during the flood: " << api_ms.count() << " ms");
}

TEST_CASE("Login attempts are limited per address, successful ones included", "[integration][hardening]") {
  auto server = TytoProcess::serve({"--auth-login-rps", "0.1", "--auth-login-burst", "3"});
  const auto port = server->port();
  for (int i = 0; i < 3; ++i) {
    CHECK(api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
              {{"Authorization", ""}})
              .status == 200);
  }
  auto res = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                 {{"Authorization", ""}});
  CHECK(res.status == 429);
  CHECK(res.body["error"]["details"]["scope"] == "login");
  CHECK(!res.raw.header("retry-after").empty());
}

TEMPLATE_TEST_CASE("Concurrent refreshes with one token leave the winner's session alive", "[integration][hardening]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto session = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                     {{"Authorization", ""}});
  REQUIRE(session.status == 200);
  const std::string token = session.body["refresh_token"];
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::vector<json> winners;
  std::atomic<int> races = 0;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto res = api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", token}}, {{"Authorization", ""}});
      if (res.status == 200) {
        std::lock_guard lock(mutex);
        winners.push_back(res.body);
      } else if (res.status == 409) {
        ++races;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(winners.size() == 1);
  CHECK(races == 19);
  // The winner's tokens work: the access token and the next refresh.
  CHECK(api(port, "GET", "/api/v1/auth/me", nullptr, bearer(winners[0]["access_token"])).status == 200);
  CHECK(api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", winners[0]["refresh_token"]}},
            {{"Authorization", ""}})
            .status == 200);
}

TEMPLATE_TEST_CASE("Logout, a password change and refresh reuse end the session's access tokens at once",
                   "[integration][hardening]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--auth-refresh-grace-ms", "100"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  auto login = [&] {
    auto res = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                   {{"Authorization", ""}});
    REQUIRE(res.status == 200);
    return res.body;
  };
  auto works = [&](const json& s) {
    return api(port, "GET", "/api/v1/auth/me", nullptr, bearer(s["access_token"])).status == 200;
  };
  // Logout.
  const json a = login();
  REQUIRE(works(a));
  REQUIRE(api(port, "POST", "/api/v1/auth/logout", {{"refresh_token", a["refresh_token"]}}, {{"Authorization", ""}})
              .status == 204);
  CHECK_FALSE(works(a));
  // Reuse of a refresh token ends the session, access tokens included.
  const json b = login();
  auto b2 = api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", b["refresh_token"]}}, {{"Authorization", ""}});
  REQUIRE(b2.status == 200);
  std::this_thread::sleep_for(200ms);
  CHECK(api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", b["refresh_token"]}}, {{"Authorization", ""}})
            .status == 401);
  CHECK_FALSE(works(b2.body));
  // A password change ends the other sessions but not the caller's.
  const json c = login();
  const json d = login();
  REQUIRE(api(port, "POST", "/api/v1/auth/password",
              {{"current_password", kAdminPassword}, {"new_password", "another long passphrase"}},
              bearer(d["access_token"]))
              .status == 204);
  CHECK_FALSE(works(c));
  CHECK(works(d));
}

TEMPLATE_TEST_CASE("An Idempotency-Key is the caller's own, and reusing it with another body is 422",
                   "[integration][hardening]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "order-7"}};
  auto first = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}, {"input", {{"n", 1}}}}, key);
  REQUIRE(first.status == 202);
  auto replay = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}, {"input", {{"n", 1}}}}, key);
  CHECK(replay.status == 200);
  CHECK(replay.body["id"] == first.body["id"]);
  auto other = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}, {"input", {{"n", 2}}}}, key);
  CHECK(other.status == 422);
  CHECK(other.body["error"]["code"] == "idempotency_key_reused");
  // Another credential of the same tenant with the same key gets its own job.
  auto session = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                     {{"Authorization", ""}});
  REQUIRE(session.status == 200);
  auto theirs = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}, {"input", {{"n", 1}}}},
                    {{"Idempotency-Key", "order-7"},
                     {"Authorization", "Bearer " + session.body["access_token"].template get<std::string>()}});
  CHECK(theirs.status == 202);
  CHECK(theirs.body["id"] != first.body["id"]);
}

TEST_CASE("A superadmin's action on another tenant is audited in that tenant", "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  auto sa = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                {{"Authorization", ""}});
  REQUIRE(sa.status == 200);
  const auto as_sa = bearer(sa.body["access_token"]);
  auto tenant = api(port, "POST", "/api/v1/tenants", {{"name", "tenant-b"}}, as_sa);
  REQUIRE(tenant.status == 201);
  const std::string b = tenant.body["id"];
  REQUIRE(api(port, "PUT", "/api/v1/tenants/" + b + "/limits", {{"key_rps", 7}}, as_sa).status == 200);
  auto home = api(port, "GET", "/api/v1/audit?action=tenant.", nullptr);
  REQUIRE(home.status == 200);
  CHECK(home.body["items"].empty());  // nothing of tenant-b in default's log
  auto db = tyto::storage::open_database({"sqlite:" + (server->dir() / "data" / "tyto.db").string()});
  auto rows = db->query("SELECT action FROM audit_logs WHERE tenant_id = $1 ORDER BY id", {b}).rows;
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].get<std::string>(0) == "tenant.create");
  CHECK(rows[1].get<std::string>(0) == "tenant.limits_change");
}

TEST_CASE("Short, patterned and common passwords are refused, and invitations need open registration",
          "[integration][hardening]") {
  {
    auto server = TytoProcess::serve({"--auth-registration", "open"});
    const auto port = server->port();
    for (const char* weak : {"1234567890", "123456789012", "abcabcabcabc", "passwordpassword", "Sunshine2024!!"}) {
      INFO(weak);
      auto res = api(port, "POST", "/api/v1/auth/register", {{"email", "w@example.com"}, {"password", weak}},
                     {{"Authorization", ""}});
      CHECK(res.status == 422);
      CHECK(res.body["error"]["details"]["fields"].contains("password"));
    }
  }
  {
    auto server = TytoProcess::serve({"--auth-registration", "closed"});
    auto inv = api(server->port(), "POST", "/api/v1/invitations", {{"email", "x@example.com"}, {"role", "user"}});
    CHECK(inv.status == 403);
  }
}

TEST_CASE("List routes take limit as a plain integer and /api-keys pages with a cursor", "[integration][hardening]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  for (const char* path :
       {"/api/v1/jobs", "/api/v1/objects", "/api/v1/audit", "/api/v1/api-keys", "/api/v1/webhooks"}) {
    for (const char* bad : {"1.5", "10abc", "0", "-1"}) {
      INFO(path << "?limit=" << bad);
      auto res = api(port, "GET", std::string(path) + "?limit=" + bad, nullptr);
      CHECK(res.status == 422);
    }
  }
  for (int i = 0; i < 5; ++i)
    REQUIRE(api(port, "POST", "/api/v1/api-keys", {{"name", "k" + std::to_string(i)}}).status == 201);
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = api(port, "GET", "/api/v1/api-keys?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), nullptr);
    REQUIRE(page.status == 200);
    CHECK(page.body["items"].size() <= 2);
    for (const auto& k : page.body["items"]) CHECK(seen.insert(k["id"].get<std::string>()).second);
    cursor = page.body["next_cursor"].is_string() ? page.body["next_cursor"].get<std::string>() : "";
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen.size() == 6);  // five made here and the bootstrap key
  CHECK(pages == 3);
}

TEST_CASE("An instance that cannot bind its port exits without starting its job runner", "[integration][hardening]") {
  auto first = TytoProcess::serve();
  TytoProcess second({"serve", "--listen", "127.0.0.1:" + std::to_string(first->port()), "--data-dir", "data"},
                     {{"TYTO_AUTH_BOOTSTRAP_API_KEY", kAdminKey}});
  const auto status = second.wait(30s);
  REQUIRE(status);
  CHECK(*status == 1);
  CHECK_THAT(second.stderr_text(), Catch::Contains("cannot listen"));
  CHECK_THAT(second.stderr_text(), !Catch::Contains("job runner started"));
}

TEST_CASE("Five wrong passwords from one address do not lock the owner out from another", "[integration][hardening]") {
  auto server = TytoProcess::serve({"--listen", "0.0.0.0:0"});
  const auto port = server->port();
  for (int i = 0; i < 5; ++i) {
    CHECK(api(port, "POST", "/api/v1/auth/login",
              {{"email", kAdminEmail}, {"password", "wrong password " + std::to_string(i)}}, {{"Authorization", ""}})
              .status == 401);
  }
  CHECK(api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
            {{"Authorization", ""}})
            .status == 429);
  // From 127.0.0.2, another address of the loopback interface that has not failed, the owner gets in.
  Client other(port, "127.0.0.1", "127.0.0.2");
  const std::string body = json{{"email", kAdminEmail}, {"password", kAdminPassword}}.dump();
  other.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto res = other.read_response(10s);
  REQUIRE(res);
  CHECK(res->status == 200);
}
