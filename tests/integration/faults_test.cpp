// Faults seen through the API. Two ways in:
//  - the whole platform in this process (cli::Platform, as `tyto serve` builds it) over the fault-injecting
//    database and object store (tests/support/faulty_*.hpp), called over HTTP;
//  - the real binary on a data directory that turns read-only under it. Tests run as root, which ignores
//    permission bits, so the directory is remounted read-only in a private mount namespace
//    (tests/support/private_mounts.hpp) that the server inherits: a real EROFS, as after a disk error.
#include "cli/platform.hpp"
#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/faulty_database.hpp"
#include "support/faulty_object_store.hpp"
#include "support/private_mounts.hpp"
#include "support/process.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/modules/builtin.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using Headers = std::map<std::string, std::string>;

using SqliteDb = SqliteBackend;
using PostgresDb = PostgresBackend;

// The platform as `tyto serve` builds it, over faulty wrappers of its database and object store, listening
// on a free loopback port.
template <class Db>
struct FaultyPlatform {
  Db db_backend;
  TempDir dir;
  FaultyDatabase* db = nullptr;
  FaultyObjectStore* store = nullptr;
  std::unique_ptr<cli::Platform> platform;

  FaultyPlatform() {
    Config config;
    config.data_dir = (dir.path() / "data").string();
    config.database.url = db_backend.url();
    config.http.host = "127.0.0.1";
    config.http.port = 0;
    config.http.io_threads = 1;
    config.http.blocking_threads = 4;
    config.auth.bootstrap_api_key = kAdminKey;
    config.auth.admin_password = kAdminPassword;
    cli::Components components;
    components.module<modules::BuiltinModule>();
    cli::Environment env;
    env.wrap_database = [this](std::unique_ptr<storage::Database> real) {
      auto faulty = std::make_unique<FaultyDatabase>(std::move(real));
      db = faulty.get();
      return faulty;
    };
    env.wrap_object_store = [this](std::unique_ptr<objects::ObjectStore> real) {
      auto faulty = std::make_unique<FaultyObjectStore>(std::move(real));
      store = faulty.get();
      return faulty;
    };
    platform = std::make_unique<cli::Platform>(config, components, env);
    platform->start();
  }
  ~FaultyPlatform() { platform->stop(); }
  std::uint16_t port() const { return platform->server().port(); }
};

std::int64_t job_count(storage::Database& db) {
  return db.query_one("SELECT COUNT(*) FROM jobs")->get<std::int64_t>(0);
}

// Declares an upload and PUTs its bytes through the server's signed URL; returns the declaration.
json declare_and_send(std::uint16_t port, const std::string& bytes) {
  const json body = {{"filename", "people.csv"},
                     {"content_type", "text/csv"},
                     {"size", bytes.size()},
                     {"purpose", "document"},
                     {"sha256", sha256_hex(bytes)}};
  auto declared = test::api(port, "POST", "/api/v1/uploads", body);
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"].get<std::string>();
  if (url.starts_with("/")) url = "http://127.0.0.1:" + std::to_string(port) + url;
  const auto put = fetch_url(url, "PUT", bytes, {{"Content-Type", "text/csv"}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  return declared.body;
}

ApiResponse complete(std::uint16_t port, const json& declared) {
  return test::api(port, "POST", "/api/v1/uploads/" + declared["upload_id"].get<std::string>() + "/complete");
}

std::string people_csv() {
  std::string out = "id,name,city\n";
  for (int i = 0; i < 2000; ++i) out += std::to_string(i) + ",Ada Lovelace,London\n";
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("A job submission whose commit fails answers 503, and its retry creates the job exactly once",
                   "[integration][jobs][faults]", SqliteDb, PostgresDb) {
  FaultyPlatform<TestType> p;
  const auto point = GENERATE(CommitPoint::kBefore, CommitPoint::kAfter);
  INFO((point == CommitPoint::kBefore ? "commit fails before" : "commit fails after"));
  p.db->fail_commit(1, point, DbFault::kConnectionLost, "INSERT INTO jobs");
  const json job = {{"pipeline", "builtin.noop"}};
  const Headers key = {{"Idempotency-Key", "submit-1"}};

  const ApiResponse failed = test::api(p.port(), "POST", "/api/v1/jobs", job, key);
  INFO(failed.raw.body);
  CHECK(failed.status == 503);
  CHECK(failed.body["error"]["code"] == "unavailable");
  CHECK(p.db->injected() == 1);
  CHECK(job_count(p.db->real()) == (point == CommitPoint::kAfter ? 1 : 0));

  const ApiResponse retried = test::api(p.port(), "POST", "/api/v1/jobs", job, key);
  INFO(retried.raw.body);
  CHECK(retried.status == (point == CommitPoint::kAfter ? 200 : 202));  // 200: the stored job, replayed
  CHECK(job_count(p.db->real()) == 1);
  wait_for_state(p.port(), retried.body["id"].get<std::string>(), "succeeded");
}

TEMPLATE_TEST_CASE("Upload complete on a full disk answers 507 insufficient_storage, and completes when retried",
                   "[integration][objects][faults]", SqliteDb, PostgresDb) {
  FaultyPlatform<TestType> p;
  const std::string bytes = people_csv();
  const json declared = declare_and_send(p.port(), bytes);
  p.store->fail_put(1, StoreFault::kDiskFullAfter, "/objects/", 16 * 1024);

  const ApiResponse full = complete(p.port(), declared);
  INFO(full.raw.body);
  CHECK(full.status == 507);
  CHECK(full.body["error"]["code"] == "insufficient_storage");
  CHECK(p.store->injected() == 1);
  const ApiResponse upload = test::api(p.port(), "GET", "/api/v1/uploads/" + declared["upload_id"].get<std::string>());
  CHECK(upload.body["state"] == "pending");
  CHECK(test::api(p.port(), "GET", "/api/v1/objects").body["items"].empty());

  const ApiResponse done = complete(p.port(), declared);
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  const ApiResponse content =
      test::api(p.port(), "GET", "/api/v1/objects/" + done.body["id"].get<std::string>() + "/content");
  CHECK(content.raw.body == bytes);
}

TEST_CASE("A data directory that turns read-only makes uploads answer 503 and /ready name the object store",
          "[integration][objects][faults]") {
  TempDir data;
  TempDir db_dir;  // the database stays writable: this is about the objects and the staged uploads
  PrivateMounts mounts;
  mounts.bind(data.path());
  auto server = TytoProcess::serve(
      {"--data-dir", data.path().string(), "--database", "sqlite:" + (db_dir.path() / "tyto.db").string()});
  const auto port = server->port();
  const std::string bytes = people_csv();

  auto ready = test::api(port, "GET", "/ready", nullptr, {{"Authorization", ""}});
  CHECK(ready.status == 200);
  CHECK(ready.body["checks"]["objects"] == "ok");
  const json staged = declare_and_send(port, bytes);  // its bytes wait in <data>/staging

  mounts.set_read_only(data.path(), true);
  const ApiResponse refused = complete(port, staged);
  INFO(refused.raw.body);
  CHECK(refused.status == 503);
  CHECK(refused.body["error"]["code"] == "unavailable");

  auto declared =
      test::api(port, "POST", "/api/v1/uploads",
                {{"filename", "b.csv"}, {"content_type", "text/csv"}, {"size", 4}, {"purpose", "document"}});
  REQUIRE(declared.status == 201);
  const std::string url = declared.body["url"].get<std::string>();
  const auto put =
      fetch_url("http://127.0.0.1:" + std::to_string(port) + url, "PUT", "a,b\n", {{"Content-Type", "text/csv"}});
  INFO(put.body);
  CHECK(put.status == 503);
  CHECK(json::parse(put.body)["error"]["code"] == "unavailable");

  CHECK(eventually([&] {
    ready = test::api(port, "GET", "/ready", nullptr, {{"Authorization", ""}});
    return ready.status == 503;
  }));
  INFO(ready.raw.body);
  CHECK(ready.body["error"]["code"] == "unavailable");
  CHECK(ready.body["error"]["details"]["checks"]["objects"] == "unwritable");
  CHECK(ready.body["error"]["message"].get<std::string>().find("object store") != std::string::npos);

  // Once the disk is writable again, the server is ready and the staged upload completes.
  mounts.set_read_only(data.path(), false);
  CHECK(test::api(port, "GET", "/ready", nullptr, {{"Authorization", ""}}).status == 200);
  const ApiResponse done = complete(port, staged);
  INFO(done.raw.body);
  CHECK(done.status == 201);
  CHECK(server->stderr_text().find("\"status\":500") == std::string::npos);
}
