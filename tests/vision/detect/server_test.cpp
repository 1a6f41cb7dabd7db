// Detection in the real server (SQLite, local objects): the vision.detect pipeline with models of a models
// file, /ready naming a model that failed, and a model file replaced while the server runs.
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "vision/detect/detect_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> admin() { return {{"Authorization", std::string("Bearer ") + kAdminKey}}; }

std::string upload_png(std::uint16_t port, const std::string& bytes) {
  auto declared =
      api(port, "POST", "/api/v1/uploads",
          {{"filename", "frame.png"}, {"content_type", "image/png"}, {"size", bytes.size()}, {"purpose", "image"}},
          admin());
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  url = url.substr(url.find("/api/"));
  REQUIRE(request(port, "PUT", url, bytes, {{"Content-Type", "image/png"}, {"Authorization", ""}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete",
                  nullptr, admin());
  REQUIRE(done.status == 201);
  return done.body["id"];
}

json detect_job(std::uint16_t port, const json& input) {
  auto created = api(port, "POST", "/api/v1/jobs", {{"pipeline", "vision.detect"}, {"input", input}}, admin());
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

int cat_x(const json& job) {
  for (const auto& d : job["result"]["detections"])
    if (d["label"] == "cat") return d["box"]["x"];
  return -1;
}

}  // namespace

TEST_CASE("The server detects with its registry's models, names a failed model in /ready and hot-reloads a model",
          "[detect][server]") {
  detect::Folder models;
  fs::copy_file(detect::model_file("yolov5.pt"), models.path() / "tiny.pt");
  const json manifest =
      json::array({{{"name", "tiny"},
                    {"version", "1"},
                    {"kind", "torchscript"},
                    {"path", "tiny.pt"},
                    {"classes", {"square", "cat", "dog"}},
                    {"input_size", {320, 320}}},
                   {{"name", "people"}, {"kind", "hog"}},
                   {{"name", "missing"}, {"kind", "onnx"}, {"format", "blazeface"}, {"path", "no.onnx"}}});
  const auto file = models.write("models.json", manifest.dump());
  TempDir dir;
  auto server = TytoProcess::serve(
      {"--data-dir", dir.path().string()},
      {{"TYTO_MODULES_VISION_MODELS_FILE", file.string()}, {"TYTO_MODULES_VISION_MODELS_POLL_MS", "100"}});
  const auto port = server->port();

  auto ready = request(port, "GET", "/ready");
  CHECK(ready.status == 503);
  const json checks = json::parse(ready.body)["error"]["details"]["checks"];
  CHECK(checks["vision.models.tiny"] == "ok");
  CHECK(checks["vision.models.people"] == "ok");
  CHECK(checks["vision.models.missing"].get<std::string>().find("no.onnx does not exist") != std::string::npos);

  const std::string frame = upload_png(port, vision::encode_png(detect::white_square(640, 480, 400, 200, 80)));
  json job = detect_job(port, {{"object_id", frame}, {"model", "tiny"}});
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["version"] == "1");
  CHECK(job["result"]["detections"].size() == 3);
  CHECK(cat_x(job) == 120);

  // A new version of the file: the poller loads and self-tests it, then swaps it in.
  fs::copy_file(detect::model_file("yolov5_moved.pt"), models.path() / "tiny.pt", fs::copy_options::overwrite_existing);
  server->wait_for_log("model reloaded", std::chrono::seconds(60));
  job = detect_job(port, {{"object_id", frame}, {"model", "tiny"}});
  REQUIRE(job["state"] == "succeeded");
  CHECK(cat_x(job) == 320);

  // A broken file: the model in service stays, /ready says why.
  const auto failures = [&] {
    const std::string log = server->stderr_text(), needle = R"("msg":"model failed","model":"tiny")";
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  };
  const std::size_t before = failures();
  models.write("tiny.pt", "not a model");
  REQUIRE(eventually([&] { return failures() > before; }, std::chrono::seconds(60)));
  job = detect_job(port, {{"object_id", frame}, {"model", "tiny"}});
  REQUIRE(job["state"] == "succeeded");
  CHECK(cat_x(job) == 320);
  ready = request(port, "GET", "/ready");
  CHECK(json::parse(ready.body)["error"]["details"]["checks"]["vision.models.tiny"].get<std::string>().starts_with(
      "reload failed"));

  job = detect_job(port, {{"object_id", frame}, {"model", "nobody"}});
  CHECK(job["state"] == "failed");
  CHECK(job.dump().find("not_found") != std::string::npos);
}
