// Body measurements from a front and a side photo: silhouettes (person masks), pose keypoints and the
// card's scale in each photo.
//
// Widths (front) and depths (side) are read from the silhouettes at heights the keypoints define (the
// chest at the armpits' level, the waist midway between the lowest rib and the top of the hip bone, the
// hip at the greatest buttock protrusion, the neck at its base), scaled to millimetres by each photo's
// card scale. Circumferences come from the width and depth by an ellipse model with documented
// coefficients; height and inseam from the front silhouette, shoulder width and arm length from keypoints. Each
// measurement carries its uncertainty (propagated from the scale's uncertainty, the silhouette edge and the keypoints'
// scores) and a confidence; the whole set carries an overall confidence and needs_review when any part is weak.
// Thread-safe: no shared state. Never throws for content; missing parts give fewer measurements and
// review reasons.
#pragma once

#include "tyto/body/geometry.hpp"
#include "tyto/vision/image.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::body {

// COCO's 17 keypoints, the order MoveNet and most pose models use.
inline constexpr std::array<std::string_view, 17> kKeypointNames = {
    "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};

struct Keypoint {
  double x = 0;  // image pixels
  double y = 0;
  double score = 0;  // 0..1; below MeasureOptions::min_keypoint_score the point is treated as missing
};
using Keypoints = std::array<Keypoint, 17>;

struct View {
  vision::Image mask;  // 1 channel, the photo's size: >= 128 is the person
  Keypoints keypoints{};
  double px_per_mm = 0;  // the card's scale in this photo (0: no card, the view cannot be measured)
  double px_per_mm_uncertainty = 0;
  double mask_margin = 1;  // 0..1, the segmentation's confidence at the silhouette's edge (1: a hard mask)
};

struct MeasureOptions {
  double min_keypoint_score = 0.3;
  double review_below = 0.6;  // a measurement (or the overall confidence) below this needs review
};

struct Measurement {
  std::string name;  // "height", "chest", "waist", "hip", "neck", "inseam", "shoulder_width", …
  double value_cm = 0;
  double uncertainty_cm = 0;  // one standard deviation
  double confidence = 0;      // 0..1
  std::string definition;     // ISO 8559-1 wording
  std::string method;         // "keypoints", "silhouette width", "ellipse(width, depth)"
  // Where it was measured, for drawing: segments in the front and side photos' pixels.
  std::vector<std::pair<Point, Point>> front_lines;
  std::vector<std::pair<Point, Point>> side_lines;
  // For the circumferences: the front width and side depth the ellipse model was given (0 otherwise), and
  // whether the front width line met an arm (or a hand) and was cut at the arm's edge.
  double width_cm = 0;
  double depth_cm = 0;
  bool arm_cut = false;
};

struct Measurements {
  std::vector<Measurement> items;
  double overall_confidence = 0;
  double pose_quality = 0;  // 0..1, from the keypoints' scores, the pose's symmetry, the two photos' heights
  std::string shape;        // body shape from the chest/waist/hip ratios: "hourglass", "pear", "inverted_triangle",
                            // "rectangle", "apple"; empty when those are missing
  bool needs_review = false;
  // Sorted, each once: "no_mask:front", "no_scale:side", "no_torso_keypoints:side" (shoulders or hips not
  // found), "low_scale_confidence", "cut_off:head", "cut_off:feet", "height_mismatch" (the photos' heights
  // differ by more than 3 %), "pose_quality", "missing:<name>" (of height, chest, waist, hip, neck, inseam,
  // shoulder_width), "low_confidence:<name>", "low_confidence" (overall). needs_review is !review_reasons.empty().
  std::vector<std::string> review_reasons;
};

// The ellipse model: the circumference of an ellipse with axes width and depth (Ramanujan's second
// approximation), times a per-site coefficient that corrects for the body's cross-section not being an
// ellipse (documented in docs/modules/body.md with where each comes from).
// ellipse_circumference is the plain perimeter (width and depth are the full axes, any unit);
// measure() multiplies it by circumference_coefficient(site): "chest", "waist", "hip", "neck" (1 for others).
double ellipse_circumference(double width, double depth) noexcept;
double circumference_coefficient(std::string_view site) noexcept;

// The body shape from the chest, waist and hip circumferences (any one unit), by the rules in
// docs/modules/body.md; empty when one of them is not positive.
std::string body_shape(double chest, double waist, double hip);

// front: the person facing the camera, arms hanging; side: in profile. Each view's mask, keypoints and scale
// belong to its own photo. Items come in the order height, chest, waist, hip, neck, inseam, shoulder_width,
// arm_length, less those that could not be measured.
Measurements measure(const View& front, const View& side, const MeasureOptions& options = {});

}  // namespace tyto::body
