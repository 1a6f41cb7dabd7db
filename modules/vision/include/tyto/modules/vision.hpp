// The vision module: pixels in, findings out. Its stages read an image object (an upload or an artifact of
// the job's tenant), work on job threads, and write new images as artifacts, so a pipeline chains them:
//   vision.ocr       {object_id, page_segmentation?, min_confidence?, upscale?, clahe?, denoise?}
//                    → {object_id, width, height, text, word_count, lines: [{text, box, confidence, words}]}
//   vision.contrast  {object_id, regions: [{x, y, width, height, id?}] | lines (vision.ocr's output)}
//                    → {object_id, regions: [{id?, box, text_colour, background_colour, ratio, min_ratio, …}]}
//   vision.faces     {object_id, min_size?, min_neighbors?, scale_factor?} → {object_id, width, height, faces}
//   vision.redact    {object_id, boxes? | faces?, mode?: blur|fill, colour?, purpose?}
//                    → {object_id (the redacted PNG), source_object_id, width, height, redacted}
//   vision.overlay   {object_id, boxes? (with label, colour) | faces? | lines?, purpose?}
//                    → {object_id (the PNG with the boxes drawn), source_object_id, width, height, annotations}
//   vision.detect    {object_id, model, score_threshold?}
//                    → {object_id, model, version, kind, width, height, detections: [{label, class_id, score, box}]}
// Options (modules.vision.*): ocr_engines, tessdata, face_cascade, max_pixels, models_file, models_dir,
// models_poll_ms (docs/modules/vision.md).
// The module owns the model registry (tyto/vision/models.hpp): start() loads config/models.json and runs its
// hot-reload poller, readiness() reports each model ("models.<name>"), stop() ends the poller.
// Other code calls the work directly through tyto/vision/*.hpp (no OpenCV or Tesseract types there).
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/vision/detect.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tyto::cli {
struct ModuleServices;
}

namespace tyto::vision {
class OcrPool;
class FaceDetector;
class ModelRegistry;
}  // namespace tyto::vision

namespace tyto::modules {

struct VisionOptions {
  std::size_t ocr_engines = 2;                     // Tesseract engines kept initialised (each ~40 MB)
  std::string tessdata;                            // empty: $TESSDATA_PREFIX or Debian's tesseract-ocr-eng
  std::string face_cascade;                        // empty: Debian's opencv-data haarcascade_frontalface_default.xml
  std::uint64_t max_pixels = 50'000'000;           // the largest image decoded (width x height, as declared)
  std::uint64_t max_bytes = 64u << 20;             // the largest object read
  std::string models_file = "config/models.json";  // the model registry's file (relative: to the working dir)
  std::string models_dir = "models";               // "{models_dir}" in its paths (relative: to the working dir)
  std::int64_t models_poll_ms = 2000;              // how often start()'s poller looks for changes; 0: never
};

class VisionModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "vision";
  static std::vector<ComponentOption> options();

  explicit VisionModule(const cli::ModuleServices& services);
  explicit VisionModule(VisionOptions options);
  ~VisionModule() override;

  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/vision/pipelines/
  void start() override;  // loads the model registry (a bad models file throws) and starts its poller
  void stop() override;
  std::vector<std::pair<std::string, std::string>> readiness() const override;  // "models.<name>" -> ok or why

  // The stages' work, callable without a job (tests). Bad input throws StageError (not retryable).
  nlohmann::json ocr(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json contrast(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json faces(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json redact(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json overlay(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json detect(pipeline::StageContext& ctx, const nlohmann::json& input);
  // vision.detect's detections: [{label, class_id, score (3 decimals), box: {x, y, width, height}, keypoints?:
  // [{name, x, y, score}] (pose models; COCO's names for 17 points)}] of those scoring at least min_score, in order
  // (for routes and sessions that detect outside a job). Masks are not in it: vision.detect stores them.
  static nlohmann::json detections_json(const std::vector<vision::Detection>& found, float min_score = 0);

  // Shared by the stages, created on first use; thread-safe. Products may use them too.
  vision::OcrPool& ocr_pool();
  vision::FaceDetector& face_detector();
  // The model registry, loaded by start() or on first use (without a poller). Throws as its constructor does.
  vision::ModelRegistry& models();

 private:
  VisionOptions options_;
  std::mutex mutex_;  // guards the creation of ocr_ and faces_
  std::unique_ptr<vision::OcrPool> ocr_;
  std::unique_ptr<vision::FaceDetector> faces_;
  mutable std::mutex models_mutex_;  // guards the creation of models_
  std::unique_ptr<vision::ModelRegistry> models_;
};

}  // namespace tyto::modules
