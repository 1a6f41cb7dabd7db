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
// Options (modules.vision.*): ocr_engines, tessdata, face_cascade, max_pixels (docs/modules/vision.md).
// Other code calls the work directly through tyto/vision/*.hpp (no OpenCV or Tesseract types there).
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

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
}  // namespace tyto::vision

namespace tyto::modules {

struct VisionOptions {
  std::size_t ocr_engines = 2;            // Tesseract engines kept initialised (each ~40 MB)
  std::string tessdata;                   // empty: $TESSDATA_PREFIX or Debian's tesseract-ocr-eng
  std::string face_cascade;               // empty: Debian's opencv-data haarcascade_frontalface_default.xml
  std::uint64_t max_pixels = 50'000'000;  // the largest image decoded (width x height, as declared)
  std::uint64_t max_bytes = 64u << 20;    // the largest object read
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

  // The stages' work, callable without a job (tests). Bad input throws StageError (not retryable).
  nlohmann::json ocr(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json contrast(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json faces(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json redact(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json overlay(pipeline::StageContext& ctx, const nlohmann::json& input);

  // Shared by the stages, created on first use; thread-safe. Products may use them too.
  vision::OcrPool& ocr_pool();
  vision::FaceDetector& face_detector();

 private:
  VisionOptions options_;
  std::mutex mutex_;  // guards the creation of ocr_ and faces_
  std::unique_ptr<vision::OcrPool> ocr_;
  std::unique_ptr<vision::FaceDetector> faces_;
};

}  // namespace tyto::modules
