// Reading a person mask row by row: runs of person pixels, the torso's run at a height with the arms cut
// away, the head's top, the feet's bottom and the crotch. Pixel coordinates; a pixel's centre is at +0.5.
#pragma once

#include "tyto/body/geometry.hpp"
#include "tyto/vision/image.hpp"

#include <optional>
#include <vector>

namespace tyto::body::detail {

struct Run {
  int x0 = 0;  // first person pixel
  int x1 = 0;  // one past the last
  int width() const noexcept { return x1 - x0; }
  bool contains(double x) const noexcept { return x >= x0 && x < x1; }
};

// A view of a 1-channel mask (>= 128 is the person; of a multi-channel image the first channel is read).
class Silhouette {
 public:
  explicit Silhouette(const vision::Image& mask);

  int width() const noexcept { return width_; }
  int height() const noexcept { return height_; }
  bool empty() const noexcept { return width_ <= 0 || height_ <= 0; }
  bool on(int x, int y) const noexcept;
  const std::vector<Run>& runs(int y) const;  // empty for a row outside the image
  // The run containing x, else the nearest one whose edge is within max_distance.
  std::optional<Run> run_at(int y, double x, double max_distance) const;
  // The first (last) row holding a person pixel within [x0, x1); -1 when there is none.
  int top_row(double x0, double x1) const;
  int bottom_row(double x0, double x1) const;

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<std::vector<Run>> rows_;
};

// An arm seen in the front photo: its centre line (shoulder, elbow, wrist, hand tip) and half its thickness
// along each segment of it (the upper arm, the forearm, the hand).
struct Arm {
  std::vector<Point> line;
  std::vector<double> half_widths;  // one per segment
  struct At {
    double x = 0;
    double half_width = 0;
  };
  // The line's x at height y (the first segment spanning y) and that segment's half-width.
  std::optional<At> at(double y) const;
};

// The torso's extent on one row: the run holding the centre line, with any arm that touches it cut off
// where the arm's edge is (from the arm's centre line and half-width).
struct TorsoRow {
  bool found = false;
  double left = 0;  // edges, in pixel coordinates (x0 and x1 of the run, or the cut)
  double right = 0;
  bool cut_left = false;  // an arm touched the run on that side and was cut away
  bool cut_right = false;
  bool ambiguous = false;  // an arm lay over the torso itself, so nothing could be cut
  double width() const noexcept { return right - left; }
};
TorsoRow torso_row(const Silhouette& s, int y, double centre_x, const std::vector<Arm>& arms, double max_distance);

// Without keypoints for an arm: the torso's edge on one side of row y, from the nearest rows within `reach` where a
// narrower run stands apart on that side (an arm hanging free, so the torso's edge shows): interpolated
// between the nearest such rows above and below, or extrapolated by a line through up to `fit_rows` of them
// when they lie on one side only. nullopt when no row within reach shows it, or when row y shows it itself.
std::optional<double> edge_from_free_rows(const Silhouette& s, int y, double centre_x, double max_distance,
                                          bool right_side, int reach, int fit_rows);

// Half an arm's thickness along each segment of `line`, from the rows where that segment stands apart from the
// torso; a segment that never does takes its neighbour's, and `fallback` when no segment does.
std::vector<double> arm_half_widths(const Silhouette& s, const std::vector<Point>& line, double torso_centre_x,
                                    double fallback);

// The top of the gap between the legs: followed upwards from `start_y` (a row between the knees and the
// ankles) starting at x, the gap's highest row + 1 (the crotch's row); nullopt when there is no gap at start_y.
std::optional<double> crotch_row(const Silhouette& s, int start_y, double x, double max_distance);

}  // namespace tyto::body::detail
