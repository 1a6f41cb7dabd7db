// Uploads and objects through the real binary: SQLite with the local store, PostgreSQL with a real Ceph RGW.
#include "integration/backends.hpp"
#include "integration/unzip.hpp"
#include "support/api_client.hpp"
#include "support/process.hpp"
#include "support/sample_media.hpp"
#include "tyto/auth/identity.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/storage/database.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

using SqliteLocal = SqliteBackend;
using PostgresS3 = PostgresS3Backend;

using Headers = std::map<std::string, std::string>;

// Someone with an API key of their own in a tenant (created if missing), acting as a user with a role.
struct Caller {
  std::string key;
  std::string user_id;
  std::string tenant_id;
  Headers auth() const { return {{"Authorization", "Bearer " + key}}; }
};

Caller add_caller(tyto::storage::Database& db, const std::string& tenant_name, tyto::auth::Role role) {
  tyto::auth::IdentityStore ids(db);
  auto tenant = ids.tenant_by_name(tenant_name);
  if (!tenant) tenant = ids.create_tenant(db, tenant_name, tenant_name);
  return db.transact([&](tyto::storage::Transaction& tx) {
    auto user = ids.create_user(tx, tyto::new_uuid_v7() + "@example.com", "not-a-hash", "tester");
    ids.add_membership(tx, user.id, tenant->id, role);
    auto [row, key] = ids.create_api_key(tx, tenant->id, "test", role, user.id, std::nullopt);
    return Caller{key, user.id, tenant->id};
  });
}

std::string absolute(std::uint16_t port, const std::string& url) {
  return url.starts_with("/") ? "http://127.0.0.1:" + std::to_string(port) + url : url;
}

// POST /api/v1/uploads; fails the test unless it answers 201.
json declare(std::uint16_t port, const Headers& who, const std::string& purpose, const std::string& type,
             const std::string& bytes, const std::string& filename = "file.bin") {
  json body = {{"filename", filename},
               {"content_type", type},
               {"size", bytes.size()},
               {"purpose", purpose},
               {"sha256", tyto::sha256_hex(bytes)}};
  auto res = api(port, "POST", "/api/v1/uploads", body, who);
  INFO(res.raw.body);
  REQUIRE(res.status == 201);
  CHECK(res.body["method"] == "PUT");
  CHECK(res.body["headers"]["Content-Type"] == type.substr(0, type.find(';')));
  return res.body;
}

HttpResponse put_bytes(std::uint16_t port, const json& declared, const std::string& bytes,
                       std::optional<std::string> type = std::nullopt, Headers extra = {}) {
  extra["Content-Type"] = type.value_or(declared["headers"]["Content-Type"].get<std::string>());
  return fetch_url(absolute(port, declared["url"]), "PUT", bytes, extra);
}

ApiResponse complete(std::uint16_t port, const Headers& who, const json& declared) {
  return api(port, "POST", "/api/v1/uploads/" + declared["upload_id"].get<std::string>() + "/complete", nullptr, who);
}

json upload(std::uint16_t port, const Headers& who, const std::string& purpose, const std::string& type,
            const std::string& bytes, const std::string& filename = "file.bin") {
  const json declared = declare(port, who, purpose, type, bytes, filename);
  REQUIRE(put_bytes(port, declared, bytes).status == 200);
  auto res = complete(port, who, declared);
  INFO(res.raw.body);
  REQUIRE(res.status == 201);
  return res.body;
}

// GET of an object's content, following the S3 redirect the way a browser does (without the API key).
HttpResponse download(std::uint16_t port, const Headers& who, const std::string& path, Headers extra = {}) {
  Headers headers = who;
  headers.insert(extra.begin(), extra.end());
  auto res = api(port, "GET", path, nullptr, headers).raw;
  if (res.status != 302) return res;
  return fetch_url(res.header("location"), "GET", "", extra);
}

const std::string kCsv = "name,age,city\nAda,36,London\nAlan,41,Wilmslow\n";

}  // namespace

TEMPLATE_TEST_CASE("An upload round-trips: declare, PUT, complete, list, download, delete", "[integration][uploads]",
                   SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto db = backend.open();
  const Caller ada = add_caller(*db, "default", tyto::auth::Role::kUser);

  const json declared = declare(port, ada.auth(), "document", "text/csv; charset=utf-8", kCsv, "people.csv");
  CHECK(declared["headers"]["Content-Type"] == "text/csv");
  CHECK(declared["resumable"] == TestType::kLocalObjects);
  auto put = put_bytes(port, declared, kCsv);
  REQUIRE(put.status == 200);
  const auto id = declared["upload_id"].get<std::string>();
  auto state = api(port, "GET", "/api/v1/uploads/" + id, nullptr, ada.auth());
  CHECK(state.body["received"] == kCsv.size());
  CHECK(state.body["state"] == "pending");

  auto done = complete(port, ada.auth(), declared);
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  const json object = done.body;
  CHECK(object["size"] == kCsv.size());
  CHECK(object["sha256"] == tyto::sha256_hex(kCsv));
  CHECK(object["content_type"] == "text/csv");
  CHECK(object["filename"] == "people.csv");
  CHECK(object["owner_id"] == ada.user_id);
  const std::string path = "/api/v1/objects/" + object["id"].get<std::string>();
  CHECK(api(port, "GET", "/api/v1/uploads/" + id, nullptr, ada.auth()).body["state"] == "completed");

  CHECK(api(port, "GET", path, nullptr, ada.auth()).body == object);
  auto list = api(port, "GET", "/api/v1/objects", nullptr, ada.auth());
  REQUIRE(list.body["items"].size() == 1);
  CHECK(list.body["items"][0]["id"] == object["id"]);

  auto content = download(port, ada.auth(), path + "/content");
  CHECK(content.status == 200);
  CHECK(content.body == kCsv);
  auto part = download(port, ada.auth(), path + "/content", {{"Range", "bytes=5-12"}});
  CHECK(part.status == 206);
  CHECK(part.body == kCsv.substr(5, 8));
  CHECK(part.header("content-range") == "bytes 5-12/" + std::to_string(kCsv.size()));

  // A bigger video goes to S3 in several parts and streams back whole.
  std::string video =
      "\x00\x00\x00\x18"
      "ftypmp42\x00\x00\x00\x00"s +
      pattern_bytes(17u << 20, 7);
  const json clip = upload(port, ada.auth(), "video", "video/mp4", video, "clip.mp4");
  CHECK(clip["sha256"] == tyto::sha256_hex(video));
  CHECK(download(port, ada.auth(), "/api/v1/objects/" + clip["id"].get<std::string>() + "/content").body == video);

  CHECK(api(port, "DELETE", path, nullptr, ada.auth()).status == 204);
  CHECK(api(port, "GET", path, nullptr, ada.auth()).status == 404);
  CHECK(db->query_one("SELECT COUNT(*) FROM audit_logs WHERE action = 'object.delete' AND resource = $1",
                      {"object:" + object["id"].get<std::string>()})
            ->template get<std::int64_t>(0) == 1);
  CHECK(db->query_one("SELECT COUNT(*) FROM audit_logs WHERE action = 'object.download'")
            ->template get<std::int64_t>(0) >= 3);
}

TEMPLATE_TEST_CASE("Uploaded photos lose their GPS position", "[integration][uploads]", SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const std::string tagged = with_gps_exif(small_jpeg());
  const json object = upload(port, {}, "capture", "image/jpeg", tagged, "IMG_0001.JPG");
  CHECK(object["size"] == small_jpeg().size());
  CHECK(object["retention_until"].is_string());
  const auto stored = download(port, {}, "/api/v1/objects/" + object["id"].get<std::string>() + "/content");
  CHECK(stored.body == small_jpeg());
  CHECK(stored.body.find(latitude_rationals()) == std::string::npos);
}

TEMPLATE_TEST_CASE("Upload URLs refuse expiry, tampering, other content types and oversize bodies",
                   "[integration][uploads]", SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--uploads-url-ttl-s", "2"}));
  const auto port = server->port();

  const json declared = declare(port, {}, "document", "text/csv", kCsv);
  std::string url = declared["url"];
  const auto sig = url.find(TestType::kLocalObjects ? "sig=" : "Signature=");
  REQUIRE(sig != std::string::npos);
  std::string tampered = url;
  tampered[sig + 12] = tampered[sig + 12] == 'a' ? 'b' : 'a';
  CHECK(fetch_url(absolute(port, tampered), "PUT", kCsv, {{"Content-Type", "text/csv"}}).status == 403);
  CHECK(put_bytes(port, declared, kCsv, "text/html").status == (TestType::kLocalObjects ? 415 : 403));
  if constexpr (TestType::kLocalObjects) {
    CHECK(put_bytes(port, declared, kCsv + "more").status == 413);
    std::string bigger = url;
    bigger.replace(bigger.find("&max="), 5 + std::to_string(kCsv.size()).size(), "&max=99999");
    CHECK(fetch_url(absolute(port, bigger), "PUT", kCsv + "more", {{"Content-Type", "text/csv"}}).status == 403);
  } else {
    // S3 takes any size; completing finds the difference and fails the upload.
    REQUIRE(put_bytes(port, declared, kCsv + "more").status == 200);
    auto res = complete(port, {}, declared);
    CHECK(res.status == 422);
    CHECK(res.body["error"]["details"]["received"] == kCsv.size() + 4);
  }
  const json late = declare(port, {}, "document", "text/csv", kCsv);
  std::this_thread::sleep_for(3s);
  CHECK(put_bytes(port, late, kCsv).status == 403);
}

TEMPLATE_TEST_CASE("Declarations are checked against the purpose and the quota", "[integration][uploads]", SqliteLocal,
                   PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--limits-stored-bytes", "100"}));
  const auto port = server->port();
  auto post = [&](json body) { return api(port, "POST", "/api/v1/uploads", body, {}); };
  const json ok = {{"filename", "a.csv"}, {"content_type", "text/csv"}, {"size", 10}, {"purpose", "document"}};
  auto with = [&](const char* key, json value) {
    json b = ok;
    b[key] = value;
    return b;
  };
  CHECK(post(with("purpose", "weights")).body["error"]["details"]["fields"].contains("purpose"));
  CHECK(post(with("purpose", "weights")).status == 422);
  CHECK(post(with("content_type", "application/x-msdownload")).status == 415);
  CHECK(post(with("size", 60ll << 20)).status == 413);
  CHECK(post(with("size", 0)).status == 422);
  CHECK(post(with("sha256", "abc")).status == 422);
  CHECK(post(with("filename", "..")).status == 422);
  json png_export = with("purpose", "export");  // an export is an archive, JSON, a PDF or a CSV: no picture
  png_export["content_type"] = "image/png";
  png_export["filename"] = "a.png";
  CHECK(post(png_export).status == 415);
  json keep_export = {
      {"filename", "e.zip"}, {"content_type", "application/zip"}, {"size", 10}, {"purpose", "export"}, {"keep", true}};
  CHECK(post(keep_export).status == 422);

  upload(port, {}, "document", "text/csv", kCsv);  // 44 of 100 bytes
  auto over = post(with("size", 60));
  CHECK(over.status == 429);
  CHECK(over.body["error"]["code"] == "quota_exceeded");
  const json second = declare(port, {}, "document", "text/csv", kCsv);
  const json third = declare(port, {}, "document", "text/csv", kCsv);
  REQUIRE(put_bytes(port, second, kCsv).status == 200);
  REQUIRE(put_bytes(port, third, kCsv).status == 200);
  CHECK(complete(port, {}, second).status == 201);
  auto refused = complete(port, {}, third);
  CHECK(refused.status == 429);
  CHECK(refused.body["error"]["code"] == "quota_exceeded");
}

TEMPLATE_TEST_CASE("A wrong SHA-256 or the wrong kind of content fails the upload", "[integration][uploads]",
                   SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto res = api(port, "POST", "/api/v1/uploads",
                 {{"filename", "a.csv"},
                  {"content_type", "text/csv"},
                  {"size", kCsv.size()},
                  {"purpose", "document"},
                  {"sha256", std::string(64, 'e')}},
                 {});
  REQUIRE(res.status == 201);
  const json declared = res.body;
  REQUIRE(put_bytes(port, declared, kCsv).status == 200);
  auto wrong = complete(port, {}, declared);
  CHECK(wrong.status == 422);
  CHECK(wrong.body["error"]["code"] == "validation_failed");
  CHECK(wrong.body["error"]["details"]["fields"].contains("sha256"));
  CHECK(wrong.body["error"]["details"]["actual"] == tyto::sha256_hex(kCsv));
  CHECK(api(port, "GET", "/api/v1/uploads/" + declared["upload_id"].get<std::string>()).body["state"] == "failed");
  CHECK(complete(port, {}, declared).status == 409);

  const std::string exe =
      "\x7F"
      "ELF\x02\x01\x01\x00\x00\x00 definitely not an image"s;
  const json photo = declare(port, {}, "image", "image/png", exe);
  REQUIRE(put_bytes(port, photo, exe).status == 200);
  auto refused = complete(port, {}, photo);
  CHECK(refused.status == 415);
  CHECK(refused.body["error"]["details"]["detected"] == "application/octet-stream");
  CHECK(api(port, "GET", "/api/v1/objects").body["items"].empty());
}

TEST_CASE("A dropped PUT resumes where the received bytes end", "[integration][uploads]") {
  SqliteLocal backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const std::string bytes =
      "\x00\x00\x00\x18"
      "ftypisom\x00\x00\x02\x00"s +
      pattern_bytes(6u << 20, 3);
  const json declared = declare(port, {}, "video", "video/mp4", bytes);
  const std::string url = declared["url"];
  const std::string id = declared["upload_id"];
  const std::size_t sent = 4u << 20;
  {
    Client client(port);
    client.send("PUT " + url + " HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Length: " +
                std::to_string(bytes.size()) + "\r\n\r\n" + bytes.substr(0, sent));
  }  // the connection drops two thirds of the way
  REQUIRE(eventually([&] { return api(port, "GET", "/api/v1/uploads/" + id).body["received"] == sent; }));
  auto head = request(port, "HEAD", url);
  CHECK(head.status == 200);
  CHECK(head.header("upload-offset") == std::to_string(sent));
  CHECK(head.header("upload-length") == std::to_string(bytes.size()));
  CHECK(request(port, "HEAD", url.substr(0, url.find("&sig="))).status == 403);

  // Continuing anywhere but at the received bytes is refused.
  auto wrong = put_bytes(port, declared, bytes.substr(100, 1), std::nullopt,
                         {{"Content-Range", "bytes 100-100/" + std::to_string(bytes.size())}});
  CHECK(wrong.status == 409);
  CHECK(json::parse(wrong.body)["error"]["details"]["received"] == sent);
  auto rest = put_bytes(port, declared, bytes.substr(sent), std::nullopt,
                        {{"Content-Range", "bytes " + std::to_string(sent) + "-" + std::to_string(bytes.size() - 1) +
                                               "/" + std::to_string(bytes.size())}});
  INFO(rest.body);
  REQUIRE(rest.status == 200);
  auto done = complete(port, {}, declared);
  REQUIRE(done.status == 201);
  CHECK(done.body["sha256"] == tyto::sha256_hex(bytes));
  CHECK(download(port, {}, "/api/v1/objects/" + done.body["id"].get<std::string>() + "/content").body == bytes);
}

TEST_CASE("Range requests answer 206 for satisfiable ranges and 416 past the end", "[integration][uploads]") {
  SqliteLocal backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const json object = upload(port, {}, "document", "text/csv", kCsv);
  const std::string path = "/api/v1/objects/" + object["id"].get<std::string>() + "/content";
  const auto size = std::to_string(kCsv.size());
  auto get = [&](const std::string& range) { return download(port, {}, path, {{"Range", range}}); };
  CHECK(get("bytes=0-0").body == "n");
  CHECK(get("bytes=-4").body == kCsv.substr(kCsv.size() - 4));
  CHECK(get("bytes=40-").body == kCsv.substr(40));
  CHECK(get("bytes=40-").header("content-range") == "bytes 40-" + std::to_string(kCsv.size() - 1) + "/" + size);
  CHECK(get("bytes=10-10000").body == kCsv.substr(10));
  auto past = get("bytes=1000-1001");
  CHECK(past.status == 416);
  CHECK(past.header("content-range") == "bytes */" + size);
  CHECK(json::parse(past.body)["error"]["code"] == "range_not_satisfiable");
  CHECK(get("bytes=5-2").status == 200);      // malformed: the whole content
  CHECK(get("bytes=0-1,4-5").status == 200);  // several ranges: the whole content
  auto head = request(port, "HEAD", path, "", {{"Authorization", "Bearer "s + kAdminKey}});
  CHECK(head.header("content-length") == size);
}

TEMPLATE_TEST_CASE("Share links work until they expire and refuse tampering", "[integration][uploads]", SqliteLocal,
                   PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const json object = upload(port, {}, "document", "application/json", "{\"shared\": true}");
  const std::string path = "/api/v1/objects/" + object["id"].get<std::string>() + "/share";
  CHECK(api(port, "POST", path, {{"expires_in_s", 0}}).status == 422);
  CHECK(api(port, "POST", path, {{"expires_in_s", 999999999}}).status == 422);
  auto share = api(port, "POST", path, {{"expires_in_s", 2}});
  REQUIRE(share.status == 201);
  const std::string url = absolute(port, share.body["url"]);
  auto fetch = [&](const std::string& u) {
    auto res = fetch_url(u, "GET");
    return res.status == 302 ? fetch_url(res.header("location"), "GET") : res;
  };
  auto got = fetch(url);
  CHECK(got.status == 200);
  CHECK(got.body == "{\"shared\": true}");
  std::string tampered = url;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  CHECK(fetch_url(tampered, "GET").status == 403);
  std::string later = url;
  const auto at = later.find("expires=") + 8;
  later.replace(at, 10, std::to_string(std::stoll(later.substr(at, 10)) + 1000));
  CHECK(fetch_url(later, "GET").status == 403);
  std::this_thread::sleep_for(3s);
  CHECK(fetch_url(url, "GET").status == 403);
}

TEMPLATE_TEST_CASE("Users see their own objects, admins all of the tenant, other tenants none",
                   "[integration][uploads]", SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  auto db = backend.open();
  const Caller ada = add_caller(*db, "default", tyto::auth::Role::kUser);
  const Caller bob = add_caller(*db, "default", tyto::auth::Role::kUser);
  const Caller vic = add_caller(*db, "default", tyto::auth::Role::kViewer);
  const Caller eve = add_caller(*db, "elsewhere", tyto::auth::Role::kAdmin);

  const json object = upload(port, ada.auth(), "document", "text/csv", kCsv);
  const std::string path = "/api/v1/objects/" + object["id"].get<std::string>();
  CHECK(api(port, "GET", path, nullptr, ada.auth()).status == 200);
  CHECK(api(port, "GET", path, nullptr).status == 200);  // the tenant's admin
  for (const Caller* other : {&bob, &vic, &eve}) {
    CHECK(api(port, "GET", path, nullptr, other->auth()).status == 404);
    CHECK(api(port, "GET", path + "/content", nullptr, other->auth()).status == 404);
    CHECK(api(port, "GET", "/api/v1/objects", nullptr, other->auth()).body["items"].empty());
  }
  CHECK(api(port, "DELETE", path, nullptr, bob.auth()).status == 404);
  CHECK(api(port, "DELETE", path, nullptr, eve.auth()).status == 404);
  CHECK(api(port, "DELETE", path, nullptr, vic.auth()).status == 403);
  CHECK(api(port, "POST", path + "/share", json::object(), bob.auth()).status == 404);
  CHECK(api(port, "POST", "/api/v1/uploads",
            {{"filename", "a.csv"}, {"content_type", "text/csv"}, {"size", 10}, {"purpose", "document"}}, vic.auth())
            .status == 403);
  CHECK(api(port, "GET", "/api/v1/objects?owner_id=" + ada.user_id, nullptr, bob.auth()).status == 422);
  CHECK(api(port, "GET", "/api/v1/objects?owner_id=" + ada.user_id).body["items"].size() == 1);

  const json pending = declare(port, ada.auth(), "document", "text/csv", kCsv);
  const std::string upload_path = "/api/v1/uploads/" + pending["upload_id"].get<std::string>();
  CHECK(api(port, "GET", upload_path, nullptr, bob.auth()).status == 404);
  CHECK(api(port, "GET", upload_path, nullptr, eve.auth()).status == 404);
  CHECK(api(port, "POST", upload_path + "/complete", nullptr, eve.auth()).status == 404);
  CHECK(api(port, "DELETE", path, nullptr, ada.auth()).status == 204);
}

TEMPLATE_TEST_CASE("Path-traversal-looking names and ids never reach the store", "[integration][uploads]", SqliteLocal,
                   PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const json object = upload(port, {}, "document", "text/csv", kCsv, "../../etc/passwd");
  CHECK(object["filename"] == "passwd");
  const json windows = upload(port, {}, "document", "text/csv", kCsv, "..\\..\\boot.ini");
  CHECK(windows["filename"] == "boot.ini");
  for (const std::string id : {"..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                               "etc%00passwd", "00000000-0000-0000-0000-000000000000"}) {
    INFO(id);
    CHECK(api(port, "GET", "/api/v1/objects/" + id).status == 404);
    CHECK(api(port, "GET", "/api/v1/objects/" + id + "/content").status == 404);
    CHECK(api(port, "GET", "/api/v1/uploads/" + id).status == 404);
    CHECK(api(port, "DELETE", "/api/v1/objects/" + id).status == 404);
    const int put = request(port, "PUT", "/api/v1/uploads/" + id + "?expires=9999999999&max=1&ct=text%2Fcsv&sig=00",
                            "x", {{"Content-Type", "text/csv"}})
                        .status;
    CHECK((put == 404 || put == 403));
    CHECK(request(port, "GET", "/api/v1/shared/objects/" + id + "?expires=9999999999&sig=00").status / 100 == 4);
  }
  if constexpr (TestType::kLocalObjects) {
    // Every file the server wrote lies inside its data directory, under the store's tenant layout.
    for (const auto& entry : std::filesystem::recursive_directory_iterator(backend.dir.path() / "objects")) {
      if (!entry.is_regular_file()) continue;
      const auto relative = std::filesystem::relative(entry.path(), backend.dir.path() / "objects").string();
      INFO(relative);
      CHECK(relative.starts_with("tenants/"));
      CHECK(relative.find("passwd") == std::string::npos);
    }
  }
  CHECK_FALSE(std::filesystem::exists(backend.dir.path().parent_path() / "etc"));
}

TEMPLATE_TEST_CASE("A user's export holds their data, and DELETE /me leaves nothing of them behind",
                   "[integration][uploads][privacy]", SqliteLocal, PostgresS3) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--auth-registration", "open"}));
  const auto port = server->port();
  auto reg =
      api(port, "POST", "/api/v1/auth/register",
          {{"email", "private.person@example.com"}, {"password", "a long enough password"}}, {{"Authorization", ""}});
  REQUIRE(reg.status == 201);
  const Headers who = {{"Authorization", "Bearer " + reg.body["access_token"].template get<std::string>()}};
  const std::string user_id = reg.body["user"]["id"];
  const json object = upload(port, who, "document", "text/csv", kCsv, "people.csv");
  auto job = api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.noop"}}, who);
  REQUIRE(job.status == 202);

  auto exp = api(port, "GET", "/api/v1/me/export", nullptr, who);
  INFO(exp.raw.body);
  REQUIRE(exp.status == 202);
  const std::string export_job = exp.body["id"];
  json done;
  REQUIRE(eventually([&] {
    done = api(port, "GET", "/api/v1/jobs/" + export_job, nullptr, who).body;
    return done["state"] == "succeeded" || done["state"] == "failed";
  }));
  INFO(done.dump());
  REQUIRE(done["state"] == "succeeded");
  const std::string archive_id = done["result"]["object_id"];
  auto zip = download(port, who, "/api/v1/objects/" + archive_id + "/content");
  REQUIRE(zip.status == 200);
  auto entries = unzip(zip.body);
  REQUIRE(entries.count("tyto-export.json"));
  const json data = json::parse(entries["tyto-export.json"]);
  CHECK(data["account"]["email"] == "private.person@example.com");
  CHECK(data["jobs"].dump().find(job.body["id"].template get<std::string>()) != std::string::npos);
  CHECK(data["audit"].dump().find("auth.register") != std::string::npos);
  REQUIRE(data["objects"].size() == 1);
  CHECK(entries[data["objects"][0]["file"].template get<std::string>()] == kCsv);

  // Every key the user's objects live under, to look for after the deletion.
  auto db = backend.open();
  std::vector<std::string> keys;
  for (const auto& r : db->query("SELECT key FROM objects WHERE owner_id = $1", {user_id}).rows) {
    keys.push_back(r.template get<std::string>(0));
  }
  CHECK(keys.size() == 2);  // the upload and the export

  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, who).status == 204);
  for (const char* sql :
       {"SELECT COUNT(*) FROM users WHERE id = $1", "SELECT COUNT(*) FROM objects WHERE owner_id = $1",
        "SELECT COUNT(*) FROM uploads WHERE owner_id = $1", "SELECT COUNT(*) FROM jobs WHERE created_by = $1",
        "SELECT COUNT(*) FROM memberships WHERE user_id = $1",
        "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1"}) {
    INFO(sql);
    CHECK(db->query_one(sql, {user_id})->template get<std::int64_t>(0) == 0);
  }
  auto store = TestType::kLocalObjects ? tyto::objects::open_local_store(backend.dir.path() / "objects")
                                       : tyto::objects::open_s3_store(s3_test_options());
  for (const auto& key : keys) CHECK_FALSE(store->head(key));
  CHECK(db->query_one("SELECT COUNT(*) FROM audit_logs WHERE action = 'user.delete'")->template get<std::int64_t>(0) ==
        1);
  CHECK(api(port, "GET", "/api/v1/objects/" + archive_id, nullptr, who).status == 401);
}
