// The model registry: the detectors named in config/models.json, loaded and self-tested, hot-reloaded.
//
// The file is a JSON array of entries:
//   {"name": "people", "version": "1", "kind": "torchscript|onnx|cascade|hog",
//    "format": "yolov5|yolov8" (torchscript/onnx; default: told from the output's shape),
//              "blazeface|nanodet|movenet|selfie" (onnx),
//    "path": "yolo.pt" (relative to the file's folder, absolute, or "{models_dir}/…"),
//    "device": "cpu|cuda", "classes": ["person", …] or "classes.txt" (one name a line, relative like path),
//    "input_size": [w, h], "profile": "fast|accurate|cpu-only", "score_threshold": 0..1, "nms_iou": 0..1}
// name, kind and (for torchscript and onnx) path are required; YOLO formats and nanodet need classes.
//
// Load: every entry is loaded and self-tested (one detect() on a generated image, which checks the output's
// shape against the manifest) beside the others; an entry that fails (a missing or broken file) is kept
// as failed with its reason, so one bad model never stops the start. A file that is not valid JSON or an
// entry with a bad field throws (see parse_models): those are configuration errors.
//
// Hot reload: check_for_changes() (called by the poller that start() runs, or directly) notices the JSON
// file or a model's files changing (modification time and size; a file still changing 50 ms later is left
// for the next look, so a copy in progress is not loaded half-written: replace files by renaming where you
// can), loads and self-tests the new detector beside the old one, then swaps it in. A caller holding the old detector
// keeps using it until it lets go. When the new one fails, the old one stays in service, readiness names the failure,
// and the listeners hear a kFailed event; an invalid JSON file keeps every current model and is reported the same way.
//
// Thread-safety: every method may be called from any thread; listeners are called on the thread that
// loads (the poller's or the caller of check_for_changes) and must not call back into the registry's
// on_event.
#pragma once

#include "tyto/vision/detectors.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::vision {

// Reads a manifest's text. `base_dir` resolves relative paths (the file's folder); `models_dir` replaces
// "{models_dir}" at the start of a path. Throws tyto::Error(kValidationFailed) naming the entry and the field:
// message "models.json: model \"people\": input_size: …", details {"file", "model", "field", "fields"}.
std::vector<ModelSpec> parse_models(std::string_view json_text, const std::filesystem::path& base_dir,
                                    const std::filesystem::path& models_dir,
                                    std::string_view file_name = "models.json");

struct ModelEvent {
  enum class Kind { kLoaded, kReloaded, kFailed, kRemoved };
  std::string model;  // "" for an event of the whole file (it is not valid)
  std::string version;
  Kind kind = Kind::kLoaded;
  std::string message;
};
std::string_view event_kind_name(ModelEvent::Kind kind) noexcept;  // "loaded", "reloaded", "failed", "removed"

struct ModelInfo {
  ModelSpec spec;       // as the manifest says now
  std::string state;    // "ok", or "failed" (no working detector), or "stale" (a reload failed; the old serves)
  std::string error;    // why the last load failed, else empty
  std::string version;  // the version in service ("" when none)
  std::string device;   // where the detector in service runs: "cpu" or "cuda"
  std::uint64_t inferences = 0;  // detect() calls of the detector in service
  double mean_inference_ms = 0;
};

class ModelRegistry {
 public:
  struct Options {
    std::filesystem::path file = "config/models.json";  // relative: to the working directory
    std::filesystem::path models_dir = "models";        // "{models_dir}" in paths
    std::chrono::milliseconds poll_interval{2000};      // start()'s poller; 0: no poller
  };

  // Reads, validates and loads the file (a missing file is an empty registry). Throws as parse_models does.
  explicit ModelRegistry(Options options);
  ~ModelRegistry();  // stops the poller
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  void start();  // the poller thread (when poll_interval > 0)
  void stop();

  // One look at the files; reloads what changed. Returns whether anything was (re)loaded, removed or failed.
  bool check_for_changes();

  // The detector in service. Throws tyto::Error: kNotFound for a name the file does not list, kUnavailable for
  // a model with no working detector (details.reason: why). Detections it returns are timed into list().
  std::shared_ptr<Detector> get(std::string_view name) const;
  // get() with the version of the detector it returns (for results that name it).
  struct Served {
    std::shared_ptr<Detector> detector;
    std::string version;
  };
  Served acquire(std::string_view name) const;
  std::vector<ModelInfo> list() const;
  // ("models.<name>", "ok" or why not), one per model, for Module::readiness.
  std::vector<std::pair<std::string, std::string>> readiness() const;

  // Events of later loads (the constructor's first load goes to the log only: no listener exists yet).
  void on_event(std::function<void(const ModelEvent&)> listener);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
