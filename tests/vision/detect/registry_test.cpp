// The model registry: validation of config/models.json, self-tests at load, readiness, and hot reload with a
// detector held by a caller while its file is replaced or broken.
#include "tyto/core/error.hpp"
#include "tyto/vision/models.hpp"
#include "vision/detect/detect_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace tyto;
using namespace tyto::test::detect;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The error parse_models throws for a manifest.
Error parse_error(const json& manifest) {
  try {
    vision::parse_models(manifest.dump(), "/base", "/models");
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error for " << manifest.dump());
  throw std::logic_error("unreachable");
}

json tiny_entry(const std::string& name, const std::string& file, const std::string& version = "1") {
  return {{"name", name}, {"version", version},       {"kind", "torchscript"},   {"format", "yolov5"},
          {"path", file}, {"classes", "classes.txt"}, {"input_size", {320, 320}}};
}

// Events, collected and awaited.
struct Events {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<vision::ModelEvent> seen;

  void operator()(const vision::ModelEvent& e) {
    std::lock_guard lock(mutex);
    seen.push_back(e);
    cv.notify_all();
  }
  bool wait_for(vision::ModelEvent::Kind kind, std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, limit, [&] {
      return std::any_of(seen.begin(), seen.end(), [&](const auto& e) { return e.kind == kind; });
    });
  }
};

std::string state_of(const vision::ModelRegistry& registry, const std::string& check) {
  for (const auto& [name, state] : registry.readiness())
    if (name == check) return state;
  return "(absent)";
}

void copy_over(const fs::path& from, const fs::path& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  // A new modification time even on file systems of coarse time stamps.
  fs::last_write_time(to, fs::last_write_time(to) + std::chrono::seconds(1));
}

}  // namespace

TEST_CASE("The models file is validated with errors naming the entry and the field", "[detect][registry]") {
  CHECK(parse_error("not json").details()["field"] == "json");
  CHECK(parse_error(json::object()).details()["field"] == "json");
  const json ok = {{"name", "people"}, {"kind", "hog"}};
  const struct {
    json entry;
    const char* field;
  } cases[] = {
      {{{"kind", "hog"}}, "name"},
      {{{"name", "a b"}, {"kind", "hog"}}, "name"},
      {{{"name", "x"}, {"kind", "tflite"}}, "kind"},
      {{{"name", "x"}, {"kind", "onnx"}, {"classes", {"a"}}}, "path"},
      {{{"name", "x"}, {"kind", "onnx"}, {"path", "m.onnx"}}, "classes"},
      {{{"name", "x"}, {"kind", "onnx"}, {"path", "m.onnx"}, {"format", "yolov9"}, {"classes", {"a"}}}, "format"},
      {{{"name", "x"}, {"kind", "torchscript"}, {"path", "m.pt"}, {"format", "blazeface"}}, "format"},
      {{{"name", "x"}, {"kind", "hog"}, {"path", "m"}}, "path"},
      {{{"name", "x"}, {"kind", "hog"}, {"device", "tpu"}}, "device"},
      {{{"name", "x"}, {"kind", "hog"}, {"input_size", {640}}}, "input_size"},
      {{{"name", "x"}, {"kind", "hog"}, {"input_size", {8, 8}}}, "input_size"},
      {{{"name", "x"}, {"kind", "hog"}, {"profile", "turbo"}}, "profile"},
      {{{"name", "x"}, {"kind", "hog"}, {"score_threshold", 1.5}}, "score_threshold"},
      {{{"name", "x"}, {"kind", "hog"}, {"nms_iou", "high"}}, "nms_iou"},
      {{{"name", "x"}, {"kind", "hog"}, {"classes", "/no/such/classes.txt"}}, "classes"},
  };
  for (const auto& c : cases) {
    INFO(c.entry.dump());
    const Error e = parse_error(json::array({ok, c.entry}));
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(e.details()["field"] == c.field);
    CHECK(e.details()["model"] == (c.entry.contains("name") ? c.entry["name"].get<std::string>() : "#1"));
    CHECK(std::string(e.what()).find(std::string(c.field) + ":") != std::string::npos);
  }
  CHECK(parse_error(json::array({ok, ok})).details()["field"] == "name");  // a duplicate

  const auto specs = vision::parse_models(
      json::array({ok,
                   {{"name", "f"},
                    {"kind", "onnx"},
                    {"format", "blazeface"},
                    {"path", "{models_dir}/blazeface/f.onnx"},
                    {"classes", {"face"}}},
                   {{"name", "y"}, {"kind", "torchscript"}, {"path", "sub/y.pt"}, {"classes", {"a", "b"}}}})
          .dump(),
      "/base", "/models");
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].kind == vision::ModelKind::kHog);
  CHECK(specs[0].score_threshold == 0.5f);
  CHECK(specs[1].path == "/models/blazeface/f.onnx");
  CHECK(specs[1].input_width == 256);
  CHECK(specs[1].nms_iou == Approx(0.3));
  CHECK(specs[2].path == "/base/sub/y.pt");
  CHECK(specs[2].format == vision::OutputFormat::kAuto);
  CHECK(specs[2].input_width == 640);
}

TEST_CASE("The registry self-tests each model and reports a missing file without failing the others",
          "[detect][registry]") {
  Folder folder;
  fs::copy_file(model_file("classes.txt"), folder.path() / "classes.txt");
  fs::copy_file(model_file("yolov5.pt"), folder.path() / "tiny.pt");
  const auto file = folder.write("models.json", json::array({tiny_entry("tiny", "tiny.pt"),
                                                             tiny_entry("gone", "absent.pt"),
                                                             {{"name", "people"}, {"kind", "hog"}},
                                                             {{"name", "faces"}, {"kind", "cascade"}}})
                                                    .dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(0)});
  CHECK(state_of(registry, "models.tiny") == "ok");
  CHECK(state_of(registry, "models.people") == "ok");
  CHECK(state_of(registry, "models.faces") == "ok");
  const std::string gone = state_of(registry, "models.gone");
  CHECK(gone.starts_with("failed: "));
  CHECK(gone.find("absent.pt does not exist") != std::string::npos);
  try {
    registry.get("gone");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
  try {
    registry.get("nobody");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
  }
  const auto found = registry.get("tiny")->detect(white_square(640, 480, 400, 200, 80));
  CHECK(found.size() == 3);
  for (const auto& info : registry.list()) {
    INFO(info.spec.name);
    CHECK(info.state == (info.spec.name == "gone" ? "failed" : "ok"));
    if (info.spec.name == "tiny") {
      CHECK(info.inferences == 1);
      CHECK(info.mean_inference_ms > 0);
      CHECK(info.device == "cpu");
      CHECK(info.version == "1");
    }
  }
  // A model whose outputs do not fit its manifest fails its self-test.
  json two_classes = tiny_entry("tiny", "tiny.pt");
  two_classes["classes"] = {"a", "b"};
  folder.write("models.json", json::array({two_classes}).dump());
  Events events;
  registry.on_event(std::ref(events));
  CHECK(registry.check_for_changes());
  CHECK(state_of(registry, "models.tiny").find("2 classes") != std::string::npos);
  CHECK(state_of(registry, "models.people") == "(absent)");  // removed from the file
}

TEST_CASE("A replaced model file is hot-reloaded while a caller keeps the old detector", "[detect][registry]") {
  Folder folder;
  fs::copy_file(model_file("classes.txt"), folder.path() / "classes.txt");
  fs::copy_file(model_file("yolov5.pt"), folder.path() / "model.pt");
  const auto file = folder.write("models.json", json::array({tiny_entry("tiny", "model.pt")}).dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(0)});
  Events events;
  registry.on_event(std::ref(events));
  const auto image = white_square(640, 480, 400, 200, 80);
  const auto held = registry.get("tiny");
  const auto cat_x = [&](vision::Detector& d) {
    for (const auto& x : d.detect(image))
      if (x.label == "cat") return x.box.x;
    return -1;
  };
  REQUIRE(cat_x(*held) == 120);

  // The new version moves the fixed boxes 100 px right in the input (200 px in this image).
  copy_over(model_file("yolov5_moved.pt"), folder.path() / "model.pt");
  CHECK(registry.check_for_changes());
  REQUIRE(events.seen.size() == 1);
  CHECK(events.seen[0].kind == vision::ModelEvent::Kind::kReloaded);
  CHECK(events.seen[0].model == "tiny");
  CHECK(cat_x(*held) == 120);  // the old detector still works for its holder
  CHECK(cat_x(*registry.get("tiny")) == 320);
  CHECK(state_of(registry, "models.tiny") == "ok");
  CHECK_FALSE(registry.check_for_changes());  // nothing changed since

  // A broken file: the new version stays in service, readiness and an event say why.
  folder.write("model.pt", "garbage, not a TorchScript archive");
  CHECK(registry.check_for_changes());
  REQUIRE(events.seen.size() == 2);
  CHECK(events.seen[1].kind == vision::ModelEvent::Kind::kFailed);
  CHECK(events.seen[1].message.find("LibTorch cannot load") != std::string::npos);
  CHECK(cat_x(*registry.get("tiny")) == 320);
  const std::string state = state_of(registry, "models.tiny");
  CHECK(state.starts_with("reload failed (version 1 still serves)"));
  CHECK(registry.list().front().state == "stale");

  // A bad models file keeps every model and is reported; a good one (a new version) is applied.
  folder.write("models.json", "[{\"name\": \"tiny\", \"kind\": \"tflite\"}]");
  CHECK(registry.check_for_changes());
  CHECK(events.seen.back().kind == vision::ModelEvent::Kind::kFailed);
  CHECK(state_of(registry, "models").find("kind") != std::string::npos);
  CHECK(cat_x(*registry.get("tiny")) == 320);
  copy_over(model_file("yolov5.pt"), folder.path() / "model.pt");
  folder.write("models.json", json::array({tiny_entry("tiny", "model.pt", "2")}).dump());
  CHECK(registry.check_for_changes());
  CHECK(events.seen.back().kind == vision::ModelEvent::Kind::kReloaded);
  CHECK(events.seen.back().version == "2");
  CHECK(state_of(registry, "models") == "(absent)");
  CHECK(state_of(registry, "models.tiny") == "ok");
  CHECK(cat_x(*registry.get("tiny")) == 120);
}

TEST_CASE("The registry's poller reloads a model replaced under detections running in other threads",
          "[detect][registry]") {
  Folder folder;
  fs::copy_file(model_file("classes.txt"), folder.path() / "classes.txt");
  fs::copy_file(model_file("yolov5.pt"), folder.path() / "model.pt");
  const auto file = folder.write("models.json", json::array({tiny_entry("tiny", "model.pt")}).dump());
  vision::ModelRegistry registry({file, folder.path(), std::chrono::milliseconds(20)});
  Events events;
  registry.on_event(std::ref(events));
  registry.start();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, calls{0};
  std::vector<std::thread> callers;
  const auto image = white_square(640, 480, 400, 200, 80);
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&] {
      while (!done) {
        try {
          if (registry.get("tiny")->detect(image).size() != 3) ++failures;
        } catch (...) {
          ++failures;
        }
        ++calls;
      }
    });
  copy_over(model_file("yolov5_moved.pt"), folder.path() / "model.pt");
  CHECK(events.wait_for(vision::ModelEvent::Kind::kReloaded));
  done = true;
  for (auto& t : callers) t.join();
  registry.stop();
  CHECK(failures == 0);
  CHECK(calls > 0);
  bool moved = false;
  for (const auto& d : registry.get("tiny")->detect(image)) moved = moved || (d.label == "cat" && d.box.x == 320);
  CHECK(moved);
}
