// vision.detect through a stand-in job context, with the module's registry read from a models file of the test,
// and the module's readiness.
#include "tyto/core/error.hpp"
#include "tyto/core/json_schema.hpp"
#include "tyto/modules/vision.hpp"
#include "tyto/vision/models.hpp"
#include "vision/detect/detect_support.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using namespace tyto::test::detect;
namespace vis = tyto::test::vis;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("vision.detect finds objects with a registry model and the module reports its models' readiness",
          "[detect][stages]") {
  Folder folder;
  fs::copy_file(model_file("yolov8.pt"), folder.path() / "v8.pt");
  const auto file =
      folder.write("models.json",
                   json::array({{{"name", "tiny"},
                                 {"version", "8.1"},
                                 {"kind", "torchscript"},
                                 {"path", "v8.pt"},
                                 {"classes", {"square", "cat", "dog"}},
                                 {"input_size", {320, 320}}},
                                {{"name", "broken"}, {"kind", "onnx"}, {"format", "blazeface"}, {"path", "none.onnx"}}})
                       .dump());
  modules::VisionModule module(modules::VisionOptions{.models_file = file.string(), .models_poll_ms = 0});
  module.start();
  pipeline::StageRegistry stages;
  module.register_stages(stages);
  const auto* def = stages.find("vision.detect");
  REQUIRE(def);

  vis::FakeContext ctx;
  ctx.store.objects["shot"] = vision::encode_png(white_square(640, 480, 400, 200, 80));
  const json input = {{"object_id", "shot"}, {"model", "tiny"}};
  CHECK(validate_json(def->input_schema, input).empty());
  json out = def->run(ctx, input);
  CHECK(validate_json(def->output_schema, out).empty());
  CHECK(out["model"] == "tiny");
  CHECK(out["version"] == "8.1");
  CHECK(out["kind"] == "torchscript");
  CHECK(out["width"] == 640);
  REQUIRE(out["detections"].size() == 3);
  CHECK(out["detections"][0]["box"].contains("width"));
  bool cat = false;
  for (const auto& d : out["detections"])
    if (d["label"] == "cat") cat = d["box"] == json{{"x", 120}, {"y", 40}, {"width", 160}, {"height", 160}};
  CHECK(cat);

  // The stage's threshold raises the model's.
  out = def->run(ctx, {{"object_id", "shot"}, {"model", "tiny"}, {"score_threshold", 0.8}});
  CHECK(out["detections"].size() == 2);

  // An unknown model is a permanent failure; a model that failed its self-test a retryable one.
  try {
    def->run(ctx, {{"object_id", "shot"}, {"model", "nobody"}});
    FAIL("no error");
  } catch (const pipeline::StageError& e) {
    CHECK(e.code() == "not_found");
    CHECK_FALSE(e.retryable());
  }
  try {
    def->run(ctx, {{"object_id", "shot"}, {"model", "broken"}});
    FAIL("no error");
  } catch (const pipeline::StageError& e) {
    CHECK(e.code() == "unavailable");
    CHECK(std::string(e.what()).find("none.onnx does not exist") != std::string::npos);
  }

  const auto ready = module.readiness();
  REQUIRE(ready.size() == 2);
  CHECK(ready[0].first == "models.broken");
  CHECK(ready[0].second.starts_with("failed: "));
  CHECK(ready[1] == std::pair<std::string, std::string>{"models.tiny", "ok"});
  module.stop();
}

TEST_CASE("A models file with a bad entry stops the module's start with the entry and field named",
          "[detect][stages]") {
  Folder folder;
  const auto file = folder.write("models.json", R"([{"name": "people", "kind": "hog", "nms_iou": 2}])");
  modules::VisionModule module(modules::VisionOptions{.models_file = file.string()});
  try {
    module.start();
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(std::string(e.what()) == "models.json: model \"people\": nms_iou: must be a number in 0..1");
  }
  CHECK(module.readiness().empty());
}

TEST_CASE("The shipped config/models.json is valid and its HOG and cascade models load", "[detect][registry]") {
  const char* source = std::getenv("TYTO_SOURCE_DIR");
  REQUIRE(source);
  Folder empty_models;
  vision::ModelRegistry registry(
      {fs::path(source) / "config" / "models.json", empty_models.path(), std::chrono::milliseconds(0)});
  std::map<std::string, std::string> states;
  for (const auto& [name, state] : registry.readiness()) states[name] = state;
  CHECK(states["models.faces"] == "ok");
  CHECK(states["models.people"] == "ok");
  // BlazeFace's file lives under models_dir, empty here: it fails its self-test, naming the file.
  CHECK(states["models.blazeface"].find("face_detection_back_256x256_barracuda.onnx does not exist") !=
        std::string::npos);
  // NanoDet's class names ship in config/models/ (beside the file); its weights are set-up's, absent here.
  CHECK(states["models.objects"].find("nanodet-m-416.onnx does not exist") != std::string::npos);
  // So are the pose and segmentation models': they fail alone.
  CHECK(states["models.pose"].find("movenet-lightning.onnx does not exist") != std::string::npos);
  CHECK(states["models.segmentation"].find("selfie.onnx does not exist") != std::string::npos);
}

TEST_CASE("vision.detect gives a pose model's named key points and stores a segmentation model's mask",
          "[detect][stages][pose][segmentation]") {
  Folder folder;
  const auto entry = [](const std::string& name, const std::string& format, const std::string& file, int size) {
    return json{{"name", name},
                {"kind", "onnx"},
                {"format", format},
                {"path", model_file(file).string()},
                {"input_size", {size, size}}};
  };
  const auto file = folder.write("models.json", json::array({entry("pose", "movenet", "movenet_like.onnx", 192),
                                                             entry("segmentation", "selfie", "selfie_like.onnx", 256)})
                                                    .dump());
  modules::VisionModule module(modules::VisionOptions{.models_file = file.string(), .models_poll_ms = 0});
  module.start();
  pipeline::StageRegistry stages;
  module.register_stages(stages);
  const auto* def = stages.find("vision.detect");
  REQUIRE(def);
  vis::FakeContext ctx;
  ctx.store.objects["shot"] = vision::encode_png(white_square(384, 192, 100, 50, 40));

  json out = def->run(ctx, {{"object_id", "shot"}, {"model", "pose"}});
  CHECK(validate_json(def->output_schema, out).empty());
  REQUIRE(out["detections"].size() == 1);
  const auto& points = out["detections"][0]["keypoints"];
  REQUIRE(points.size() == 17);
  CHECK(points[0]["name"] == "nose");
  CHECK(points[16]["name"] == "right_ankle");
  CHECK(points[5]["x"].get<double>() == Approx(384 * 0.35).margin(0.06));  // make_models.py: x = 0.2 + 0.03 k
  CHECK_FALSE(out["detections"][0].contains("mask"));

  out = def->run(ctx, {{"object_id", "shot"}, {"model", "segmentation"}});
  CHECK(validate_json(def->output_schema, out).empty());
  REQUIRE(out["detections"].size() == 1);
  const auto& mask = out["detections"][0]["mask"];
  CHECK(mask["width"] == 384);
  CHECK(mask["height"] == 192);
  CHECK_FALSE(out["detections"][0].contains("keypoints"));
  const auto stored = vision::decode(ctx.store.get(mask["object_id"].get<std::string>(), 1 << 20));
  CHECK(stored.width == 384);
  CHECK(stored.height == 192);
  // The white square is the tiny model's person: its middle is white in the mask, a corner black.
  const auto at = [&](int x, int y) {
    return stored.pixels[(static_cast<std::size_t>(y) * stored.width + x) * stored.channels];
  };
  CHECK(at(120, 70) > 250);
  CHECK(at(5, 5) < 5);
  module.stop();
}
