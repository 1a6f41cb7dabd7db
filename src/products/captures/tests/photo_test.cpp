// Captures of photos, end to end through the real binary: photos the test composes from an opencv-doc
// photo, a body of known size (tests/body/silhouette_scene) and an ID-1 card at a known scale, measured with
// tiny pose and segmentation models (make_models.py) that put the keypoints where the body's are and see the
// person where it is white. Then: the figures against the body's, EXIF gone from the stored photos, the raw
// photos' audited access and their deletion after processing without consent, a keypoint correction measured
// again, and the results kept.
#include "../../../../tests/body/silhouette_scene.hpp"
#include "support.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <thread>

using namespace tyto::test;
using namespace tyto::test::captures;
namespace bt = tyto::body::test;

namespace {

constexpr int kWidth = 1536;
constexpr int kHeight = 2048;
constexpr double kScale = 1.2;  // px per mm, in both photos (a phone photo of 3 Mpx)

struct Photo {
  std::string jpeg;
  tyto::body::Keypoints keypoints;  // in the photo's pixels
};

// The body's render pasted (white) onto a darkened opencv-doc photo, with a blue ID-1 card beside it at the
// same scale, and the view's marker in the corner (black: front; grey: side).
Photo compose(const bt::Render& r, bool front) {
  cv::Mat bg = cv::imread("/usr/share/doc/opencv-doc/examples/data/fruits.jpg", cv::IMREAD_COLOR);
  REQUIRE_FALSE(bg.empty());
  cv::resize(bg, bg, {kWidth, kHeight});
  bg.convertTo(bg, -1, 0.45, 0);  // the background stays darker than the person
  const int ox = kWidth / 2 - static_cast<int>(r.centre_x);
  const int oy = kHeight - 40 - static_cast<int>(r.floor_y);
  for (int y = 0; y < r.view.mask.height; ++y) {
    for (int x = 0; x < r.view.mask.width; ++x) {
      if (r.view.mask.pixels[static_cast<std::size_t>(y) * r.view.mask.width + x] < 128) continue;
      const int px = x + ox, py = y + oy;
      if (px >= 0 && py >= 0 && px < kWidth && py < kHeight) bg.at<cv::Vec3b>(py, px) = {250, 250, 250};
    }
  }
  // The card: 85.60 x 53.98 mm at the body's scale, held beside the waist.
  const double cw = 85.60 * kScale, ch = 53.98 * kScale;
  const cv::Point2f c0(kWidth / 2.0f + 330 * static_cast<float>(kScale), kHeight * 0.52f);
  cv::rectangle(bg, cv::Rect(cv::Point(cvRound(c0.x), cvRound(c0.y)), cv::Size(cvRound(cw), cvRound(ch))),
                cv::Scalar(160, 80, 30), cv::FILLED, cv::LINE_AA);
  // A chip in the middle of the card's left half, as on a bank card.
  cv::rectangle(bg,
                cv::Rect(cvRound(c0.x + cw * 0.15), cvRound(c0.y + ch * 0.35), cvRound(cw * 0.14), cvRound(ch * 0.22)),
                cv::Scalar(80, 170, 200), cv::FILLED);
  cv::rectangle(bg, cv::Rect(0, 0, 80, 80), front ? cv::Scalar(0, 0, 0) : cv::Scalar(100, 100, 100), cv::FILLED);
  Photo p;
  for (std::size_t i = 0; i < 17; ++i) {
    p.keypoints[i] = {r.view.keypoints[i].x + ox, r.view.keypoints[i].y + oy, r.view.keypoints[i].score};
  }
  std::vector<std::uint8_t> buf;
  cv::imencode(".jpg", bg, buf, {cv::IMWRITE_JPEG_QUALITY, 92});
  // An EXIF block with a position in it, as phones write: it must not reach the store.
  const std::string exif = std::string("Exif\0\0", 6) + "MM GPSLatitude 52.5200 GPSLongitude 13.4050";
  const auto len = static_cast<std::uint16_t>(exif.size() + 2);
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>(len >> 8);
  app1 += static_cast<char>(len & 0xFF);
  app1 += exif;
  p.jpeg.assign(buf.begin(), buf.end());
  p.jpeg.insert(2, app1);
  return p;
}

json normalised(const tyto::body::Keypoints& k) {
  // The pose model's letterbox: the photo scaled by 192/height and centred (24 px pad on the left).
  const double s = 192.0 / kHeight, pad_x = (192 - kWidth * s) / 2;
  json out = json::array();
  for (const auto& p : k) out.push_back({p.y * s / 192.0, (p.x * s + pad_x) / 192.0, 0.9});
  return out;
}

struct Scene {
  bt::Body body;
  Photo front, side;
  TempDir models;
};

std::unique_ptr<Scene> make_scene() {
  auto scene = std::make_unique<Scene>();
  scene->body.height = 1600;
  scene->body.arms = bt::Arms::touching;
  scene->front = compose(bt::draw_front(scene->body, kScale), true);
  scene->side = compose(bt::draw_side(scene->body, kScale), false);
  const json k = {{"front", normalised(scene->front.keypoints)},
                  {"side", normalised(scene->side.keypoints)},
                  {"pad_x", (192 - kWidth * 192.0 / kHeight) / 2}};
  const auto file = scene->models.path() / "keypoints.json";
  std::ofstream(file) << k.dump();
  const std::string cmd = "/usr/bin/python3 " + std::string(TYTO_CAPTURES_TESTS_DIR) + "/make_models.py " +
                          scene->models.path().string() + " " + file.string() + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return scene;
}

json wait_done(std::uint16_t port, const std::string& token, const std::string& id) {
  json last;
  const bool done = eventually(
      [&] {
        last = api(port, "GET", "/api/v1/capture/" + id + "/status", nullptr, bearer(token)).body;
        return last["status"] == "completed" || last["status"] == "failed";
      },
      std::chrono::seconds(120));
  INFO(last.dump());
  REQUIRE(done);
  return last;
}

}  // namespace

TEMPLATE_TEST_CASE("A capture of photos is measured by the card's scale, and its raw photos go after processing",
                   "[integration][captures][photos]", SqliteBackend, PostgresBackend) {
  const auto scene = make_scene();
  TestType backend;
  auto server = TytoProcess::serve(
      backend.args({"--modules-vision-models-file", (scene->models.path() / "models.json").string(),
                    "--products-captures-image-retention-hours", "0", "--products-captures-sweep-interval-s", "1"}));
  const auto port = server->port();
  const auto user = member(port, "fay@example.com", "user");

  // The card check before capturing.
  auto cal = request(port, "POST", "/api/v1/capture/calibrate", scene->front.jpeg,
                     {{"Content-Type", "image/jpeg"}, {"Authorization", "Bearer " + user.token}});
  INFO(cal.body);
  REQUIRE(cal.status == 200);
  const auto calibration = json::parse(cal.body);
  CHECK(calibration["card_detected"] == true);
  CHECK(calibration["px_per_mm"].template get<double>() == Approx(kScale).epsilon(0.03));
  CHECK(calibration["corners"].size() == 4);

  auto posted = post_capture(port, user.token,
                             {{"front", "front.jpg", "image/jpeg", scene->front.jpeg},
                              {"side", "side.jpg", "image/jpeg", scene->side.jpeg},
                              {"capture_meta", "", "", R"({"device": "test"})"}});
  INFO(posted.body);
  REQUIRE(posted.status == 202);
  const std::string id = json::parse(posted.body)["capture_id"];
  const auto status = wait_done(port, user.token, id);
  INFO(status.dump());
  REQUIRE(status["status"] == "completed");

  auto results = api(port, "GET", "/api/v1/capture/" + id + "/results", nullptr, bearer(user.token));
  INFO(results.raw.body);
  REQUIRE(results.status == 200);
  const auto& r = results.body;
  CHECK(r["calibration"]["card_detected"] == true);
  CHECK(r["calibration"]["views"]["side"]["card_detected"] == true);
  CHECK(r["model_versions"]["pose"] == "test-pose-1");
  CHECK(r["model_versions"]["segmentation"] == "test-seg-1");
  const auto& m = r["metrics"];
  REQUIRE(m.contains("height"));
  CHECK(m["height"]["value_cm"].template get<double>() == Approx(160.0).epsilon(0.04));
  CHECK(m["height"]["uncertainty_cm"].template get<double>() > 0);
  for (const char* site : {"chest", "waist", "hip"}) {
    INFO(site);
    REQUIRE(m.contains(site));
    CHECK(m[site]["method"].template get<std::string>().find("ellipse") != std::string::npos);
    CHECK(m[site]["definition"].template get<std::string>().size() > 20);
    CHECK(m[site]["confidence"].template get<double>() > 0);
    CHECK(m[site]["value_cm"].template get<double>() > 50);
    CHECK(m[site]["value_cm"].template get<double>() < 130);
  }
  // The body's waist girth: its width and depth at the waist level, by the ellipse model.
  const double level = scene->body.level_z(0.705);
  const double w = scene->body.width(level), d = scene->body.depth(level);
  const double truth_cm = tyto::body::ellipse_circumference(w, d) * tyto::body::circumference_coefficient("waist") / 10;
  CHECK(m["waist"]["value_cm"].template get<double>() == Approx(truth_cm).epsilon(0.06));

  // The annotated photo is served; the raw photos had no EXIF left, and go after processing without consent.
  auto drawn = request(port, "GET", "/api/v1/capture/" + id + "/images/annotated_front", "",
                       {{"Authorization", "Bearer " + user.token}});
  CHECK(drawn.status == 200);
  CHECK(drawn.headers["content-type"] == "image/jpeg");
  const bool deleted = eventually(
      [&] {
        return api(port, "GET", "/api/v1/capture/" + id, nullptr, bearer(user.token))
            .body["images_deleted_at"]
            .is_string();
      },
      std::chrono::seconds(15));
  CHECK(deleted);
  auto gone = api(port, "GET", "/api/v1/admin/captures/" + id + "/photos/front");
  CHECK(gone.status == 404);
  CHECK(gone.body["error"]["details"]["reason"] == "deleted");
  CHECK(api(port, "GET", "/api/v1/capture/" + id + "/results", nullptr, bearer(user.token)).status == 200);

  // A keypoint correction measures again from the stored silhouettes: version 2, the original kept.
  auto left_hip = r["keypoints"]["front"]["left_hip"];
  auto adjust =
      api(port, "POST", "/api/v1/capture/" + id + "/manual-adjust",
          {{"keypoints",
            {{"front", {{"left_hip", {{"x", left_hip["x"]}, {"y", left_hip["y"].template get<double>() + 20}}}}}}}},
          bearer(user.token));
  INFO(adjust.raw.body);
  REQUIRE(adjust.status == 202);
  json job;
  eventually(
      [&] {
        job = get_job(port, adjust.body["job_id"]);
        return job["state"] == "succeeded" || job["state"] == "failed";
      },
      std::chrono::seconds(60));
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  auto again = api(port, "GET", "/api/v1/capture/" + id + "/results", nullptr, bearer(user.token));
  REQUIRE(again.status == 200);
  CHECK(again.body["version"] == 2);
  CHECK(again.body["origin"] == "manual_adjust");
  CHECK(again.body["keypoints"]["front"]["left_hip"]["y"].template get<double>() ==
        Approx(left_hip["y"].template get<double>() + 20).margin(0.2));
  CHECK(again.body["metrics_json"]["original"]["waist"] == r["metrics"]["waist"]);
  auto bad = api(port, "POST", "/api/v1/capture/" + id + "/manual-adjust",
                 {{"keypoints", {{"front", {{"left_hip", {{"x", 99999}, {"y", 1}}}}}}}}, bearer(user.token));
  CHECK(bad.status == 422);
}

TEST_CASE("Kept photos are stripped of EXIF, and an admin's look at one is on the record",
          "[integration][captures][photos]") {
  const auto scene = make_scene();
  SqliteBackend backend;
  auto server = TytoProcess::serve(
      backend.args({"--modules-vision-models-file", (scene->models.path() / "models.json").string()}));
  const auto port = server->port();
  const auto user = member(port, "gus@example.com", "user");
  REQUIRE(api(port, "PUT", "/api/v1/capture/consent", {{"store_images", true}}, bearer(user.token)).status == 200);
  REQUIRE(scene->front.jpeg.find("GPSLatitude") != std::string::npos);
  auto posted = post_capture(port, user.token,
                             {{"front", "front.jpg", "image/jpeg", scene->front.jpeg},
                              {"side", "side.jpg", "image/jpeg", scene->side.jpeg},
                              {"store_images", "", "", "true"}});
  REQUIRE(posted.status == 202);
  const std::string id = json::parse(posted.body)["capture_id"];
  REQUIRE(wait_done(port, user.token, id)["status"] == "completed");
  // The user may not fetch raw photos through the admin route; the admin may, and it is audit-logged.
  CHECK(api(port, "GET", "/api/v1/admin/captures/" + id + "/photos/front", nullptr, bearer(user.token)).status == 403);
  auto raw = request(port, "GET", "/api/v1/admin/captures/" + id + "/photos/front", "",
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
  REQUIRE(raw.status == 200);
  CHECK(raw.body.rfind("\xFF\xD8", 0) == 0);
  CHECK(raw.body.find("GPSLatitude") == std::string::npos);
  CHECK(raw.body.find("Exif") == std::string::npos);
  auto audit = api(port, "GET", "/api/v1/audit?limit=100");
  bool logged = false;
  for (const auto& e : audit.body["items"]) logged = logged || e["action"] == "captures.raw_image_access";
  CHECK(logged);
  // Kept: the sweep leaves them.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(api(port, "GET", "/api/v1/capture/" + id, nullptr, bearer(user.token)).body["images_deleted_at"].is_null());
}
