// The catalog of objects and uploads at the store level: SQLite with the local store, PostgreSQL with the
// local store, and PostgreSQL with a real Ceph RGW (uploads there arrive by a presigned PUT).
#include "tyto/objects/catalog.hpp"
#include "objects/backends.hpp"
#include "support/sample_media.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/objects/purposes.hpp"
#include "tyto/storage/migrations.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using namespace std::string_literals;

namespace {

std::unique_ptr<storage::Database> migrated(const std::string& url) {
  auto db = storage::open_database({url});
  storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
  return db;
}

struct SqliteLocal {
  TempDir dir;
  std::unique_ptr<storage::Database> db = migrated("sqlite:" + (dir.path() / "t.db").string());
  std::unique_ptr<objects::ObjectStore> store = objects::open_local_store(dir.path() / "objects");
  objects::Catalog catalog{*db, *store, "local", dir.path() / "staging"};
  std::string tenant = "t-" + new_uuid_v7();
};

struct PostgresLocal {
  ScratchPostgres pg;
  TempDir dir;
  std::unique_ptr<storage::Database> db = migrated(pg.url());
  std::unique_ptr<objects::ObjectStore> store = objects::open_local_store(dir.path() / "objects");
  objects::Catalog catalog{*db, *store, "local", dir.path() / "staging"};
  std::string tenant = "t-" + new_uuid_v7();
};

struct PostgresS3 {
  ScratchPostgres pg;
  TempDir dir;
  std::unique_ptr<storage::Database> db = migrated(pg.url());
  std::unique_ptr<objects::ObjectStore> store = objects::open_s3_store(s3_test_options());
  objects::Catalog catalog{*db, *store, s3_test_options().bucket, dir.path() / "staging"};
  std::string tenant = "t-" + new_uuid_v7();  // a key prefix of its own in the shared bucket
};

objects::NewUpload spec(const std::string& tenant, const std::string& purpose, const std::string& type,
                        const std::string& bytes, std::optional<std::string> owner = "user-1") {
  objects::NewUpload s;
  s.tenant_id = tenant;
  s.owner_id = std::move(owner);
  s.purpose = purpose;
  s.filename = "file";
  s.content_type = type;
  s.size = bytes.size();
  s.sha256 = sha256_hex(bytes);
  s.retention_hours = objects::retention_hours(*objects::find_purpose(purpose), {}, false);
  return s;
}

// Sends bytes the way a client does: through the partial file (local) or a presigned PUT (S3).
template <class Env>
void send(Env& env, const objects::Upload& upload, const std::string& bytes) {
  if (env.catalog.local()) {
    auto partial = env.catalog.open_partial(upload, 0);
    partial->write(bytes);
    REQUIRE(env.catalog.mark_progress(upload.id, partial->sync()));
  } else {
    auto url = env.store->presign("PUT", upload.key, std::chrono::seconds(60), upload.content_type);
    REQUIRE(url);
    CHECK(fetch_url(*url, "PUT", bytes, {{"Content-Type", upload.content_type}}).status == 200);
  }
}

template <class Env>
objects::Object upload_object(Env& env, const std::string& purpose, const std::string& type, const std::string& bytes,
                              std::optional<std::string> owner = "user-1") {
  auto upload = env.catalog.create_upload(spec(env.tenant, purpose, type, bytes, std::move(owner)));
  send(env, upload, bytes);
  return env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
}

const std::string kCsv = "name,age\nAda,36\nAlan,41\n";

}  // namespace

TEMPLATE_TEST_CASE("An upload completes into an object of its tenant", "[objects][catalog]", SqliteLocal, PostgresLocal,
                   PostgresS3) {
  TestType env;
  auto upload = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv));
  CHECK(upload.state == objects::UploadState::kPending);
  CHECK(upload.key == "tenants/" + env.tenant + "/uploads/" + upload.id);
  send(env, upload, kCsv);
  const auto object = env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
  CHECK(object.size == kCsv.size());
  CHECK(object.sha256 == sha256_hex(kCsv));
  CHECK(object.content_type == "text/csv");
  CHECK(object.key == "tenants/" + env.tenant + "/objects/" + object.id);
  CHECK(object.owner_id == "user-1");
  CHECK_FALSE(object.retention_until);
  CHECK(env.store->get_all(object.key) == kCsv);

  const auto done = env.catalog.get_upload(env.tenant, upload.id);
  CHECK(done->state == objects::UploadState::kCompleted);
  CHECK(done->object_id == object.id);
  CHECK_FALSE(env.store->head(upload.key));  // the upload's own data is gone
  CHECK(env.catalog.get_object(env.tenant, object.id)->sha256 == object.sha256);
  CHECK(env.catalog.stored_bytes(env.tenant) == static_cast<std::int64_t>(kCsv.size()));

  // Another tenant sees nothing, and cannot delete it.
  CHECK_FALSE(env.catalog.get_object("other", object.id));
  CHECK_FALSE(env.catalog.get_upload("other", upload.id));
  CHECK_FALSE(env.catalog.remove_object("other", object.id));
  CHECK(env.catalog.find_object(object.id));

  // Completing again is a conflict.
  CHECK(error_code_of([&] { env.catalog.complete(*done, {}); }) == ErrorCode::kConflict);

  CHECK(env.catalog.remove_object(env.tenant, object.id));
  CHECK_FALSE(env.catalog.get_object(env.tenant, object.id));
  CHECK_FALSE(env.store->head(object.key));
}

TEMPLATE_TEST_CASE("Completing checks the size, the SHA-256 and the sniffed type", "[objects][catalog]", SqliteLocal,
                   PostgresLocal, PostgresS3) {
  TestType env;
  SECTION("fewer bytes than declared: 422, still pending, resumable") {
    auto upload = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv));
    send(env, upload, kCsv.substr(0, 10));
    try {
      env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
      FAIL("an incomplete upload completed");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(e.details()["received"] == 10);
    }
    CHECK(env.catalog.get_upload(env.tenant, upload.id)->state == objects::UploadState::kPending);
  }
  SECTION("another SHA-256: 422 naming both, the upload fails and its bytes go") {
    auto s = spec(env.tenant, "document", "text/csv", kCsv);
    s.sha256 = std::string(64, 'a');
    auto upload = env.catalog.create_upload(s);
    send(env, upload, kCsv);
    try {
      env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
      FAIL("a wrong SHA-256 completed");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(e.details()["actual"] == sha256_hex(kCsv));
      CHECK(e.details()["fields"].contains("sha256"));
    }
    CHECK(env.catalog.get_upload(env.tenant, upload.id)->state == objects::UploadState::kFailed);
    CHECK(env.store->list("tenants/" + env.tenant + "/").empty());
    CHECK(env.catalog.stored_bytes(env.tenant) == 0);
  }
  SECTION("content the purpose does not allow: 415, failed") {
    const std::string elf =
        "\x7F"
        "ELF\x02\x01\x01\x00 not a csv"s;
    auto upload = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", elf));
    send(env, upload, elf);
    try {
      env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
      FAIL("a binary completed as a document");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
      CHECK(e.details()["detected"] == "application/octet-stream");
    }
    CHECK(env.catalog.get_upload(env.tenant, upload.id)->state == objects::UploadState::kFailed);
  }
  SECTION("an image where a video was declared: 415") {
    const std::string jpeg = small_jpeg();
    auto upload = env.catalog.create_upload(spec(env.tenant, "video", "video/mp4", jpeg));
    send(env, upload, jpeg);
    CHECK(error_code_of([&] { env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {}); }) ==
          ErrorCode::kUnsupportedMediaType);
  }
  SECTION("the tenant's quota: 429 quota_exceeded, the upload stays pending") {
    upload_object(env, "document", "text/csv", kCsv);
    auto upload = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv));
    send(env, upload, kCsv);
    const auto pending = *env.catalog.get_upload(env.tenant, upload.id);
    objects::CompleteOptions tight{true, static_cast<std::int64_t>(2 * kCsv.size() - 1)};
    CHECK(error_code_of([&] { env.catalog.complete(pending, tight); }) == ErrorCode::kQuotaExceeded);
    CHECK(env.catalog.get_upload(env.tenant, upload.id)->state == objects::UploadState::kPending);
    objects::CompleteOptions enough{true, static_cast<std::int64_t>(2 * kCsv.size())};
    CHECK(env.catalog.complete(pending, enough).size == kCsv.size());
  }
}

TEMPLATE_TEST_CASE("Images lose their EXIF GPS position on the way in", "[objects][catalog]", SqliteLocal, PostgresS3) {
  TestType env;
  const std::string tagged = with_gps_exif(small_jpeg());
  REQUIRE(tagged.find(latitude_rationals()) != std::string::npos);
  const auto object = upload_object(env, "capture", "image/jpeg", tagged);
  const std::string stored = env.store->get_all(object.key);
  CHECK(stored == small_jpeg());
  CHECK(object.size == stored.size());
  CHECK(object.sha256 == sha256_hex(stored));
  CHECK(object.content_type == "image/jpeg");
  REQUIRE(object.retention_until);
  CHECK(*object.retention_until - object.created_at == 24ll * 3600 * 1'000'000);

  // Without stripping the bytes stay as they came.
  auto upload = env.catalog.create_upload(spec(env.tenant, "image", "image/jpeg", tagged));
  send(env, upload, tagged);
  const auto kept = env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {false, 0});
  CHECK(env.store->get_all(kept.key) == tagged);
}

TEMPLATE_TEST_CASE("Objects list newest first by tenant and owner, with a cursor", "[objects][catalog]", SqliteLocal,
                   PostgresLocal) {
  TestType env;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(upload_object(env, "document", "application/json", "{\"n\": " + std::to_string(i) + "}",
                                i % 2 ? std::optional<std::string>("user-2") : std::nullopt)
                      .id);
  }
  objects::ObjectQuery q{env.tenant, std::nullopt, std::nullopt, 2};
  auto [page1, next1] = env.catalog.list_objects(q);
  REQUIRE(page1.size() == 2);
  CHECK(page1[0].id == ids[4]);
  CHECK(page1[1].id == ids[3]);
  REQUIRE(next1);
  q.before_id = next1;
  auto [page2, next2] = env.catalog.list_objects(q);
  CHECK(page2.size() == 2);
  q.before_id = next2;
  auto [page3, next3] = env.catalog.list_objects(q);
  CHECK(page3.size() == 1);
  CHECK_FALSE(next3);

  auto [mine, none] = env.catalog.list_objects({env.tenant, "user-2", std::nullopt, 50});
  CHECK(mine.size() == 2);
  auto [ownerless, none2] = env.catalog.list_objects({env.tenant, "", std::nullopt, 50});
  CHECK(ownerless.size() == 3);
  auto [elsewhere, none3] = env.catalog.list_objects({"other", std::nullopt, std::nullopt, 50});
  CHECK(elsewhere.empty());
}

TEMPLATE_TEST_CASE("A user's objects and uploads can be listed and removed for export and erasure",
                   "[objects][catalog]", SqliteLocal, PostgresS3) {
  TestType env;
  const auto a = upload_object(env, "document", "text/csv", kCsv, "user-9");
  const auto b = upload_object(env, "document", "application/json", "[1]", "user-9");
  const auto other = upload_object(env, "document", "application/json", "[2]", "user-8");
  auto pending = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv, "user-9"));
  send(env, pending, kCsv.substr(0, 5));

  const auto owned = env.catalog.list_owned_by("user-9");
  REQUIRE(owned.size() == 2);
  CHECK(owned[0].id == a.id);
  CHECK(owned[1].id == b.id);
  CHECK(env.catalog.remove_owned_by("user-9") == 2);
  CHECK(env.catalog.list_owned_by("user-9").empty());
  CHECK_FALSE(env.store->head(a.key));
  CHECK_FALSE(env.catalog.get_upload(env.tenant, pending.id));
  CHECK_FALSE(env.store->head(pending.key));
  CHECK(env.catalog.get_object(env.tenant, other.id));
  CHECK(env.catalog.stored_bytes(env.tenant) == 3);
}

TEMPLATE_TEST_CASE("The retention sweep deletes expired objects and stale uploads with their data",
                   "[objects][catalog]", SqliteLocal, PostgresLocal, PostgresS3) {
  TestType env;
  const std::string jpeg = small_jpeg();
  const auto capture = upload_object(env, "capture", "image/jpeg", jpeg);
  const auto keeper = upload_object(env, "image", "image/jpeg", jpeg);
  auto stale = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv));
  send(env, stale, kCsv.substr(0, 4));

  CHECK(env.catalog.sweep_expired(now_micros()).total() == 0);
  const auto later = now_micros() + 25ll * 3600 * 1'000'000;  // past the capture's 24 h and the upload's 1 h
  const auto swept = env.catalog.sweep_expired(later);
  CHECK(swept.objects == 1);
  CHECK(swept.uploads >= 1);  // the stale one, and the completed uploads' rows
  CHECK_FALSE(env.catalog.get_object(env.tenant, capture.id));
  CHECK_FALSE(env.store->head(capture.key));
  CHECK(env.catalog.get_object(env.tenant, keeper.id));
  CHECK(env.store->head(keeper.key));
  CHECK_FALSE(env.catalog.get_upload(env.tenant, stale.id));
  CHECK_FALSE(env.store->head(stale.key));
  if (env.catalog.local()) CHECK(std::filesystem::is_empty(env.dir.path() / "staging"));
  CHECK(env.catalog.sweep_expired(later).total() == 0);
}

TEST_CASE("Resuming a local upload continues at the received bytes", "[objects][catalog]") {
  SqliteLocal env;
  auto upload = env.catalog.create_upload(spec(env.tenant, "document", "text/csv", kCsv));
  {
    auto partial = env.catalog.open_partial(upload, 0);
    partial->write(kCsv.substr(0, 7));
    partial->write("garbage that never got synced");
  }
  env.catalog.mark_progress(upload.id, 7);
  {
    auto partial = env.catalog.open_partial(upload, 7);  // cuts the unsynced tail
    partial->write(kCsv.substr(7));
    CHECK(partial->sync() == kCsv.size());
  }
  env.catalog.mark_progress(upload.id, kCsv.size());
  const auto object = env.catalog.complete(*env.catalog.get_upload(env.tenant, upload.id), {});
  CHECK(env.store->get_all(object.key) == kCsv);

  auto lock = env.catalog.lock_upload(upload.id);
  CHECK(lock);
  CHECK_FALSE(env.catalog.lock_upload(upload.id));
  lock.reset();
  CHECK(env.catalog.lock_upload(upload.id));
  CHECK(error_code_of([&] { env.catalog.open_partial(objects::Upload{.id = "../../etc/passwd"}, 0); }) ==
        ErrorCode::kNotFound);
}
