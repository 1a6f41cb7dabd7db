// The capture pipelines' stages (pipelines/): each step its own stage, so a retried job resumes after the
// last one that finished; each idempotent (a re-run rewrites the same artifact rows and never adds a second
// measuring run).
//   captures.process:   precheck → calibrate → pose → segment → skin → measure → finish
//   captures.remeasure: remeasure (keypoint corrections → a new measuring run from the stored silhouettes)
//   captures.training_export: the approved measurements of consenting users as a versioned archive
// A stage's input is the previous stage's output: the capture id and what the steps so far found.
#pragma once

#include "store.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

#include <chrono>

namespace tyto::vision {
class ModelRegistry;
class FaceDetector;
}  // namespace tyto::vision

namespace tyto::products::captures {

inline constexpr int kTrainingArchiveVersion = 1;

class CaptureStages {
 public:
  CaptureStages(Services& services, CaptureStore& store, vision::ModelRegistry& models, vision::FaceDetector& faces);
  void register_stages(pipeline::StageRegistry& stages);

  // Marks a capture failed (its stage failed for good). Stages call it before rethrowing.
  void fail(const std::string& tenant_id, const std::string& capture_id, const std::string& code,
            const std::string& message);

 private:
  nlohmann::json precheck(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json calibrate(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json pose(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json segment(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json skin(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json measure(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json finish(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json remeasure(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json training_export(pipeline::StageContext& ctx, const nlohmann::json& in);

  Capture capture_of(pipeline::StageContext& ctx, const nlohmann::json& in);

  Services& s_;
  CaptureStore& store_;
  vision::ModelRegistry& models_;
  vision::FaceDetector& faces_;
};

}  // namespace tyto::products::captures
