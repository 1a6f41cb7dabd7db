// The object paths real disks rarely take: a full or read-only file system under the local store (real
// ones, in a private mount namespace), and upload completion through the fault-injecting store and
// database (tests/support/faulty_*.hpp) on SQLite and PostgreSQL. The promises: nothing half-written
// becomes visible, nothing accepted is lost, a failed completion can be retried, and the error is a
// stable code, never a 500 where a better one applies.
#include "objects/backends.hpp"
#include "support/faulty_database.hpp"
#include "support/faulty_object_store.hpp"
#include "support/private_mounts.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/objects/purposes.hpp"
#include "tyto/storage/migrations.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace tyto;
using namespace tyto::test;

namespace {

namespace fs = std::filesystem;

std::unique_ptr<storage::Database> migrated(const std::string& url) {
  auto db = storage::open_database({url});
  storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
  return db;
}

// The catalog over a faulty database and a faulty local store.
struct SqliteFaulty {
  TempDir dir;
  std::unique_ptr<storage::Database> real_db = migrated("sqlite:" + (dir.path() / "t.db").string());
  std::unique_ptr<objects::ObjectStore> real_store = objects::open_local_store(dir.path() / "objects");
  FaultyDatabase db{*real_db};
  FaultyObjectStore store{*real_store};
  objects::Catalog catalog{db, store, "local", dir.path() / "staging"};
  std::string tenant = "t-" + new_uuid_v7();
};

struct PostgresFaulty {
  ScratchPostgres pg;
  TempDir dir;
  std::unique_ptr<storage::Database> real_db = migrated(pg.url());
  std::unique_ptr<objects::ObjectStore> real_store = objects::open_local_store(dir.path() / "objects");
  FaultyDatabase db{*real_db};
  FaultyObjectStore store{*real_store};
  objects::Catalog catalog{db, store, "local", dir.path() / "staging"};
  std::string tenant = "t-" + new_uuid_v7();
};

// A CSV of about `bytes` bytes (the "document" purpose takes text/csv).
std::string csv(std::size_t bytes) {
  std::string out = "id,name,city\n";
  for (int i = 0; out.size() < bytes; ++i) out += std::to_string(i) + ",Ada Lovelace,London\n";
  return out;
}

// Declares an upload of bytes and sends them to its partial file, as the PUT route does.
template <class Env>
objects::Upload pending_upload(Env& env, const std::string& bytes) {
  objects::NewUpload s;
  s.tenant_id = env.tenant;
  s.owner_id = "user-1";
  s.purpose = "document";
  s.filename = "people.csv";
  s.content_type = "text/csv";
  s.size = bytes.size();
  s.sha256 = sha256_hex(bytes);
  auto upload = env.catalog.create_upload(s);
  auto partial = env.catalog.open_partial(upload, 0);
  partial->write(bytes);
  REQUIRE(env.catalog.mark_progress(upload.id, partial->sync()));
  return *env.catalog.get_upload(env.tenant, upload.id);
}

// Every regular file under root (the store's object files and any temporary file left behind).
std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) out.push_back(entry.path().lexically_relative(root).string());
  }
  return out;
}

template <class Env>
std::int64_t object_rows(Env& env) {
  return env.real_db->query_one("SELECT COUNT(*) FROM objects WHERE tenant_id = $1", {env.tenant})
      ->template get<std::int64_t>(0);
}

// After a failed completion: no object row, no object bytes, no temporary file, the upload still pending
// with its data; then, with the fault gone, the same upload completes.
template <class Env>
void check_nothing_kept_and_retry(Env& env, const objects::Upload& upload, const std::string& bytes) {
  CHECK(object_rows(env) == 0);
  CHECK(files_under(env.dir.path() / "objects").empty());
  CHECK(env.catalog.get_upload(env.tenant, upload.id)->state == objects::UploadState::kPending);
  env.store.clear();
  env.db.clear();
  const auto object = env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
  CHECK(env.store.get_all(object.key) == bytes);
  CHECK(object.sha256 == sha256_hex(bytes));
  CHECK(object_rows(env) == 1);
}

}  // namespace

TEST_CASE("The local store reports a full disk as 507 insufficient_storage and keeps no partial file",
          "[objects][faults]") {
  TempDir dir;
  PrivateMounts mounts;
  const auto root = dir.path() / "objects";
  fs::create_directories(root);
  mounts.tmpfs(root, 256 * 1024);  // a real file system that fills up, also for root
  auto store = objects::open_local_store(root);
  const auto error = [&] {
    try {
      store->put("a/big", pattern_bytes(1024 * 1024), "application/octet-stream");
    } catch (const Error& e) {
      return e;
    }
    FAIL("a 1 MiB object fit into 256 KiB");
    throw std::logic_error("unreachable");
  }();
  INFO(error.what());
  CHECK(error.code() == ErrorCode::kInsufficientStorage);
  CHECK(error_status(error.code()) == 507);
  CHECK(error.envelope()["error"]["code"] == "insufficient_storage");
  CHECK(files_under(root).empty());  // the temporary file went with the failure
  CHECK_FALSE(store->head("a/big"));
  store->put("a/small", "fits", "text/plain");  // the space came back
  CHECK(store->get_all("a/small") == "fits");
}

TEST_CASE("The local store reports a read-only file system as 503 unavailable", "[objects][faults]") {
  TempDir dir;
  PrivateMounts mounts;
  const auto root = dir.path() / "objects";
  fs::create_directories(root);
  mounts.bind(root);
  auto store = objects::open_local_store(root);
  store->put("a/before", "old", "text/plain");
  mounts.set_read_only(root, true);  // what the kernel does to a file system after I/O errors
  CHECK(error_code_of([&] { store->put("a/new", "new", "text/plain"); }) == ErrorCode::kUnavailable);
  CHECK(error_code_of([&] { store->put("b/new", "new", "text/plain"); }) == ErrorCode::kUnavailable);
  CHECK(error_code_of([&] { objects::probe_write(*store); }) == ErrorCode::kUnavailable);
  CHECK(store->get_all("a/before") == "old");  // reads still work
  mounts.set_read_only(root, false);
  objects::probe_write(*store);
  CHECK(store->list("").size() == 1);  // the probe left nothing behind
}

TEMPLATE_TEST_CASE("Upload complete on a full disk answers 507 and keeps nothing, and a retry completes",
                   "[objects][faults]", SqliteFaulty, PostgresFaulty) {
  TestType env;
  const std::string bytes = csv(300 * 1024);
  const auto upload = pending_upload(env, bytes);
  env.store.fail_put(1, StoreFault::kDiskFullAfter, "/objects/", 100 * 1024);  // 100 KiB reach the disk first
  CHECK(error_code_of([&] { env.catalog.complete(upload, {}); }) == ErrorCode::kInsufficientStorage);
  CHECK(env.store.injected() == 1);
  check_nothing_kept_and_retry(env, upload, bytes);
}

TEMPLATE_TEST_CASE("Upload complete whose store stops reading early keeps the upload pending", "[objects][faults]",
                   SqliteFaulty, PostgresFaulty) {
  TestType env;
  const std::string bytes = csv(300 * 1024);
  const auto upload = pending_upload(env, bytes);
  env.store.fail_put(1, StoreFault::kShortWrite, "/objects/", 64 * 1024);
  // Not a failed upload with a "wrong SHA-256": the client's bytes were fine, the store was not.
  CHECK(error_code_of([&] { env.catalog.complete(upload, {}); }) == ErrorCode::kUnavailable);
  check_nothing_kept_and_retry(env, upload, bytes);
}

TEMPLATE_TEST_CASE("Upload complete whose fsync fails stores nothing and can be retried", "[objects][faults]",
                   SqliteFaulty, PostgresFaulty) {
  TestType env;
  const std::string bytes = csv(10 * 1024);
  const auto upload = pending_upload(env, bytes);
  env.store.fail_put(1, StoreFault::kFsync, "/objects/");
  CHECK(error_code_of([&] { env.catalog.complete(upload, {}); }) == ErrorCode::kInternal);
  check_nothing_kept_and_retry(env, upload, bytes);
}

TEMPLATE_TEST_CASE("Upload complete whose catalog commit fails before storing deletes the bytes and can be retried",
                   "[objects][faults]", SqliteFaulty, PostgresFaulty) {
  TestType env;
  const std::string bytes = csv(10 * 1024);
  const auto upload = pending_upload(env, bytes);
  env.db.fail_commit(1, CommitPoint::kBefore, DbFault::kConnectionLost, "INSERT INTO objects");
  CHECK(error_code_of([&] { env.catalog.complete(upload, {}); }) == ErrorCode::kUnavailable);
  CHECK(env.db.injected() == 1);
  check_nothing_kept_and_retry(env, upload, bytes);
}

TEMPLATE_TEST_CASE("Upload complete whose catalog commit fails after storing keeps the object with its bytes",
                   "[objects][faults]", SqliteFaulty, PostgresFaulty) {
  TestType env;
  const std::string bytes = csv(10 * 1024);
  const auto upload = pending_upload(env, bytes);
  env.db.fail_commit(1, CommitPoint::kAfter, DbFault::kConnectionLost, "INSERT INTO objects");
  // The row and the completed upload are stored: the caller gets the object, whose bytes are there.
  const auto object = env.catalog.complete(upload, {});
  CHECK(env.db.injected() == 1);
  CHECK(object_rows(env) == 1);
  CHECK(env.catalog.get_object(env.tenant, object.id));
  CHECK(env.store.get_all(object.key) == bytes);
  const auto done = env.catalog.get_upload(env.tenant, upload.id);
  CHECK(done->state == objects::UploadState::kCompleted);
  CHECK(done->object_id == object.id);
}

TEMPLATE_TEST_CASE("A server-made object whose row cannot be written leaves no bytes behind", "[objects][faults]",
                   SqliteFaulty, PostgresFaulty) {
  TestType env;
  env.db.fail_write(1, DbFault::kDiskFull, "INSERT INTO objects");
  const std::string bytes = "{\"export\":true}";
  std::size_t at = 0;
  const auto read = [&](char* buf, std::size_t cap) {
    const std::size_t n = std::min(cap, bytes.size() - at);
    std::memcpy(buf, bytes.data() + at, n);
    at += n;
    return n;
  };
  CHECK(error_code_of([&] {
          env.catalog.put_object({env.tenant, "user-1", "export", "export.json", "application/json"}, read);
        }) == ErrorCode::kUnavailable);
  CHECK(object_rows(env) == 0);
  CHECK(files_under(env.dir.path() / "objects").empty());
}
