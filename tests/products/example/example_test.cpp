// The product seam, proved by the example product (README.md): its migration, route, pipeline, artifact,
// console page, options and personal data each reach their place, on SQLite and PostgreSQL, in the real
// server binary built with it (tyto_example).
#include "integration/backends.hpp"
#include "integration/isolation_matrix.hpp"
#include "integration/unzip.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace tyto::test;
using nlohmann::json;

namespace {

using Headers = std::map<std::string, std::string>;

// Creates a note and waits until its job rendered it; returns the note.
json rendered_note(std::uint16_t port, const std::string& text, const Headers& who = {}) {
  auto created = api(port, "POST", "/api/v1/example/notes", {{"text", text}}, who);
  INFO(created.raw.body);
  REQUIRE(created.status == 201);
  const std::string id = created.body["id"];
  json note;
  REQUIRE(eventually([&] {
    note = api(port, "GET", "/api/v1/example/notes/" + id, nullptr, who).body;
    return note["artifact_id"].is_string();
  }));
  return note;
}

}  // namespace

TEMPLATE_TEST_CASE("The example product is migrated, routed, run and listed like the platform's own",
                   "[integration][products]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_EXAMPLE_GREETING", "hi"}});
  const auto port = server->port();

  // Its own numbered set, recorded under its name after the platform's.
  auto db = backend.open();
  auto recorded = db->query("SELECT version, name FROM schema_migrations WHERE component = 'example'");
  REQUIRE(recorded.rows.size() == 1);
  CHECK(recorded.rows[0].template get<std::string>(1) == "0001_notes.sql");

  // A route that records a row and submits the product's internal pipeline, whose stage writes an artifact
  // through ctx.artifacts() with the greeting the environment set.
  const json note = rendered_note(port, "first note");
  auto content = api(port, "GET", "/api/v1/objects/" + note["artifact_id"].template get<std::string>() + "/content");
  CHECK(content.raw.status == 200);
  CHECK(content.raw.body == "hi,first note\n");
  CHECK(api(port, "GET", "/api/v1/jobs/" + note["job_id"].template get<std::string>()).body["state"] == "succeeded");

  // The router validates the body against the route's schema before the handler runs.
  auto bad = api(port, "POST", "/api/v1/example/notes", {{"text", 5}});
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["details"]["fields"].contains("text"));

  // Listed: in the OpenAPI document, not among the submittable pipelines (it is internal), in the pages.
  auto doc = api(port, "GET", "/api/v1/openapi.json");
  CHECK(doc.body["paths"].contains("/api/v1/example/notes"));
  CHECK(doc.body["paths"].contains("/api/v1/example/notes/{id}"));
  CHECK(api(port, "GET", "/api/v1/pipelines").raw.body.find("example.render") == std::string::npos);
  CHECK(api(port, "POST", "/api/v1/jobs", {{"pipeline", "example.render"}, {"input", {{"note_id", "x"}}}}).status ==
        422);
  auto pages = api(port, "GET", "/api/v1/console/pages");
  CHECK(pages.raw.body.find("\"example.notes\"") != std::string::npos);
  auto script = api(port, "GET", "/console/products/example/notes.js", nullptr, {{"Authorization", ""}});
  CHECK(script.status == 200);
  CHECK(script.raw.header("content-type").find("javascript") != std::string::npos);
  CHECK(api(port, "GET", "/console/products/example/../../index.html", nullptr, {{"Authorization", ""}}).status == 404);
  CHECK(api(port, "GET", "/api/v1/example/notes").body["items"].size() == 1);

  // Its options are known to the configuration check as well.
  CHECK(api(port, "POST", "/api/v1/config/validate", {{"config", {{"products", {{"example", {{"greeting", "hey"}}}}}}}})
            .status == 200);
  CHECK(
      api(port, "POST", "/api/v1/config/validate", {{"config", {{"products", {{"example", {{"nope", 1}}}}}}}}).status ==
      422);
}

TEMPLATE_TEST_CASE("The example product's routes are in the isolation matrix with another tenant's real ids",
                   "[integration][products][isolation]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    auto created = api(port, "POST", "/api/v1/example/notes", {{"text", "the victim's note"}});
                    REQUIRE(created.status == 201);
                    v.add("/api/v1/example/notes/", created.body["id"]);
                  }});
}

TEMPLATE_TEST_CASE("A product's declared role is listed, granted per member, enforced on its route and revoked",
                   "[integration][products][auth]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();

  // Declared by the product: in the OpenAPI document with its product, on the route, among grantable roles.
  auto doc = api(port, "GET", "/api/v1/openapi.json");
  REQUIRE(doc.body["x-tyto-roles"].size() == 1);
  CHECK(doc.body["x-tyto-roles"][0]["name"] == "reviewer");
  CHECK(doc.body["x-tyto-roles"][0]["product"] == "example");
  CHECK(doc.body["x-tyto-roles"][0]["description"] == "Reads the notes awaiting review");
  CHECK(doc.body["paths"]["/api/v1/example/reviews"]["get"]["x-tyto-role"] == "reviewer");
  CHECK(doc.body["paths"]["/api/v1/example/notes"]["post"]["x-tyto-role"] == "user");
  const json role_enum = doc.body["paths"]["/api/v1/users/{id}"]["patch"]["requestBody"]["content"]["application/json"]
                                 ["schema"]["properties"]["role"]["enum"];
  CHECK(std::find(role_enum.begin(), role_enum.end(), "reviewer") != role_enum.end());

  // A user, and a second user who will try to grant.
  auto member = [&](const std::string& email, const std::string& role) {
    auto inv = api(port, "POST", "/api/v1/invitations", {{"email", email}, {"role", role}});
    REQUIRE(inv.status == 201);
    auto reg = api(port, "POST", "/api/v1/auth/register",
                   {{"email", email}, {"password", "a long enough password"}, {"invitation", inv.body["token"]}},
                   {{"Authorization", ""}});
    REQUIRE(reg.status == 201);
    return std::pair<Headers, std::string>{
        {{"Authorization", "Bearer " + reg.body["access_token"].template get<std::string>()}}, reg.body["user"]["id"]};
  };
  const auto [user, user_id] = member("writer@example.com", "user");
  const auto [other, other_id] = member("other@example.com", "user");
  const std::string grant = "/api/v1/users/" + user_id + "/grants/reviewer";

  // Without the grant: a user writes notes but may not read the review queue (the usual 403 envelope).
  CHECK(api(port, "POST", "/api/v1/example/notes", {{"text", "draft"}}, user).status == 201);
  auto refused = api(port, "GET", "/api/v1/example/reviews", nullptr, user);
  CHECK(refused.status == 403);
  CHECK(refused.body["error"]["code"] == "forbidden");
  CHECK(refused.body["error"]["details"]["role"] == "user");
  CHECK(refused.body["error"]["details"]["required"] == "reviewer");
  CHECK(api(port, "GET", "/api/v1/example/reviews").status == 200);  // admins hold every product role

  // Only an admin grants; unknown roles, ladder roles and non-members are 404.
  CHECK(api(port, "PUT", grant, nullptr, other).status == 403);
  CHECK(api(port, "PUT", "/api/v1/users/" + user_id + "/grants/curator").status == 404);
  CHECK(api(port, "PUT", "/api/v1/users/" + user_id + "/grants/admin").status == 404);
  CHECK(api(port, "PUT", "/api/v1/users/01900000-0000-7000-8000-000000000000/grants/reviewer").status == 404);
  REQUIRE(api(port, "PUT", grant).status == 204);
  CHECK(api(port, "PUT", grant).status == 204);  // idempotent

  // With it: the user keeps its role and gains the product's route, and says so.
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, user).status == 200);
  CHECK(api(port, "POST", "/api/v1/example/notes", {{"text", "still a writer"}}, user).status == 201);
  CHECK(api(port, "GET", "/api/v1/users", nullptr, user).status == 403);  // not admin
  auto me = api(port, "GET", "/api/v1/auth/me", nullptr, user);
  CHECK(me.body["role"] == "user");
  CHECK(me.body["grants"] == json::array({"reviewer"}));
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, other).status == 403);  // per member
  json listed;
  const auto users = api(port, "GET", "/api/v1/users");
  for (const auto& u : users.body["items"]) {
    if (u["id"] == user_id) listed = u;
  }
  CHECK(listed["role"] == "user");
  CHECK(listed["grants"] == json::array({"reviewer"}));

  // An API key the member makes with the granted role works while the grant lasts.
  auto key = api(port, "POST", "/api/v1/api-keys", {{"name", "review bot"}, {"role", "reviewer"}}, user);
  REQUIRE(key.status == 201);
  const Headers bot = {{"Authorization", "Bearer " + key.body["key"].template get<std::string>()}};
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, bot).status == 200);
  CHECK(api(port, "POST", "/api/v1/example/notes", {{"text", "no"}}, bot).status == 403);
  // … and a member without it may not make one.
  CHECK(api(port, "POST", "/api/v1/api-keys", {{"name", "nope"}, {"role", "reviewer"}}, other).status == 403);

  // Revoked: the route closes for the member and its key; revoking again is 404.
  REQUIRE(api(port, "DELETE", grant).status == 204);
  CHECK(api(port, "DELETE", grant).status == 404);
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, user).status == 403);
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, bot).status == 403);
  CHECK(api(port, "GET", "/api/v1/auth/me", nullptr, user).body["grants"] == json::array());

  // Both changes are in the audit log, once each (the repeated grant changed nothing).
  auto audit = api(port, "GET", "/api/v1/audit?action=user.", nullptr);
  REQUIRE(audit.status == 200);
  std::multiset<std::string> actions;
  for (const auto& e : audit.body["items"]) {
    if (e["action"] != "user.role_grant" && e["action"] != "user.role_revoke") continue;
    CHECK(e["resource"] == "user:" + user_id);
    CHECK(e["metadata"]["role"] == "reviewer");
    actions.insert(e["action"].template get<std::string>());
  }
  CHECK(actions.count("user.role_grant") == 1);
  CHECK(actions.count("user.role_revoke") == 1);

  // A product role may also be a member's only role: viewer reads plus the product's route.
  const auto [reviewer, reviewer_id] = member("reviewer@example.com", "reviewer");
  CHECK(api(port, "GET", "/api/v1/example/reviews", nullptr, reviewer).status == 200);
  CHECK(api(port, "GET", "/api/v1/example/notes", nullptr, reviewer).status == 200);
  CHECK(api(port, "POST", "/api/v1/example/notes", {{"text", "no"}}, reviewer).status == 403);

  // Removing a member removes its grants with it.
  REQUIRE(api(port, "PUT", "/api/v1/users/" + other_id + "/grants/reviewer").status == 204);
  REQUIRE(api(port, "DELETE", "/api/v1/users/" + other_id).status == 204);
  auto db = backend.open();
  CHECK(
      db->query_one("SELECT COUNT(*) FROM role_grants WHERE user_id = $1", {other_id})->template get<std::int64_t>(0) ==
      0);
}

TEMPLATE_TEST_CASE("The example product's data is in the export archive and erased by DELETE /me",
                   "[integration][products][privacy]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--auth-registration", "open"}));
  const auto port = server->port();
  auto reg =
      api(port, "POST", "/api/v1/auth/register",
          {{"email", "note.taker@example.com"}, {"password", "a long enough password"}}, {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  const Headers who = {{"Authorization", "Bearer " + reg.body["access_token"].template get<std::string>()}};
  const std::string user_id = reg.body["user"]["id"];
  const json note = rendered_note(port, "private thoughts", who);

  auto entries = exported_archive(port, who);
  const json data = json::parse(entries.at("tyto-export.json"));
  REQUIRE(data["example.notes"].size() == 1);
  CHECK(data["example.notes"][0]["text"] == "private thoughts");
  // The artifact the stage wrote is the user's object, so its bytes are in the archive too.
  bool artifact_in_archive = false;
  for (const auto& o : data["objects"]) {
    if (o["id"] == note["artifact_id"])
      artifact_in_archive = entries.at(o["file"].template get<std::string>()) == "hello,private thoughts\n";
  }
  CHECK(artifact_in_archive);

  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, who).status == 204);
  auto db = backend.open();
  CHECK(db->query_one("SELECT COUNT(*) FROM example_notes WHERE owner_id = $1", {user_id})
            ->template get<std::int64_t>(0) == 0);
  CHECK(db->query_one("SELECT COUNT(*) FROM objects WHERE owner_id = $1", {user_id})->template get<std::int64_t>(0) ==
        0);
  CHECK(db->query_one("SELECT COUNT(*) FROM users WHERE id = $1", {user_id})->template get<std::int64_t>(0) == 0);
}

TEST_CASE("An unknown option of a product is refused like the platform's", "[integration][products]") {
  auto r = run_tyto({"config", "--products-example-no-such-thing", "1"});
  CHECK(r.status == 2);
  auto ok = run_tyto({"config", "--products-example-max-text", "10"});
  CHECK(ok.status == 0);
  CHECK(json::parse(ok.out)["products"]["example"]["max_text"] == 10);
  CHECK(run_tyto({"config", "--products-example-max-text", "ten"}).status == 2);

  // Documented by the same generator as the platform's options.
  auto described = run_tyto({"config", "--describe"});
  CHECK(described.status == 0);
  CHECK_THAT(described.out, Catch::Contains("| `products.example.greeting` | `TYTO_PRODUCTS_EXAMPLE_GREETING` | "
                                            "`--products-example-greeting` | string | `hello` |"));
}

TEST_CASE("A product's command runs from the tyto binary and is listed in its help", "[integration][products]") {
  tyto::test::TempDir dir;
  tyto::test::write_file(dir.path() / "a.txt", "twelve chars");
  const auto a = (dir.path() / "a.txt").string();
  const auto missing = (dir.path() / "missing.txt").string();

  auto r = run_tyto({"note-length", a});
  CHECK(r.status == 0);
  CHECK(r.out == a + "=12\n");
  // A file that fails is reported, the others go on, and the status says so.
  r = run_tyto({"note-length", missing, a});
  CHECK(r.status == 1);
  CHECK(r.out == a + "=12\n");
  CHECK_THAT(r.err, Catch::Contains(missing + ": cannot be read"));
  CHECK(run_tyto({"note-length"}).status == 2);

  auto help = run_tyto({"help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Contains("note-length FILE…"));
  CHECK_THAT(help.out, Catch::Contains("the example product's command"));
}
