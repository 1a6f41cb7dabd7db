// Pose key points and person masks through the model registry: tiny generated models of MoveNet's and the selfie
// segmentation's layouts (make_models.py) whose outputs are known, mapped back through the letterbox; and the
// real models set-up converts (build/models: MoveNet Lightning, MediaPipe's selfie segmentation) on a photo of
// a standing man (the left half of opencv-doc's basketball1.png).
#include "tyto/core/error.hpp"
#include "tyto/vision/models.hpp"
#include "tyto/vision/preprocess.hpp"
#include "vision/detect/detect_support.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace tyto;
using namespace tyto::test::detect;
using nlohmann::json;
namespace fs = std::filesystem;
namespace vis = tyto::test::vis;

namespace {

json entry(const std::string& name, const std::string& format, const fs::path& path, int size, float threshold = 0.2f) {
  return {{"name", name},
          {"version", "tiny"},
          {"kind", "onnx"},
          {"format", format},
          {"path", path.string()},
          {"input_size", {size, size}},
          {"score_threshold", threshold}};
}

std::string state_of(const vision::ModelRegistry& registry, const std::string& check) {
  for (const auto& [name, state] : registry.readiness())
    if (name == check) return state;
  return "(absent)";
}

const vision::DetectedKeypoint& point(const vision::Detection& d, vision::CocoKeypoint k) {
  return d.keypoints.at(static_cast<std::size_t>(k));
}

std::uint8_t mask_at(const vision::Image& mask, float x, float y) {
  return mask.pixels[static_cast<std::size_t>(y) * mask.width + static_cast<std::size_t>(x)];
}

bool inside(const vision::Box& b, float x, float y) {
  return x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
}

// The left half of basketball1.png: a man standing, whole, facing the camera, holding a ball up (300 x 480).
vision::Image standing_man() {
  return vision::crop(vision::decode(vis::read_bytes(vis::sample("basketball1.png"))), {0, 0, 300, 480});
}
// Where he is in it, from his hair to his shoes and his elbow to his hand on the ball (measured by eye).
constexpr vision::Box kMan{35, 70, 130, 410};

}  // namespace

TEST_CASE("A movenet model's key points come back through the registry mapped to the image", "[detect][pose]") {
  Folder folder;
  const auto file =
      folder.write("models.json", json::array({entry("pose", "movenet", model_file("movenet_like.onnx"), 192),
                                               entry("picky", "movenet", model_file("movenet_like.onnx"), 192, 0.6f)})
                                      .dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(0)});
  REQUIRE(state_of(registry, "models.pose") == "ok");
  // 384 x 192: scaled by 1/2 into 192 x 96, 48 px of padding above. Key point k is at y = 0.1 + 0.05 k,
  // x = 0.2 + 0.03 k of the input, score 0.1 + 0.05 k: in the image, x = 384 (0.2 + 0.03 k), y = 384 (0.1 + 0.05 k)
  // - 96.
  const auto found = registry.get("pose")->detect(white_square(384, 192, 0, 0, 4));
  REQUIRE(found.size() == 1);
  const auto& person = found.front();
  CHECK(person.label == "person");
  CHECK_FALSE(person.mask);
  REQUIRE(person.keypoints.size() == 17);
  for (int k = 0; k < 17; ++k) {
    INFO("key point " << k);
    const auto& p = person.keypoints[k];
    CHECK(p.x == Approx(384 * (0.2 + 0.03 * k)).margin(0.05));
    CHECK(p.y == Approx(std::clamp(384 * (0.1 + 0.05 * k) - 96, 0.0, 191.99)).margin(0.05));  // clamped inside
    CHECK(p.score == Approx(0.1 + 0.05 * k).margin(1e-4));
  }
  CHECK(person.score == Approx(0.5).margin(1e-4));  // the mean of the scores
  // The box bounds the points scoring at least 0.2 (k >= 3 for certain; k = 2 scores 0.2 give or take a rounding).
  const auto& k3 = person.keypoints[3];
  const auto& k16 = person.keypoints[16];
  CHECK(inside(person.box, k3.x, k3.y));
  CHECK(inside(person.box, k16.x, k16.y));
  CHECK(person.box.x + person.box.width == static_cast<int>(std::floor(k16.x)) + 1);
  CHECK(person.box.y + person.box.height == 192);
  CHECK(person.box.x <= static_cast<int>(k3.x));
  CHECK(person.box.x >= static_cast<int>(person.keypoints[1].x));  // a point scoring 0.15 is left out
  // A threshold above the mean score: no person.
  CHECK(registry.get("picky")->detect(white_square(384, 192, 0, 0, 4)).empty());
}

TEST_CASE("A selfie model's mask comes back at the image's size with the box of the person's pixels",
          "[detect][segmentation]") {
  Folder folder;
  const auto file = folder.write(
      "models.json", json::array({entry("segmentation", "selfie", model_file("selfie_like.onnx"), 256)}).dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(0)});
  REQUIRE(state_of(registry, "models.segmentation") == "ok");
  // 512 x 256: scaled by 1/2 into 256 x 128, 64 px of padding above and below. The tiny model's "person" is what is
  // white.
  const auto found = registry.get("segmentation")->detect(white_square(512, 256, 300, 100, 60));
  REQUIRE(found.size() == 1);
  const auto& person = found.front();
  CHECK(person.label == "person");
  CHECK(person.keypoints.empty());
  REQUIRE(person.mask);
  CHECK(person.mask->width == 512);
  CHECK(person.mask->height == 256);
  CHECK(person.mask->channels == 1);
  CHECK(person.mask->pixels.size() == 512u * 256u);
  CHECK(mask_at(*person.mask, 330, 130) > 250);
  CHECK(mask_at(*person.mask, 10, 10) < 5);
  CHECK(mask_at(*person.mask, 500, 250) < 5);
  CHECK(std::abs(person.box.x - 300) <= 2);
  CHECK(std::abs(person.box.y - 100) <= 2);
  CHECK(std::abs(person.box.width - 60) <= 3);
  CHECK(std::abs(person.box.height - 60) <= 3);
  CHECK(person.score > 0.9f);
  // Nothing white: nobody.
  CHECK(registry.get("segmentation")->detect(white_square(512, 256, 0, 0, 0)).empty());
}

TEST_CASE("A model whose output is not its format's fails its self-test in the registry", "[detect][pose]") {
  Folder folder;
  const auto file =
      folder.write("models.json", json::array({entry("pose", "movenet", model_file("selfie_like.onnx"), 256),
                                               entry("segmentation", "selfie", model_file("movenet_like.onnx"), 192)})
                                      .dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(0)});
  const std::string pose = state_of(registry, "models.pose");
  CHECK(pose.find("not MoveNet's") != std::string::npos);
  CHECK(pose.find("[1, 256, 256, 1]") != std::string::npos);
  CHECK(state_of(registry, "models.segmentation").find("is not one [1, 192, 192, 1] probability map") !=
        std::string::npos);
  CHECK_THROWS_AS(registry.get("pose"), Error);
}

TEST_CASE("The shipped pose and segmentation models find the standing man's body and his outline",
          "[detect][pose][segmentation]") {
  const fs::path source = std::getenv("TYTO_SOURCE_DIR");
  // The shipped models file over the models set-up installed.
  vision::ModelRegistry registry({source / "config" / "models.json", TYTO_MODELS_DIR, std::chrono::milliseconds(0)});
  REQUIRE(state_of(registry, "models.pose") == "ok");
  REQUIRE(state_of(registry, "models.segmentation") == "ok");
  const auto man = standing_man();

  const auto poses = registry.get("pose")->detect(man);
  REQUIRE(poses.size() == 1);
  const auto& pose = poses.front();
  REQUIRE(pose.keypoints.size() == 17);
  for (std::size_t k = 0; k < 17; ++k)
    UNSCOPED_INFO(vision::kCocoKeypoints[k] << " " << pose.keypoints[k].x << "," << pose.keypoints[k].y << " "
                                            << pose.keypoints[k].score);
  using K = vision::CocoKeypoint;
  for (K k : {K::kNose, K::kLeftShoulder, K::kRightShoulder, K::kLeftHip, K::kRightHip, K::kLeftKnee, K::kRightKnee,
              K::kLeftAnkle, K::kRightAnkle}) {
    INFO(vision::kCocoKeypoints[static_cast<std::size_t>(k)]);
    CHECK(point(pose, k).score > 0.3f);
    CHECK(inside(kMan, point(pose, k).x, point(pose, k).y));
  }
  const auto mean_y = [&](K a, K b) { return (point(pose, a).y + point(pose, b).y) / 2; };
  CHECK(point(pose, K::kNose).y < mean_y(K::kLeftShoulder, K::kRightShoulder));
  CHECK(mean_y(K::kLeftShoulder, K::kRightShoulder) + 40 < mean_y(K::kLeftHip, K::kRightHip));
  CHECK(mean_y(K::kLeftHip, K::kRightHip) + 40 < mean_y(K::kLeftKnee, K::kRightKnee));
  CHECK(mean_y(K::kLeftKnee, K::kRightKnee) + 40 < mean_y(K::kLeftAnkle, K::kRightAnkle));
  // Facing the camera: his left side is on the picture's right.
  CHECK(point(pose, K::kLeftShoulder).x > point(pose, K::kRightShoulder).x);
  CHECK(point(pose, K::kLeftHip).x > point(pose, K::kRightHip).x);
  CHECK(vision::iou(pose.box, kMan) > 0.5);

  const auto masks = registry.get("segmentation")->detect(man);
  REQUIRE(masks.size() == 1);
  const auto& outline = masks.front();
  REQUIRE(outline.mask);
  const auto& mask = *outline.mask;
  REQUIRE(mask.width == man.width);
  REQUIRE(mask.height == man.height);
  CHECK(vision::iou(outline.box, kMan) > 0.6);
  // His body is inside the mask: the torso's key points and the points between them.
  for (K k : {K::kLeftShoulder, K::kRightShoulder, K::kLeftHip, K::kRightHip, K::kLeftKnee, K::kRightKnee}) {
    INFO(vision::kCocoKeypoints[static_cast<std::size_t>(k)]);
    CHECK(mask_at(mask, point(pose, k).x, point(pose, k).y) >= 128);
  }
  const float chest_x = (point(pose, K::kLeftShoulder).x + point(pose, K::kRightHip).x) / 2;
  const float chest_y = (point(pose, K::kLeftShoulder).y + point(pose, K::kRightHip).y) / 2;
  CHECK(mask_at(mask, chest_x, chest_y) >= 200);
  // Most of his box is him; the wall and the door beside him are not.
  std::size_t on = 0, off_wall = 0, wall = 0;
  for (int y = 0; y < mask.height; ++y)
    for (int x = 0; x < mask.width; ++x) {
      const bool person = mask_at(mask, x, y) >= 128;
      if (inside(kMan, x, y)) on += person;
      if (x >= 220) {
        ++wall;
        off_wall += !person;
      }
    }
  CHECK(on > static_cast<std::size_t>(kMan.width * kMan.height) / 2);
  CHECK(off_wall > wall * 95 / 100);
}
