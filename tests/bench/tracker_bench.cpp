// The tracking pieces' costs on this machine: tracker updates per second with 50 detections per frame (50
// objects moving and crossing, a few missed and a few false detections per frame), the Hungarian method on
// a 50x50 matrix, zone and line monitoring of 50 tracks, and motion regions on 1280x720 frames (with and
// without stabilisation). Measures; never asserts. Usage: tyto_bench_tracker
#include "tyto/vision/assignment.hpp"
#include "tyto/vision/motion.hpp"
#include "tyto/vision/track.hpp"
#include "tyto/vision/zones.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace tyto::vision;
using clock_type = std::chrono::steady_clock;

namespace {

struct Lcg {
  std::uint64_t state = 12345;
  double uniform() {  // 0..1
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  }
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// 50 objects bouncing around a 1920x1080 frame at 15 fps, their boxes jittered by a pixel or two; 2% of
// detections missed, two false ones per frame.
std::vector<std::vector<Detection>> scenario(int frames, int objects) {
  Lcg rng;
  struct Object {
    double x, y, vx, vy;
    int w, h;
    const char* label;
  };
  std::vector<Object> all;
  for (int i = 0; i < objects; ++i)
    all.push_back({rng.uniform() * 1800, rng.uniform() * 900, (rng.uniform() - 0.5) * 300, (rng.uniform() - 0.5) * 200,
                   30 + static_cast<int>(rng.uniform() * 60), 60 + static_cast<int>(rng.uniform() * 100),
                   i % 3 ? "person" : "car"});
  std::vector<std::vector<Detection>> out;
  const double dt = 1.0 / 15;
  for (int f = 0; f < frames; ++f) {
    std::vector<Detection> dets;
    for (auto& o : all) {
      o.x += o.vx * dt;
      o.y += o.vy * dt;
      if (o.x < 0 || o.x > 1920 - o.w) o.vx = -o.vx;
      if (o.y < 0 || o.y > 1080 - o.h) o.vy = -o.vy;
      if (rng.uniform() < 0.02) continue;
      const int jx = static_cast<int>(rng.uniform() * 3) - 1, jy = static_cast<int>(rng.uniform() * 3) - 1;
      dets.push_back({o.label, -1, 0.8f, {static_cast<int>(o.x) + jx, static_cast<int>(o.y) + jy, o.w, o.h}});
    }
    for (int k = 0; k < 2; ++k)
      dets.push_back({"person",
                      -1,
                      0.4f,
                      {static_cast<int>(rng.uniform() * 1800), static_cast<int>(rng.uniform() * 900), 40, 80}});
    out.push_back(std::move(dets));
  }
  return out;
}

void bench_tracker() {
  const int frames = 3000;
  const auto sequence = scenario(frames, 50);
  Tracker tracker;
  ZoneMonitor zones(
      parse_zone_specs(nlohmann::json::parse(R"([{"name": "left", "points": [[0, 0], [0.3, 0], [0.3, 1], [0, 1]]},
                                {"name": "middle", "points": [[0.35, 0.2], [0.65, 0.2], [0.7, 0.8], [0.3, 0.8]]},
                                {"name": "right", "points": [[0.7, 0], [1, 0], [1, 1], [0.7, 1]]},
                                {"name": "top", "points": [[0, 0], [1, 0], [1, 0.2], [0, 0.2]]}])"),
                       nlohmann::json::parse(R"([{"name": "across", "points": [[0, 0.5], [1, 0.5]]},
                                {"name": "down", "points": [[0.5, 0], [0.5, 1]]}])")));
  std::vector<TrackUpdate> updates;
  updates.reserve(frames);
  auto start = clock_type::now();
  for (int f = 0; f < frames; ++f) updates.push_back(tracker.update(sequence[f], f / 15.0));
  const double track_s = seconds_since(start);
  std::size_t tracks = 0, events = 0;
  for (const auto& u : updates) tracks += u.tracks.size();
  start = clock_type::now();
  for (int f = 0; f < frames; ++f) events += zones.update(updates[f], 1920, 1080, f / 15.0).size();
  const double zone_s = seconds_since(start);
  fmt::print(
      "tracker, 50 detections per frame (52 with 2 false): {:.0f} updates/s ({:.3f} ms each), {:.1f} "
      "confirmed tracks per frame, {} ids in all\n",
      frames / track_s, 1000 * track_s / frames, double(tracks) / frames,
      updates.back().tracks.empty() ? 0 : updates.back().tracks.back().track_id);
  fmt::print("zones (4) and lines (2) over those tracks: {:.0f} updates/s ({:.3f} ms each), {} events\n",
             frames / zone_s, 1000 * zone_s / frames, events);
}

void bench_assignment() {
  Lcg rng;
  const int n = 50, rounds = 2000;
  std::vector<double> cost(n * n);
  auto start = clock_type::now();
  std::size_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    for (auto& c : cost) c = rng.uniform() < 0.9 ? kForbidden : rng.uniform();
    sink += static_cast<std::size_t>(solve_assignment(cost, n, n)[0] + 1);
  }
  const double s = seconds_since(start);
  fmt::print("Hungarian method, 50x50 (10% of pairs allowed): {:.3f} ms each (check {})\n", 1000 * s / rounds, sink);
}

Image frame_720p(int f) {
  Image image{1280, 720, 3, std::vector<std::uint8_t>(1280 * 720 * 3)};
  for (int y = 0; y < 720; ++y)
    for (int x = 0; x < 1280; ++x) {
      auto* p = &image.pixels[(std::size_t(y) * 1280 + x) * 3];
      const bool square = x >= 100 + 6 * f % 1000 && x < 200 + 6 * f % 1000 && y >= 300 && y < 400;
      p[0] = square ? 240 : static_cast<std::uint8_t>(x / 8);
      p[1] = square ? 30 : static_cast<std::uint8_t>(y / 4);
      p[2] = static_cast<std::uint8_t>((x / 32 + y / 32) % 2 ? 160 : 60);
    }
  return image;
}

void bench_motion(bool stabilise) {
  std::vector<Image> frames;
  for (int f = 0; f < 60; ++f) frames.push_back(frame_720p(f));
  MotionDetector detector({.stabilise = stabilise});
  const int rounds = 300;
  int moving = 0;
  auto start = clock_type::now();
  for (int r = 0; r < rounds; ++r) moving += detector.update(frames[r % frames.size()]).motion ? 1 : 0;
  const double s = seconds_since(start);
  fmt::print(
      "motion regions, 1280x720 frames processed at 320 px wide{}: {:.2f} ms per frame ({:.0f} fps), "
      "motion in {} of {}\n",
      stabilise ? ", stabilised" : ", not stabilised", 1000 * s / rounds, rounds / s, moving, rounds);
}

}  // namespace

int main() {
  bench_assignment();
  bench_tracker();
  bench_motion(true);
  bench_motion(false);
}
