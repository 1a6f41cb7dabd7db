// The stages through a stand-in job context, one by one and chained as the module's pipelines chain them.
#include "tyto/modules/vision.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/vision/contrast.hpp"
#include "tyto/vision/faces.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace tyto;
using namespace tyto::test::vis;
using nlohmann::json;

namespace {

// Runs a pipeline of the module in order, each stage on the input the runner would give it.
json run_pipeline(modules::VisionModule& module, const pipeline::Pipeline& p, pipeline::StageContext& ctx,
                  const json& input) {
  std::map<std::string, json> outputs;
  for (const auto& stage : p.stages) outputs[stage.id] = stage.def->run(ctx, p.stage_input(stage, input, outputs));
  return p.result(outputs);
}

std::string text_picture() {
  cv::Mat bgr(160, 640, CV_8UC3, cv::Scalar(255, 255, 255));
  put_text(bgr, "Checkout total 99", {20, 60}, 1.2, cv::Scalar(0x77, 0x77, 0x77));
  put_text(bgr, "Delivery tomorrow", {20, 130}, 1.2, cv::Scalar(0, 0, 0));
  return encode_bgr(bgr, "png");
}

}  // namespace

TEST_CASE("The vision stages register with schemas and their pipelines validate", "[vision][stages]") {
  modules::VisionModule module(modules::VisionOptions{.ocr_engines = 1});
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  for (const char* name : {"vision.ocr", "vision.contrast", "vision.faces", "vision.redact", "vision.overlay"}) {
    INFO(name);
    const auto* def = registry.find(name);
    REQUIRE(def);
    CHECK(def->input_schema["required"] == json::array({"object_id"}));
    CHECK(def->output_schema["properties"].contains("object_id"));
  }
  std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
  REQUIRE_NOTHROW(pipeline::load_owned_pipelines(module.pipelines(), "vision", registry, pipelines));
  CHECK(pipelines.size() == 4);
}

TEST_CASE("vision.ocr then vision.contrast measure each line of text found in an image object", "[vision][stages]") {
  modules::VisionModule module(modules::VisionOptions{.ocr_engines = 1});
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
  pipeline::load_owned_pipelines(module.pipelines(), "vision", registry, pipelines);
  FakeContext ctx;
  ctx.store.objects["shot"] = text_picture();

  const json ocr = module.ocr(ctx, {{"object_id", "shot"}});
  CHECK(ocr["width"] == 640);
  CHECK(ocr["word_count"] == 5);
  CHECK(ocr["text"] == "Checkout total 99\nDelivery tomorrow");
  CHECK(ocr["lines"][0]["words"][0]["box"]["x"].get<int>() == Approx(20).margin(4));

  const json result = run_pipeline(module, pipelines.at("vision.text_contrast"), ctx, {{"object_id", "shot"}});
  REQUIRE(result["regions"].size() == 2);
  const json grey = result["regions"][0], black = result["regions"][1];
  CHECK(grey["text"] == "Checkout total 99");
  CHECK(grey["text_colour"] == "#777777");
  CHECK(grey["background_colour"] == "#ffffff");
  CHECK(grey["ratio"].get<double>() == Approx(4.48).margin(0.05));
  CHECK(black["ratio"].get<double>() == Approx(21).margin(0.3));

  // Regions given by the caller, with ids; a box outside the image is an error of that region only.
  const json given = module.contrast(ctx, {{"object_id", "shot"},
                                           {"regions",
                                            {{{"id", "a"}, {"x", 10}, {"y", 20}, {"width", 300}, {"height", 55}},
                                             {{"id", "off"}, {"x", 5000}, {"y", 0}, {"width", 10}, {"height", 10}}}}});
  CHECK(given["regions"][0]["id"] == "a");
  CHECK(given["regions"][0]["text_colour"] == "#777777");
  CHECK(given["regions"][1]["error"]["code"] == "validation_failed");
  CHECK_THROWS_AS(module.contrast(ctx, {{"object_id", "shot"}}), pipeline::StageError);
}

TEST_CASE("vision.faces then vision.redact store a copy with the faces blurred", "[vision][stages]") {
  modules::VisionModule module(modules::VisionOptions{});
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
  pipeline::load_owned_pipelines(module.pipelines(), "vision", registry, pipelines);
  FakeContext ctx;
  ctx.store.objects["photo"] = read_bytes(sample("messi5.jpg"));

  const json result = run_pipeline(module, pipelines.at("vision.redact_faces"), ctx,
                                   {{"object_id", "photo"}, {"mode", "fill"}, {"colour", "#00ff00"}});
  REQUIRE(result["redacted"].get<int>() >= 1);
  CHECK(result["source_object_id"] == "photo");
  const std::string id = result["object_id"];
  CHECK(ctx.store.written.at(id).content_type == "image/png");
  CHECK(ctx.store.written.at(id).purpose == "image");
  const auto redacted = vision::decode(ctx.store.objects.at(id));
  CHECK(redacted.width == 548);
  // No face is left to find, and the filled box has the asked colour.
  vision::FaceDetector detector;
  CHECK(detector.detect(redacted).empty());
  const json faces = module.faces(ctx, {{"object_id", "photo"}});
  const json box = faces["faces"][0];
  const int cx = box["x"].get<int>() + box["width"].get<int>() / 2,
            cy = box["y"].get<int>() + box["height"].get<int>() / 2;
  const auto* p = &redacted.pixels[(static_cast<std::size_t>(cy) * redacted.width + cx) * 3];
  CHECK((p[0] == 0 && p[1] == 255 && p[2] == 0));
}

TEST_CASE("vision.overlay draws OCR lines and given boxes onto a stored PNG", "[vision][stages]") {
  modules::VisionModule module(modules::VisionOptions{.ocr_engines = 1});
  FakeContext ctx;
  ctx.store.objects["shot"] = text_picture();
  const json ocr = module.ocr(ctx, {{"object_id", "shot"}});
  json input = ocr;
  input["boxes"] = {{{"x", 400}, {"y", 20}, {"width", 100}, {"height", 50}, {"label", "note"}, {"colour", "#0000ff"}}};
  input["purpose"] = "capture";
  const json out = module.overlay(ctx, input);
  CHECK(out["annotations"] == 3);
  CHECK(ctx.store.written.at(out["object_id"]).purpose == "capture");
  const auto drawn = vision::decode(ctx.store.objects.at(out["object_id"]));
  const auto* edge = &drawn.pixels[(static_cast<std::size_t>(45) * drawn.width + 400) * 3];
  CHECK((edge[0] == 0 && edge[1] == 0 && edge[2] == 255));
}

TEST_CASE("The vision stages refuse bytes that are not an image with a permanent typed error", "[vision][stages]") {
  modules::VisionModule module(modules::VisionOptions{.ocr_engines = 1, .max_pixels = 1000});
  FakeContext ctx;
  ctx.store.objects["text"] = "just some text, not a picture";
  ctx.store.objects["big"] = text_picture();  // 640 x 160 > 1000 pixels
  const std::vector<std::function<json(const json&)>> stages = {
      [&](const json& in) { return module.ocr(ctx, in); }, [&](const json& in) { return module.faces(ctx, in); },
      [&](const json& in) { return module.redact(ctx, in); }, [&](const json& in) { return module.overlay(ctx, in); },
      [&](const json& in) {
        json with_region = in;
        with_region["regions"] = {{{"x", 0}, {"y", 0}, {"width", 8}, {"height", 8}}};
        return module.contrast(ctx, with_region);
      }};
  for (const auto& stage : stages) {
    try {
      stage({{"object_id", "text"}});
      FAIL("a stage accepted text as an image");
    } catch (const pipeline::StageError& e) {
      CHECK(e.code() == "unsupported_media_type");
      CHECK_FALSE(e.retryable());
    }
    try {
      stage({{"object_id", "big"}});
      FAIL("a stage decoded an image over the cap");
    } catch (const pipeline::StageError& e) {
      CHECK(e.code() == "payload_too_large");
    }
  }
}
