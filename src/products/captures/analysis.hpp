// What a capture's stages compute from photos, outside any job so routes (POST /capture/calibrate) and
// tests call it too: the card and colour calibration, keypoints and silhouettes from the vision module's
// model registry ("pose" and "segmentation" in config/models.json), skin tone from the portrait, the
// measurements, and the annotated photo. CPU work: call from stages and the blocking pool only.
#pragma once

#include "tyto/body/card.hpp"
#include "tyto/body/color.hpp"
#include "tyto/body/measure.hpp"
#include "tyto/body/skin.hpp"
#include "tyto/vision/image.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tyto::vision {
class ModelRegistry;
class FaceDetector;
}  // namespace tyto::vision

namespace tyto::products::captures {

inline constexpr const char* kPoseModel = "pose";
// A full-length photo holds the card small: at 1280 px for 1.7 m, an 85.6 mm card is about 64 x 40 px, 0.2 % of
// the frame. Cards down to 0.05 % (about 31 x 20 px there) are taken; smaller ones measure nothing reliably.
inline constexpr body::CardOptions kCardOptions{.min_area_fraction = 0.0005};
inline constexpr const char* kSegmentationModel = "segmentation";

// The calibration object: {card_detected, corners [[x, y] × 4], px_per_mm, px_per_mm_uncertainty,
// tilt_degrees, score, refused?, white_balance {method, gains…}}.
nlohmann::json calibration_json(const body::CardDetection& card, const body::WhiteBalance& balance);
// The card of one photo with its white balance: what POST /capture/calibrate answers.
nlohmann::json calibrate(const vision::Image& rgb);

struct PoseResult {
  body::Keypoints keypoints{};
  double score = 0;
  std::string version;
};
// The "pose" model's keypoints of the best person. Throws StageError("model_unavailable", retryable) when the
// registry has no working model, StageError("no_person", not retryable) when it finds nobody.
PoseResult estimate_pose(vision::ModelRegistry& models, const vision::Image& rgb);

struct MaskResult {
  vision::Image mask;  // 1 channel, the photo's size, 0..255
  double margin = 1;   // 0..1: how decided the mask is at the silhouette's edge
  std::string version;
};
// With keypoints, the model sees only the person's box (from the points it is sure of, widened), so a person
// standing far from the camera fills the model's input as a selfie does; the mask is the photo's size either way.
MaskResult segment_person(vision::ModelRegistry& models, const vision::Image& rgb,
                          const body::Keypoints* keypoints = nullptr);

// The skin patches of a portrait (or a front photo): the cheeks of the largest face, the neck below it, and
// the inner forearm between elbow and wrist when keypoints are given.
std::vector<body::SkinPatch> skin_patches(const vision::Image& rgb, vision::FaceDetector& faces,
                                          const body::Keypoints* keypoints);
nlohmann::json skin_json(const body::SkinTone& tone);

nlohmann::json keypoints_json(const body::Keypoints& k);
// Keypoints from JSON: {"left_hip": {x, y, score?}, …} or [[x, y, score] × 17]; corrections are laid over
// `base` (a corrected point gets score 1). Throws Error(kValidationFailed) naming a bad point.
body::Keypoints keypoints_from_json(const nlohmann::json& j, const body::Keypoints& base, int width, int height);

// {metrics: {name: {value_cm, uncertainty_cm, confidence, definition, method}}, shape, quality: {…}}.
nlohmann::json measurements_json(const body::Measurements& m);

// The front photo with the silhouette's outline, the keypoints, the card and the measurement lines drawn on it.
vision::Image annotate(const vision::Image& rgb, const vision::Image& mask, const body::Keypoints& keypoints,
                       const body::CardDetection& card, const body::Measurements& measurements, bool front);

// A mask as a 1-channel PNG and back.
std::string mask_png(const vision::Image& mask);
vision::Image mask_from_png(const std::string& png);

}  // namespace tyto::products::captures
