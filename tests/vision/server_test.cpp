// The vision pipelines in the real server (SQLite, local object store: no services): an uploaded screenshot's
// text found and its contrast measured, an uploaded photo's faces redacted into a new object.
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/vision/faces.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using nlohmann::json;

namespace {

std::map<std::string, std::string> admin() { return {{"Authorization", std::string("Bearer ") + kAdminKey}}; }

std::string upload(std::uint16_t port, const std::string& bytes, const std::string& content_type,
                   const std::string& purpose = "image") {
  auto declared = api(
      port, "POST", "/api/v1/uploads",
      {{"filename", "upload"}, {"content_type", content_type}, {"size", bytes.size()}, {"purpose", purpose}}, admin());
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  url = url.substr(url.find("/api/"));
  REQUIRE(request(port, "PUT", url, bytes, {{"Content-Type", content_type}, {"Authorization", ""}}).status == 200);
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
  REQUIRE(eventually(
      [&] {
        job = api(port, "GET", "/api/v1/jobs/" + created.body["id"].get<std::string>(), nullptr, admin()).body;
        return job["state"] != "queued" && job["state"] != "running";
      },
      std::chrono::seconds(60)));
  return job;
}

}  // namespace

TEST_CASE("The server reads an uploaded screenshot's text and contrast, and redacts the faces of a photo",
          "[vision][server]") {
  TempDir dir;
  auto server = TytoProcess::serve({"--data-dir", dir.path().string()});
  const auto port = server->port();

  cv::Mat bgr(160, 640, CV_8UC3, cv::Scalar(255, 255, 255));
  vis::put_text(bgr, "Checkout total 99", {20, 60}, 1.2, cv::Scalar(0x77, 0x77, 0x77));
  vis::put_text(bgr, "Delivery tomorrow", {20, 130}, 1.2, cv::Scalar(0, 0, 0));
  const std::string shot = upload(port, vis::encode_bgr(bgr, "png"), "image/png");
  auto job = run_job(port, "vision.text_contrast", {{"object_id", shot}});
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  const json regions = job["result"]["regions"];
  REQUIRE(regions.size() == 2);
  CHECK(regions[0]["text"] == "Checkout total 99");
  CHECK(regions[0]["ratio"].get<double>() == Approx(4.48).margin(0.05));
  CHECK(regions[1]["ratio"].get<double>() == Approx(21).margin(0.3));

  const std::string photo = upload(port, vis::read_bytes(vis::sample("messi5.jpg")), "image/jpeg");
  job = run_job(port, "vision.redact_faces", {{"object_id", photo}});
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["redacted"].get<int>() >= 1);
  const std::string redacted_id = job["result"]["object_id"];
  const auto content = request(port, "GET", "/api/v1/objects/" + redacted_id + "/content", "", admin());
  REQUIRE(content.status == 200);
  const auto redacted = vision::decode(content.body);
  CHECK(redacted.width == 548);
  CHECK(vision::FaceDetector().detect(redacted).empty());

  // Bytes that are no image fail the job at once with the decoder's code.
  const std::string table = upload(port, "a,b\n1,2\n", "text/csv", "document");
  job = run_job(port, "vision.ocr", {{"object_id", table}});
  CHECK(job["state"] == "failed");
  CHECK(job.dump().find("unsupported_media_type") != std::string::npos);
}
