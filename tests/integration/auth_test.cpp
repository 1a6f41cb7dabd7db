// Identity through the real binary: tokens, refresh rotation, API keys, registration, limits, quotas,
// the audit log and account deletion, on SQLite and on PostgreSQL.
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "tyto/auth/jwt.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/time.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A known master secret, so the test can sign tokens the server must accept or refuse.
const std::string kSecret = "integration-test-master-secret-0123456789abcdef";

std::map<std::string, std::string> env_with_secret() { return {{"TYTO_AUTH_SECRET", kSecret}}; }

// The server's JWT key: HMAC(master, "tyto key derivation v1: jwt"), kid = its SHA-256 prefix.
tyto::auth::JwtKey server_jwt_key() {
  std::string key = tyto::hmac_sha256(kSecret, "tyto key derivation v1: jwt");
  return {tyto::sha256_hex(key).substr(0, 12), key};
}

json login(std::uint16_t port, const std::string& email, const std::string& password, int expect = 200) {
  auto res =
      api(port, "POST", "/api/v1/auth/login", {{"email", email}, {"password", password}}, {{"Authorization", ""}});
  INFO(res.raw.body);
  REQUIRE(res.status == expect);
  return res.body;
}

std::string b64url(const std::string& s) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (s.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(s[i]) << 16;
    out += {a[v >> 18], a[(v >> 12) & 63]};
  } else if (s.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63]};
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("Protected routes refuse missing, tampered, expired and wrong-algorithm tokens",
                   "[integration][auth]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(), env_with_secret());
  const auto port = server->port();
  const json session = login(port, kAdminEmail, kAdminPassword);
  const std::string token = session["access_token"];
  const std::string user_id = session["user"]["id"];
  const std::string tenant_id = session["tenant"]["id"];

  // The real token works; so does one the test signs with the derived key (so the refusals below are
  // about what was changed, not about the test's signing).
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, bearer(token)).status == 200);
  const auto key = server_jwt_key();
  const std::int64_t now = tyto::now_micros() / 1'000'000;
  json claims = {{"iss", "tyto"},    {"aud", "tyto-api"}, {"sub", user_id},
                 {"tid", tenant_id}, {"iat", now},        {"exp", now + 300}};
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, bearer(tyto::auth::sign_jwt(claims, key.secret, key.kid))).status ==
        200);

  auto refused = [&](const std::string& t) {
    auto res = api(port, "GET", "/api/v1/jobs", nullptr, bearer(t));
    INFO("token " << t << " → " << res.raw.body);
    CHECK(res.status == 401);
    CHECK(res.body["error"]["code"] == "unauthorized");
  };
  // No credentials at all, and a non-bearer scheme.
  auto none = api(port, "GET", "/api/v1/jobs", nullptr, {{"Authorization", ""}});
  CHECK(none.status == 401);
  CHECK(none.raw.header("www-authenticate") == "Bearer");
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, {{"Authorization", "Basic YWRtaW46YWRtaW4="}}).status == 401);
  // Tampered: a flipped signature character, and a payload swapped under the old signature.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  refused(flipped);
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  json other = claims;
  other["tid"] = "someone-elses-tenant";
  refused(token.substr(0, dot1 + 1) + b64url(other.dump()) + token.substr(dot2));
  // Expired (beyond the 30 s leeway), wrong audience, another key.
  json expired = claims;
  expired["exp"] = now - 120;
  refused(tyto::auth::sign_jwt(expired, key.secret, key.kid));
  json wrong_aud = claims;
  wrong_aud["aud"] = "somebody-else";
  refused(tyto::auth::sign_jwt(wrong_aud, key.secret, key.kid));
  refused(tyto::auth::sign_jwt(claims, std::string(40, 'k')));
  // Wrong algorithms: "none" without a signature, and HS512/RS256 headers over a valid HS256 signature.
  const std::string body = b64url(claims.dump());
  refused(b64url(R"({"alg":"none","typ":"JWT"})") + "." + body + ".");
  for (const char* alg : {"HS512", "RS256"}) {
    const std::string head = b64url(json{{"alg", alg}, {"typ", "JWT"}, {"kid", key.kid}}.dump());
    refused(head + "." + body + "." + b64url(tyto::hmac_sha256(key.secret, head + "." + body)));
  }
  // A well-signed token for a user that does not exist.
  json ghost = claims;
  ghost["sub"] = "01900000-0000-7000-8000-000000000000";
  refused(tyto::auth::sign_jwt(ghost, key.secret, key.kid));
  // Public routes need nothing.
  CHECK(api(port, "GET", "/health", nullptr, {{"Authorization", ""}}).status == 200);
  CHECK(api(port, "GET", "/ready", nullptr, {{"Authorization", ""}}).status == 200);
}

TEMPLATE_TEST_CASE("Refresh tokens rotate on use and a reused one revokes the whole session", "[integration][auth]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--auth-refresh-grace-ms", "300"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  const json first = login(port, kAdminEmail, kAdminPassword);
  const std::string r1 = first["refresh_token"];
  CHECK(r1.rfind("tytr_", 0) == 0);

  auto refresh = [&](const std::string& t) {
    return api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", t}}, {{"Authorization", ""}});
  };
  auto second = refresh(r1);
  REQUIRE(second.status == 200);
  const std::string r2 = second.body["refresh_token"];
  CHECK(r2 != r1);
  CHECK(api(port, "GET", "/api/v1/auth/me", nullptr, bearer(second.body["access_token"])).status == 200);

  // r1 again within the grace: a client's own race, refused without ending the session.
  CHECK(refresh(r1).status == 409);
  // r1 again later: theft is assumed, so r2 (the live one) dies with it.
  std::this_thread::sleep_for(400ms);
  CHECK(refresh(r1).status == 401);
  CHECK(refresh(r2).status == 401);
  // A separate login is a separate family and still works; logout ends it.
  const json other = login(port, kAdminEmail, kAdminPassword);
  CHECK(api(port, "POST", "/api/v1/auth/logout", {{"refresh_token", other["refresh_token"]}}, {{"Authorization", ""}})
            .status == 204);
  CHECK(refresh(other["refresh_token"]).status == 401);
  CHECK(refresh("tytr_notatokenatall").status == 401);

  auto audit = api(port, "GET", "/api/v1/audit?action=auth.", nullptr);
  REQUIRE(audit.status == 200);
  std::set<std::string> actions;
  for (const auto& e : audit.body["items"]) actions.insert(e["action"].template get<std::string>());
  CHECK(actions.count("auth.login"));
  CHECK(actions.count("auth.refresh_reuse"));
  CHECK(actions.count("auth.logout"));
}

TEST_CASE("Repeated failed logins lock the account out with Retry-After", "[integration][auth]") {
  auto server = TytoProcess::serve();
  const auto port = server->port();
  for (int i = 0; i < 5; ++i) login(server->port(), kAdminEmail, "wrong password number " + std::to_string(i), 401);
  // Even the right password is refused now, without being checked.
  auto res = api(port, "POST", "/api/v1/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}},
                 {{"Authorization", ""}});
  CHECK(res.status == 429);
  CHECK(res.body["error"]["code"] == "rate_limited");
  CHECK(std::stoi(res.raw.header("retry-after")) >= 1);
  // An unknown account fails the same way as a wrong password.
  auto unknown = login(port, "nobody@example.com", "whatever password", 401);
  CHECK(unknown["error"]["message"] == "wrong email or password");
  auto audit = api(port, "GET", "/api/v1/audit?action=auth.login_failed", nullptr);
  CHECK(audit.body["items"].size() >= 5);
}

TEMPLATE_TEST_CASE("API keys are shown once, limited by role, revocable, and made by the CLI too",
                   "[integration][auth]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto created = api(port, "POST", "/api/v1/api-keys", {{"name", "reader"}, {"role", "viewer"}});
  REQUIRE(created.status == 201);
  const std::string viewer_key = created.body["key"];
  CHECK(viewer_key.rfind("tyto_", 0) == 0);
  // Listed without the secret.
  auto list = api(port, "GET", "/api/v1/api-keys", nullptr);
  REQUIRE(list.status == 200);
  CHECK(list.raw.body.find(viewer_key) == std::string::npos);

  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, bearer(viewer_key)).status == 200);
  auto denied = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}}, bearer(viewer_key));
  CHECK(denied.status == 403);
  CHECK(denied.body["error"]["code"] == "forbidden");
  // A viewer cannot mint itself a stronger key, nor can anyone mint a superadmin one.
  CHECK(api(port, "POST", "/api/v1/api-keys", {{"name", "x"}, {"role", "admin"}}, bearer(viewer_key)).status == 403);
  CHECK(api(port, "POST", "/api/v1/api-keys", {{"name", "x"}, {"role", "superadmin"}}).status == 403);

  CHECK(api(port, "DELETE", "/api/v1/api-keys/" + created.body["id"].template get<std::string>(), nullptr).status ==
        204);
  CHECK(api(port, "GET", "/api/v1/jobs", nullptr, bearer(viewer_key)).status == 401);

  // The CLI, against the same database while the server runs.
  std::vector<std::string> args = {"apikey", "create", "--tenant", "default", "--role", "user", "--name", "ci"};
  for (const auto& a : backend.args()) args.push_back(a);
  auto cli = run_tyto(args);
  INFO(cli.err);
  REQUIRE(cli.status == 0);
  std::string cli_key = cli.out.substr(0, cli.out.find('\n'));
  CHECK(api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}}, bearer(cli_key)).status == 202);
  args[3] = "no-such-tenant";
  CHECK(run_tyto(args).status == 1);
}

TEST_CASE("Registration follows auth.registration: closed, invite-only, open", "[integration][auth]") {
  const json user = {{"email", "new.user@example.com"}, {"password", "a long enough password"}};
  {
    auto server = TytoProcess::serve({"--auth-registration", "closed"});
    CHECK(api(server->port(), "POST", "/api/v1/auth/register", user, {{"Authorization", ""}}).status == 403);
  }
  {
    auto server = TytoProcess::serve();  // invite is the default
    const auto port = server->port();
    CHECK(api(port, "POST", "/api/v1/auth/register", user, {{"Authorization", ""}}).status == 403);
    auto inv = api(port, "POST", "/api/v1/invitations", {{"email", "New.User@example.com"}, {"role", "viewer"}});
    REQUIRE(inv.status == 201);
    json with = user;
    with["invitation"] = inv.body["token"];
    json weak = with;
    weak["password"] = "short";
    CHECK(api(port, "POST", "/api/v1/auth/register", weak, {{"Authorization", ""}}).status == 422);
    auto reg = api(port, "POST", "/api/v1/auth/register", with, {{"Authorization", ""}});
    INFO(reg.raw.body);
    REQUIRE(reg.status == 201);
    CHECK(reg.body["role"] == "viewer");
    CHECK(reg.body["tenant"]["name"] == "default");
    // An invitation works once.
    json again = with;
    again["email"] = "new.user@example.com";
    CHECK(api(port, "POST", "/api/v1/auth/register", again, {{"Authorization", ""}}).status == 403);
    auto users = api(port, "GET", "/api/v1/users", nullptr);
    CHECK(users.raw.body.find("new.user@example.com") != std::string::npos);
  }
  {
    auto server = TytoProcess::serve({"--auth-registration", "open"});
    auto reg = api(server->port(), "POST", "/api/v1/auth/register", user, {{"Authorization", ""}});
    REQUIRE(reg.status == 201);
    CHECK(reg.body["role"] == "admin");
    CHECK(reg.body["tenant"]["name"] != "default");
    CHECK(api(server->port(), "POST", "/api/v1/auth/register", user, {{"Authorization", ""}}).status == 409);
  }
}

TEST_CASE("Rate limits answer 429 with Retry-After, and tenant overrides change them", "[integration][auth]") {
  auto server = TytoProcess::serve({"--limits-key-rps", "0.5", "--limits-key-burst", "3"});
  const auto port = server->port();
  int ok = 0;
  ApiResponse last;
  for (int i = 0; i < 5; ++i) {
    last = api(port, "GET", "/api/v1/jobs", nullptr);
    if (last.status == 200) ++ok;
  }
  CHECK(ok == 3);
  CHECK(last.status == 429);
  CHECK(last.body["error"]["code"] == "rate_limited");
  CHECK(std::stoi(last.raw.header("retry-after")) >= 1);

  // A superadmin raises the tenant's bucket; the admin key may not.
  const std::string sa = login(port, kAdminEmail, kAdminPassword)["access_token"];
  CHECK(api(port, "PUT", "/api/v1/tenants/current/limits", {{"key_burst", 100}}).status == 403);
  auto put = api(port, "PUT", "/api/v1/tenants/current/limits", {{"key_burst", 100}, {"key_rps", 50}}, bearer(sa));
  INFO(put.raw.body);
  REQUIRE(put.status == 200);
  CHECK(put.body["effective"]["key_burst"] == 100);
  CHECK(api(port, "PUT", "/api/v1/tenants/current/limits", {{"key_burst", -1}}, bearer(sa)).status == 422);
  CHECK(eventually([&] { return api(port, "GET", "/api/v1/jobs", nullptr).status == 200; }, 10s));
}

TEMPLATE_TEST_CASE("Job quotas refuse jobs over a tenant's concurrent limit", "[integration][auth]", SqliteBackend,
                   PostgresBackend) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--limits-concurrent-jobs", "2", "--jobs-workers", "1"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  const json slow = {{"pipeline", "builtin.sleep"}, {"input", {{"ms", 3000}}}};
  CHECK(api(port, "POST", "/api/v1/jobs", slow).status == 202);
  CHECK(api(port, "POST", "/api/v1/jobs", slow).status == 202);
  auto third = api(port, "POST", "/api/v1/jobs", slow);
  CHECK(third.status == 429);
  CHECK(third.body["error"]["code"] == "quota_exceeded");
  CHECK(third.body["error"]["details"]["quota"] == "concurrent_jobs");
  CHECK(!third.raw.header("retry-after").empty());
}

TEMPLATE_TEST_CASE("DELETE /me removes the user, their sessions and jobs, and keeps the audit entry",
                   "[integration][auth]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto args = backend.args();
  args.insert(args.end(), {"--auth-registration", "open"});
  auto server = TytoProcess::serve(args);
  const auto port = server->port();
  const json user = {{"email", "leaving@example.com"}, {"password", "a long enough password"}};
  auto reg = api(port, "POST", "/api/v1/auth/register", user, {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  const std::string token = reg.body["access_token"];
  const std::string user_id = reg.body["user"]["id"];
  REQUIRE(api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}}, bearer(token)).status == 202);
  REQUIRE(api(port, "POST", "/api/v1/api-keys", {{"name", "mine"}, {"role", "user"}}, bearer(token)).status == 201);

  CHECK(api(port, "DELETE", "/api/v1/me", nullptr, bearer(token)).status == 204);
  login(port, "leaving@example.com", "a long enough password", 401);
  CHECK(
      api(port, "POST", "/api/v1/auth/refresh", {{"refresh_token", reg.body["refresh_token"]}}, {{"Authorization", ""}})
          .status == 401);

  auto db = backend.open();
  for (const char* sql :
       {"SELECT COUNT(*) FROM users WHERE id = $1", "SELECT COUNT(*) FROM memberships WHERE user_id = $1",
        "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1", "SELECT COUNT(*) FROM api_keys WHERE created_by = $1",
        "SELECT COUNT(*) FROM jobs WHERE created_by = $1"}) {
    INFO(sql);
    CHECK(db->query_one(sql, {user_id})->template get<std::int64_t>(0) == 0);
  }
  CHECK(db->query_one("SELECT COUNT(*) FROM audit_logs WHERE action = 'user.delete' AND resource = $1",
                      {"user:" + user_id})
            ->template get<std::int64_t>(0) == 1);
}

TEST_CASE("The first start creates an admin with a random password printed once", "[integration][auth]") {
  TempDir dir;
  const std::map<std::string, std::string> env = {{"TYTO_AUTH_ADMIN_PASSWORD", ""}};
  std::string password;
  {
    auto server = TytoProcess::serve({"--data-dir", dir.path().string()}, env);
    const json line = json::parse(
        server->wait_for_log("created the first admin; this password is shown once, change it after logging in"));
    password = line["password"];
    CHECK(password.size() >= 16);
    login(server->port(), kAdminEmail, password);
  }
  auto again = TytoProcess::serve({"--data-dir", dir.path().string()}, env);
  CHECK(again->stderr_text().find("created the first admin") == std::string::npos);
  login(again->port(), kAdminEmail, password);
}
