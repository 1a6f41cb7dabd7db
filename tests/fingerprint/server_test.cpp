// The fingerprint pipelines in the real server: upload, index, match, and the index rebuilt after a
// restart (SQLite, local object store: no services).
#include "fingerprint/fingerprint_support.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace tyto::test;
using nlohmann::json;

namespace {

std::map<std::string, std::string> admin() { return {{"Authorization", std::string("Bearer ") + kAdminKey}}; }

std::string upload_image(std::uint16_t port, const std::string& bytes, const std::string& content_type = "image/jpeg",
                         const std::string& purpose = "capture") {
  auto declared = api(
      port, "POST", "/api/v1/uploads",
      {{"filename", "upload"}, {"content_type", content_type}, {"size", bytes.size()}, {"purpose", purpose}}, admin());
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  url = url.substr(url.find("/api/"));
  auto put = request(port, "PUT", url, bytes, {{"Content-Type", content_type}, {"Authorization", ""}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete",
                  nullptr, admin());
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

json run_job(std::uint16_t port, const std::string& pipeline, const json& input) {
  auto created = api(port, "POST", "/api/v1/jobs", {{"pipeline", pipeline}, {"input", input}}, admin());
  INFO(created.raw.body);
  REQUIRE(created.status == 202);
  json job;
  REQUIRE(eventually([&] {
    job = api(port, "GET", "/api/v1/jobs/" + created.body["id"].get<std::string>(), nullptr, admin()).body;
    return job["state"] != "queued" && job["state"] != "running";
  }));
  return job;
}

}  // namespace

TEST_CASE("The server indexes uploaded images, finds a recompressed copy, and keeps its index across a restart",
          "[fingerprint][server]") {
  TempDir dir;
  const std::filesystem::path photos = "/usr/share/doc/opencv-doc/examples/data";
  const std::string original = fp::read_bytes(photos / "baboon.jpg");
  const std::string other = fp::read_bytes(photos / "fruits.jpg");
  {
    auto server = TytoProcess::serve({"--data-dir", dir.path().string()});
    const auto port = server->port();
    const std::string a = upload_image(port, original), b = upload_image(port, other);
    auto job = run_job(port, "fingerprint.index", {{"object_id", a}, {"index", "brand"}, {"key", "original"}});
    INFO(job.dump());
    REQUIRE(job["state"] == "succeeded");
    CHECK(job["result"]["cached"] == false);
    REQUIRE(run_job(port, "fingerprint.index", {{"object_id", b}, {"index", "brand"}, {"key", "other"}})["state"] ==
            "succeeded");
    // An object that is no image (capture uploads are checked, other purposes are not): a permanent
    // failure with the decoder's code.
    const std::string table = upload_image(port, "a,b\n1,2\n", "text/csv", "document");
    job = run_job(port, "fingerprint.match", {{"object_id", table}, {"index", "brand"}});
    CHECK(job["state"] == "failed");
    CHECK(job.dump().find("unsupported_media_type") != std::string::npos);
  }
  // Restarted on the same data: the index is rebuilt from its log, the cache still knows the original.
  auto server = TytoProcess::serve({"--data-dir", dir.path().string()});
  const auto port = server->port();
  const cv::Mat decoded = cv::imdecode(std::vector<uchar>(original.begin(), original.end()), cv::IMREAD_COLOR);
  const std::string copy = upload_image(port, fp::encode(decoded, "jpg", 40));
  auto job = run_job(port, "fingerprint.match", {{"object_id", copy}, {"index", "brand"}});
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  REQUIRE(job["result"]["matches"].size() == 1);
  CHECK(job["result"]["matches"][0]["key"] == "original");
  CHECK(job["result"]["hash"] == "pdq");
  const std::string same = upload_image(port, original);
  job = run_job(port, "fingerprint.match", {{"object_id", same}, {"index", "brand"}, {"hash", "phash"}});
  CHECK(job["result"]["matches"][0]["distance"] == 0);
}
