// The tracker (tyto/vision/track.hpp) and the assignment solver under it, on synthetic sequences whose
// truth is known: boxes moving at set speeds, crossing, bouncing, vanishing, at uneven frame times.
#include "tyto/vision/track.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/assignment.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

using namespace tyto;
using vision::Detection;
using vision::Tracker;

namespace {

Detection det(const std::string& label, double x, double y, int w = 50, int h = 100, float score = 0.9f) {
  return {label, -1, score, {static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)), w, h}};
}

// A small deterministic generator, so the matrices are the same on every platform.
struct Lcg {
  std::uint64_t state;
  std::uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state >> 33);
  }
};

// The least total cost over every assignment, by trying them all (rows <= cols), with as many allowed pairs
// as possible first.
std::pair<int, double> brute_force(const std::vector<double>& cost, int rows, int cols) {
  std::vector<int> columns(cols);
  std::iota(columns.begin(), columns.end(), 0);
  std::pair<int, double> best{-1, 0};
  do {
    int allowed = 0;
    double total = 0;
    for (int i = 0; i < rows; ++i) {
      const double c = cost[static_cast<std::size_t>(i) * cols + columns[i]];
      if (c < vision::kForbidden) {
        ++allowed;
        total += c;
      }
    }
    if (allowed > best.first || (allowed == best.first && total < best.second - 1e-9)) best = {allowed, total};
  } while (std::next_permutation(columns.begin(), columns.end()));
  return best;
}

std::pair<int, double> score(const std::vector<int>& match, const std::vector<double>& cost, int cols) {
  std::pair<int, double> out{0, 0};
  for (std::size_t i = 0; i < match.size(); ++i) {
    if (match[i] < 0) continue;
    const double c = cost[i * cols + match[i]];
    if (c < vision::kForbidden) {
      ++out.first;
      out.second += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("The Hungarian method finds the least-cost assignment that brute force finds", "[vision][track]") {
  Lcg rng{42};
  for (int round = 0; round < 400; ++round) {
    const int rows = 1 + static_cast<int>(rng.next() % 6);
    const int cols = 1 + static_cast<int>(rng.next() % 6);
    std::vector<double> cost(static_cast<std::size_t>(rows) * cols);
    for (auto& c : cost) {
      // Integers make ties common; about one pair in five is forbidden.
      c = rng.next() % 5 == 0 ? vision::kForbidden : static_cast<double>(rng.next() % 10);
    }
    INFO("round " << round << ": " << rows << "x" << cols);
    const auto match = vision::solve_assignment(cost, rows, cols);
    REQUIRE(match.size() == static_cast<std::size_t>(rows));
    std::vector<int> used;
    for (int c : match) {
      if (c < 0) continue;
      CHECK(c < cols);
      CHECK(std::find(used.begin(), used.end(), c) == used.end());
      used.push_back(c);
    }
    CHECK(used.size() == static_cast<std::size_t>(std::min(rows, cols)));
    // Brute force over the transpose when there are more rows than columns.
    std::pair<int, double> best;
    if (rows <= cols) {
      best = brute_force(cost, rows, cols);
    } else {
      std::vector<double> t(cost.size());
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
          t[static_cast<std::size_t>(j) * rows + i] = cost[static_cast<std::size_t>(i) * cols + j];
      best = brute_force(t, cols, rows);
    }
    const auto got = score(match, cost, cols);
    CHECK(got.first == best.first);
    CHECK(got.second == Approx(best.second));
  }
}

TEST_CASE("The assignment solver takes known small cases and refuses malformed matrices", "[vision][track]") {
  // The greedy choice (row 0 takes its cheapest, column 0) is not the optimum here.
  CHECK(vision::solve_assignment({1, 2, 2, 100}, 2, 2) == std::vector<int>{1, 0});
  CHECK(vision::solve_assignment({}, 0, 3).empty());
  CHECK(vision::solve_assignment({}, 2, 0) == std::vector<int>{-1, -1});
  CHECK(vision::solve_assignment({5, 1, 3}, 3, 1) == std::vector<int>{-1, 0, -1});
  CHECK_THROWS_AS(vision::solve_assignment({1, 2, 3}, 2, 2), Error);
  try {
    vision::solve_assignment({1, std::numeric_limits<double>::quiet_NaN()}, 1, 2);
    FAIL("a NaN cost was taken");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(e.details()["fields"].contains("cost"));
  }
}

TEST_CASE("A steadily moving object is confirmed after min_hits and its velocity is learnt", "[vision][track]") {
  Tracker tracker({.min_hits = 3});
  for (int f = 0; f < 20; ++f) {
    const double t = f * 0.1;
    const auto u = tracker.update({det("person", 100 + 120 * t, 200 + 40 * t)}, t);
    if (f < 2) {
      CHECK(u.tracks.empty());
      CHECK(u.started.empty());
      CHECK(u.detection_track_ids == std::vector<std::int64_t>{0});
      continue;
    }
    REQUIRE(u.tracks.size() == 1);
    CHECK(u.tracks[0].track_id == 1);
    CHECK(u.started == (f == 2 ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{}));
    CHECK(u.detection_track_ids == std::vector<std::int64_t>{1});
    CHECK(u.tracks[0].hits == f + 1);
    CHECK(u.tracks[0].missed == 0);
    CHECK(u.tracks[0].age_s == Approx(t));
    CHECK(u.tracks[0].label == "person");
    const auto j = vision::to_json(u.tracks[0]);
    CHECK(j["track_id"] == 1);
    CHECK(j["box"]["width"] == 50);
    CHECK(j["velocity"].contains("x"));
    CHECK(j["hits"] == f + 1);
    CHECK_FALSE(j.contains("class_id"));
    if (f >= 10) {
      CHECK(u.tracks[0].vx == Approx(120).margin(6));
      CHECK(u.tracks[0].vy == Approx(40).margin(6));
      CHECK(std::abs(u.tracks[0].box.x - (100 + 120 * t)) <= 2);
      CHECK(u.tracks[0].box.width == 50);
    }
  }
}

TEST_CASE("Two objects whose paths cross keep their ids", "[vision][track]") {
  for (int offset : {0, 20}) {
    INFO("vertical offset " << offset);
    Tracker tracker;
    std::int64_t a = 0, b = 0;
    // A goes right, B left, at 80 px/s each, 10 frames per second; they overlap fully (offset 0) at t = 2 s.
    for (int f = 0; f <= 40; ++f) {
      const double t = f * 0.1;
      const auto u = tracker.update({det("person", 40 + 80 * t, 100), det("person", 360 - 80 * t, 100 + offset)}, t);
      if (f < 2) continue;
      if (f == 2) {
        a = u.detection_track_ids[0];
        b = u.detection_track_ids[1];
        REQUIRE(a != 0);
        REQUIRE(b != 0);
        REQUIRE(a != b);
      }
      INFO("frame " << f);
      CHECK(u.detection_track_ids[0] == a);
      CHECK(u.detection_track_ids[1] == b);
      CHECK(u.tracks.size() == 2);
    }
    CHECK(tracker.live_tracks() == 2);
  }
}

TEST_CASE("Two objects of one class that bounce off each other while overlapping swap ids, as documented",
          "[vision][track]") {
  // They meet at t = 2 s exactly on top of each other and go back the way they came: each track's
  // prediction carries on through, so each takes the other object's detection.
  for (const auto& [second, swaps] : {std::pair<std::string, bool>{"person", true}, {"car", false}}) {
    INFO("the second object is a " << second);
    Tracker tracker;
    std::int64_t a = 0, b = 0;
    for (int f = 0; f <= 40; ++f) {
      const double t = f * 0.1;
      const double d = 80 * std::min(t, 4.0 - t);  // towards each other, then back
      const auto u = tracker.update({det("person", 40 + d, 100), det(second, 360 - d, 100)}, t);
      if (f == 2) {
        a = u.detection_track_ids[0];
        b = u.detection_track_ids[1];
      }
      if (f >= 24) {
        INFO("frame " << f);
        CHECK(u.detection_track_ids[0] == (swaps ? b : a));
        CHECK(u.detection_track_ids[1] == (swaps ? a : b));
      }
    }
  }
}

TEST_CASE("An object hidden for less than max_age keeps its id, and one hidden longer ends and returns as a new track",
          "[vision][track]") {
  // 8 frames per second (a step exact in binary, so the times compare exactly).
  Tracker tracker({.min_hits = 3, .max_age_s = 1.0});
  const auto truth = [](double t) { return det("car", 50 + 100 * t, 300, 80, 40); };
  int n = 0;
  const auto time = [&] { return n * 0.125; };
  for (; n < 10; ++n) tracker.update({truth(time())}, time());
  // Hidden for 0.625 s: it coasts on its prediction, still reported, missed counting up.
  for (int f = 1; f <= 5; ++f, ++n) {
    const auto u = tracker.update({}, time());
    REQUIRE(u.tracks.size() == 1);
    CHECK(u.tracks[0].track_id == 1);
    CHECK(u.tracks[0].missed == f);
    CHECK(u.ended.empty());
    CHECK(std::abs(u.tracks[0].box.x - truth(time()).box.x) <= 3);  // predicted, not frozen
  }
  auto u = tracker.update({truth(time())}, time());
  CHECK(u.detection_track_ids == std::vector<std::int64_t>{1});
  CHECK(u.tracks.at(0).missed == 0);
  CHECK(u.started.empty());
  const double seen = time();
  ++n;
  // Hidden for longer than a second: it ends once, at the first update more than max_age_s after it was seen.
  int ended_at = -1;
  for (int f = 1; f <= 15; ++f, ++n) {
    u = tracker.update({}, time());
    if (!u.ended.empty()) {
      REQUIRE(ended_at == -1);
      ended_at = f;
      CHECK(u.ended[0].track_id == 1);
      CHECK(u.ended[0].last_seen_s == seen);
      CHECK(u.tracks.empty());
    }
  }
  CHECK(ended_at == 9);  // 1.125 s > 1.0 s; at 8 frames (1.0 s) it still lived
  CHECK(tracker.live_tracks() == 0);
  for (int f = 0; f < 3; ++f, ++n) u = tracker.update({truth(time())}, time());
  CHECK(u.started == std::vector<std::int64_t>{2});
  CHECK(u.tracks.at(0).track_id == 2);
}

TEST_CASE("max_missed ends a track after that many updates without a detection", "[vision][track]") {
  Tracker tracker({.min_hits = 1, .max_age_s = 100, .max_missed = 2});
  auto u = tracker.update({det("dog", 10, 10)}, 0);
  CHECK(u.started == std::vector<std::int64_t>{1});
  CHECK(tracker.update({}, 1).ended.empty());
  CHECK(tracker.update({}, 2).ended.empty());
  u = tracker.update({}, 3);
  REQUIRE(u.ended.size() == 1);
  CHECK(u.ended[0].missed == 3);
}

TEST_CASE("Skipped frames and an uneven rate are predicted over the real interval", "[vision][track]") {
  // 200 px/s with a 60 px box: after the half-second gap the object is 100 px away, with no overlap with
  // where it was; only a prediction over dt pairs it.
  Tracker tracker;
  const auto truth = [](double t) { return det("person", 20 + 200 * t, 50, 60, 120); };
  const std::vector<double> times{0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 1.0, 1.05, 1.3, 1.8, 1.85, 1.9};
  for (double t : times) {
    const auto u = tracker.update({truth(t)}, t);
    INFO("t = " << t);
    if (t >= 0.2) {
      CHECK(u.detection_track_ids == std::vector<std::int64_t>{1});
      CHECK(std::abs(u.tracks.at(0).box.x - truth(t).box.x) <= 3);
    }
    if (t >= 1.0) CHECK(u.tracks.at(0).vx == Approx(200).margin(15));
  }
  CHECK(tracker.live_tracks() == 1);
}

TEST_CASE("Association is class-aware: a car never takes a person's track", "[vision][track]") {
  Tracker tracker;
  for (int f = 0; f < 5; ++f) tracker.update({det("person", 100, 100)}, f * 0.1);
  // The same box, now a car: the person coasts, the car starts its own (tentative) track.
  auto u = tracker.update({det("car", 100, 100)}, 0.5);
  REQUIRE(u.tracks.size() == 1);
  CHECK(u.tracks[0].label == "person");
  CHECK(u.tracks[0].missed == 1);
  CHECK(u.detection_track_ids == std::vector<std::int64_t>{0});
  CHECK(tracker.live_tracks() == 2);
  // Without class awareness the car takes the track (and its label).
  Tracker any({.class_aware = false});
  for (int f = 0; f < 5; ++f) any.update({det("person", 100, 100)}, f * 0.1);
  u = any.update({det("car", 100, 100)}, 0.5);
  CHECK(u.detection_track_ids == std::vector<std::int64_t>{1});
  CHECK(u.tracks.at(0).label == "car");
}

TEST_CASE("Ids count confirmed tracks only, and unusable detections are ignored", "[vision][track]") {
  Tracker tracker({.min_hits = 2, .min_score = 0.3});
  // A one-frame false detection is dropped without using an id.
  tracker.update({det("person", 500, 500)}, 0);
  tracker.update({det("person", 10, 10)}, 0.1);
  auto u = tracker.update({det("person", 10, 10), det("person", 10, 10, 0, 100), det("person", 300, 10, 50, 100, 0.1f),
                           det("person", 600, 10, 50, 100, std::numeric_limits<float>::quiet_NaN())},
                          0.2);
  CHECK(u.started == std::vector<std::int64_t>{1});
  CHECK(u.detection_track_ids == std::vector<std::int64_t>{1, 0, 0, 0});
  CHECK(tracker.live_tracks() == 1);
  Tracker capped({.max_tracks = 3});
  capped.update({det("a", 0, 0), det("a", 100, 0), det("a", 200, 0), det("a", 300, 0), det("a", 400, 0)}, 0);
  CHECK(capped.live_tracks() == 3);
}

TEST_CASE("The tracker refuses time going backwards and options out of range", "[vision][track]") {
  Tracker tracker;
  tracker.update({det("person", 10, 10)}, 5);
  try {
    tracker.update({det("person", 10, 10)}, 4.9);
    FAIL("time went backwards");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kValidationFailed);
    CHECK(e.details()["fields"].contains("t_s"));
  }
  CHECK_THROWS_AS(tracker.update({}, std::numeric_limits<double>::quiet_NaN()), Error);
  CHECK(tracker.live_tracks() == 1);
  CHECK_NOTHROW(tracker.update({det("person", 10, 10)}, 5));  // the same time is fine (dt = 0)
  try {
    Tracker bad({.iou_threshold = 0, .min_hits = 0});
    FAIL("bad options were taken");
  } catch (const Error& e) {
    CHECK(e.details()["fields"].contains("iou_threshold"));
    CHECK(e.details()["fields"].contains("min_hits"));
  }
}
