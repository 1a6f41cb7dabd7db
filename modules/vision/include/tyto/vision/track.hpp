// Multi-object tracking, SORT-style: a constant-velocity Kalman filter per track, detections paired with
// the tracks' predicted boxes by IoU through an optimal assignment (the Hungarian method), stable ids.
//
// Each call to update() is one frame: t_s is that frame's time in seconds (any origin, never decreasing).
// Frames may be skipped or come at an uneven rate: the filters predict over the real interval.
//
// The filter: per track, four independent constant-velocity filters on the box's centre x, centre y,
// width and height, each with its rate of change per second (state [cx, cy, w, h, vx, vy, vw, vh]; with
// this model and these noises the 8-state filter splits exactly into four 2-state ones). Noises scale
// with the box's size, so a small far object and a large near one are followed alike.
//
// Association: a detection and a track may pair when their labels are equal (when class_aware) and the
// IoU of the detection's box with the track's predicted box is at least iou_threshold. Among the allowed
// pairs the tracker takes the assignment with the most pairs and, among those, the largest total IoU.
// Unpaired detections start tentative tracks; a tentative track that misses one update is dropped
// without a word. A track that has been paired min_hits times is confirmed: it gets its id then (ids are
// 1, 2, 3, ... per tracker, never reused, so tentative tracks leave no gaps) and is reported in `started`.
// A confirmed track that goes unpaired coasts on its prediction (missed > 0) and ends, reported once in
// `ended`, when it has not been paired for more than max_age_s seconds (or more than max_missed updates,
// when that is set).
//
// Identity across crossings: two objects whose paths cross keep their ids while their motion is steady,
// because each track's prediction lies nearer its own object (tests/vision/track_test.cpp). Two objects of
// the same class that overlap and change course while overlapping can swap ids; objects of different
// classes never do when class_aware.
//
// Not thread-safe: one Tracker per stream (session), called from one thread at a time.
#pragma once

#include "tyto/vision/detect.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tyto::vision {

struct TrackerOptions {
  double iou_threshold = 0.3;  // least IoU of a detection with a track's predicted box to pair them (0..1]
  int min_hits = 3;            // pairings before a track is confirmed (reported); 1 confirms at once
  double max_age_s = 1.0;      // a confirmed track unpaired for longer than this ends
  int max_missed = 0;          // ... or for more than this many updates (0: no limit by count)
  double min_score = 0;        // detections scoring below are ignored
  bool class_aware = true;     // a detection pairs only with a track of its label
  int max_tracks = 1000;       // live tracks (tentative included) at most; further detections start none
  // Filter noises, as fractions of the box's side (width for x and w, height for y and h).
  double measurement_noise = 0.05;       // std of a detection's centre and size
  double acceleration_noise = 2.0;       // std of unmodelled acceleration, sides per s^2
  double initial_velocity_noise = 10.0;  // std of a new track's velocity, sides per s
};

struct Track {
  std::int64_t track_id = 0;
  std::string label;  // the track's class (the label of its latest detection)
  int class_id = -1;
  Box box;          // the filtered box (the prediction while coasting); may reach past the image's edges
  float score = 0;  // the latest paired detection's score
  double vx = 0;    // the box centre's velocity, pixels per second
  double vy = 0;
  double first_seen_s = 0;  // time of its first detection
  double last_seen_s = 0;   // time of its latest paired detection
  double age_s = 0;         // the update's time minus first_seen_s
  int hits = 0;             // updates in which it was paired
  int missed = 0;           // consecutive updates without a detection; 0 when paired in this update
};

// {"track_id", "label", "score", "box": {"x", "y", "width", "height"}, "velocity": {"x", "y"} (px/s),
//  "first_seen_s", "last_seen_s", "age_s", "hits", "missed"}, and "class_id" when it is not -1.
nlohmann::json to_json(const Track& track);

struct TrackUpdate {
  double t_s = 0;
  std::vector<Track> tracks;          // the confirmed tracks alive after this update, by id
  std::vector<std::int64_t> started;  // ids confirmed in this update (also in tracks)
  std::vector<Track> ended;           // confirmed tracks that ended in this update, as they were last
  // Per input detection, in order: the id of the confirmed track it was paired with, 0 where none (ignored,
  // unpaired, or its track still tentative).
  std::vector<std::int64_t> detection_track_ids;
};

class Tracker {
 public:
  // Throws tyto::Error(validation_failed) naming the option that is out of range.
  explicit Tracker(TrackerOptions options = {});
  ~Tracker();
  Tracker(Tracker&&) noexcept;
  Tracker& operator=(Tracker&&) noexcept;

  // One frame's detections (boxes in that frame's pixels). Detections with an empty box or a non-finite
  // or too low score are ignored. Throws tyto::Error(validation_failed) when t_s is not finite or is
  // earlier than the previous update's (the tracker is unchanged then).
  TrackUpdate update(const std::vector<Detection>& detections, double t_s);

  // Forgets every track (reporting no `ended` for them) and the last time; ids go on from where they were.
  void reset();
  const TrackerOptions& options() const noexcept;
  std::size_t live_tracks() const noexcept;  // tentative and confirmed

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
