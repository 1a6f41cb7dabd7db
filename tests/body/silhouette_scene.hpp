// Synthetic people for the measurement tests: a body of known size in millimetres (a torso of one of three
// shapes, a neck, a round head, legs with a gap, arms apart or touching the torso), rendered into a front
// and a side mask at a chosen scale with the COCO keypoints where the body's proportions put them.
#pragma once

#include "tyto/body/measure.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace tyto::body::test {

enum class Torso { ellipse, capsule, hourglass };
enum class Arms { apart, touching };

// A body in millimetres; z is the height above the floor, x the offset from the body's centre line.
struct Body {
  double height = 1700;
  Torso torso = Torso::ellipse;
  Arms arms = Arms::apart;
  double chest_width = 320, waist_width = 280, hip_width = 350;  // the widest the torso gets, for the ellipse
  double chest_depth = 240, waist_depth = 210, hip_depth = 250;
  double neck_width = 115, neck_depth = 120;

  // Landmarks from the stature proportions the measurement assumes (docs/modules/body.md).
  double shoulder_z() const { return 0.818 * height; }
  double hip_z() const { return 0.530 * height; }
  double torso_length() const { return shoulder_z() - hip_z(); }
  double level_z(double t) const { return shoulder_z() - t * torso_length(); }
  double crotch_z() const { return 0.47 * height; }
  double torso_top_z() const { return shoulder_z() + 0.03 * height; }
  double head_radius() const { return 0.065 * height; }
  double head_z() const { return height - head_radius(); }
  double elbow_z() const { return 0.630 * height; }
  double wrist_z() const { return 0.485 * height; }
  double knee_z() const { return 0.285 * height; }
  double ankle_z() const { return 0.039 * height; }
  double leg_gap() const { return 0.035 * height; }

  // The torso's front width and side depth at height z (0 outside the torso).
  double width(double z) const { return profile(z, chest_width, waist_width, hip_width); }
  double depth(double z) const { return profile(z, chest_depth, waist_depth, hip_depth); }

  double profile(double z, double chest, double waist, double hip) const {
    if (z < crotch_z() || z > torso_top_z()) return 0;
    switch (torso) {
      case Torso::ellipse: {  // one ellipse from the shoulders' top to below the crotch, widest in the middle
        const double bottom = crotch_z() - 0.12 * height;
        const double centre = (torso_top_z() + bottom) / 2;
        const double half = (torso_top_z() - bottom) / 2;
        const double u = (z - centre) / half;
        return chest * std::sqrt(std::max(0.0, 1 - u * u));
      }
      case Torso::capsule: {  // a constant width with a rounded top
        const double r = chest / 2;
        const double top_centre = torso_top_z() - r;
        if (z <= top_centre) return chest;
        const double dz = z - top_centre;
        return 2 * std::sqrt(std::max(0.0, r * r - dz * dz));
      }
      case Torso::hourglass: {  // straight lines between the shoulders, chest, waist, hip and crotch
        const double zs[] = {torso_top_z(), shoulder_z(), level_z(0.34), level_z(0.70), level_z(1.08), crotch_z()};
        const double ws[] = {0.75 * chest, 0.95 * chest, chest, waist, hip, 0.97 * hip};
        for (int i = 0; i + 1 < 6; ++i) {
          if (z <= zs[i] && z >= zs[i + 1]) return ws[i] + (ws[i + 1] - ws[i]) * (zs[i] - z) / (zs[i] - zs[i + 1]);
        }
        return 0;
      }
    }
    return 0;
  }

  double leg_width() const { return (width(crotch_z() + 1e-6) - leg_gap()) / 2 * 0.97; }
  double shoulder_half() const { return 0.45 * chest_width; }
  double upper_arm_radius() const { return 0.12 * 2 * shoulder_half(); }
  double forearm_radius() const { return 0.85 * upper_arm_radius(); }
  double hand_radius() const { return 0.9 * upper_arm_radius(); }

  // The arm on the +x side: shoulder, elbow, wrist and hand tip, as (x, z).
  std::vector<Point> arm() const {
    const Point shoulder{shoulder_half(), shoulder_z()};
    Point elbow;
    Point wrist;
    if (arms == Arms::apart) {  // abducted 25°, the forearm a little further out
      elbow = {shoulder.x + std::tan(25 * std::numbers::pi / 180) * (shoulder_z() - elbow_z()), elbow_z()};
      wrist = {elbow.x + 0.3 * (elbow_z() - wrist_z()), wrist_z()};
    } else {  // the upper arm's inner edge touches the chest (2 mm overlap), the hand rests on the hip
      const double chest_z = level_z(0.34);
      const double touch_x = width(chest_z) / 2 + upper_arm_radius() - 2;
      const double slope = (touch_x - shoulder.x) / (shoulder_z() - chest_z);
      elbow = {shoulder.x + slope * (shoulder_z() - elbow_z()), elbow_z()};
      double widest_below = 0;
      for (double z = wrist_z() - 0.1 * height; z <= elbow_z(); z += 1) widest_below = std::max(widest_below, width(z));
      wrist = {std::max(elbow.x, widest_below / 2 + forearm_radius() - 2), wrist_z()};
    }
    const Point tip{wrist.x + 0.74 * (wrist.x - elbow.x), wrist.y + 0.74 * (wrist.y - elbow.y)};
    return {shoulder, elbow, wrist, tip};
  }
};

// One rendered photo: the view measure() reads, and the mapping from the body's millimetres to its pixels.
struct Render {
  double scale = 3;    // px per mm
  double floor_y = 0;  // the floor's row (pixel edge)
  double centre_x = 0;
  View view;
  double px(double x_mm) const { return centre_x + x_mm * scale; }
  double py(double z_mm) const { return floor_y - z_mm * scale; }
  double z(double y) const { return (floor_y - y) / scale; }
};

Render draw_front(const Body& b, double scale);
Render draw_side(const Body& b, double scale);
// Flips boundary pixels at random, `passes` times: a ragged edge of about ±passes pixels.
void edge_noise(vision::Image& m, int passes, std::mt19937& rng);

}  // namespace tyto::body::test
