// Motion regions (tyto/vision/motion.hpp): a generated scene, still and then with a moving square, drawn
// into vision::Image by the test itself; and a real photo (Debian's opencv-doc) shaken to simulate a camera
// that moves.
#include "tyto/vision/motion.hpp"
#include "tyto/core/error.hpp"
#include "vision/vision_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using namespace tyto;
using namespace tyto::test::vis;

namespace {

struct Noise {
  std::uint64_t state = 7;
  int next(int amplitude) {  // -amplitude..amplitude
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % (2 * amplitude + 1)) - amplitude;
  }
};

std::uint8_t clamp8(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

// A still scene: gradients, stripes and a few blocks, with sensor noise of +-3 levels, and optionally a
// red square.
vision::Image scene(Noise& noise, const vision::Box* square = nullptr, int width = 640, int height = 360) {
  vision::Image image{width, height, 3, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      int r = 40 + x * 150 / width, g = 60 + y * 120 / height, b = (x / 40) % 2 ? 150 : 90;
      if (x > 400 && x < 520 && y > 60 && y < 200) r = g = b = 220;         // a bright block
      if (x > 80 && x < 200 && y > 250 && y < 330) r = 20, g = 20, b = 30;  // a dark one
      if (square && x >= square->x && x < square->x + square->width && y >= square->y && y < square->y + square->height)
        r = 250, g = 30, b = 30;
      auto* p = &image.pixels[(std::size_t(y) * width + x) * 3];
      p[0] = clamp8(r + noise.next(3));
      p[1] = clamp8(g + noise.next(3));
      p[2] = clamp8(b + noise.next(3));
    }
  }
  return image;
}

// The image moved by (dx, dy), the uncovered border repeating the edge pixels.
vision::Image shifted(const vision::Image& in, int dx, int dy) {
  vision::Image out = in;
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      const int sx = std::clamp(x - dx, 0, in.width - 1), sy = std::clamp(y - dy, 0, in.height - 1);
      for (int c = 0; c < 3; ++c)
        out.pixels[(std::size_t(y) * in.width + x) * 3 + c] = in.pixels[(std::size_t(sy) * in.width + sx) * 3 + c];
    }
  }
  return out;
}

bool contains(const vision::Box& box, int x, int y) {
  return x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
}

}  // namespace

TEST_CASE("A still scene has no motion after warm-up, and a moving square is found where it is",
          "[vision][track][motion]") {
  vision::MotionDetector detector;
  Noise noise;
  for (int f = 0; f < 40; ++f) {
    const auto r = detector.update(scene(noise));
    INFO("still frame " << f << ": fraction " << r.moving_fraction);
    CHECK(r.warming_up == (f < 10));
    CHECK_FALSE(r.motion);
    CHECK(r.regions.empty());
    CHECK(r.moving_fraction == 0);
  }
  // A 60 px red square crosses from the left at 8 px per frame.
  for (int f = 0; f < 40; ++f) {
    const vision::Box square{30 + 8 * f, 140, 60, 60};
    const auto r = detector.update(scene(noise, &square));
    INFO("moving frame " << f << ": fraction " << r.moving_fraction << ", regions " << r.regions.size());
    CHECK(r.motion);
    REQUIRE_FALSE(r.regions.empty());
    const auto& region = r.regions.front();
    CHECK(contains(region, square.x + 30, square.y + 30));
    CHECK(vision::iou(region, square) > 0.6);
    CHECK(r.moving_fraction == Approx(60.0 * 60 / (640 * 360)).epsilon(0.35));
    const auto j = vision::to_json(r);
    CHECK(j["motion"] == true);
    CHECK(j["regions"][0]["width"] == region.width);
  }
  // Gone again: the background it left was never learnt as the square, so the scene is still at once.
  for (int f = 0; f < 10; ++f) {
    const auto r = detector.update(scene(noise));
    INFO("after frame " << f);
    CHECK_FALSE(r.motion);
  }
}

TEST_CASE("An object moving over a plain background is motion, not a camera shake", "[vision][track][motion]") {
  // A smooth gradient with little to correlate on, and a square that stands still through the warm-up and
  // then moves slowly (2 px per frame): undoing its shift would hide it, so it must not be taken for a shake.
  vision::Image plain{640, 360, 3, std::vector<std::uint8_t>(640 * 360 * 3)};
  const auto draw = [&](int square_x) {
    vision::Image image = plain;
    for (int y = 0; y < 360; ++y)
      for (int x = 0; x < 640; ++x) {
        auto* p = &image.pixels[(std::size_t(y) * 640 + x) * 3];
        const bool in = x >= square_x && x < square_x + 100 && y >= 130 && y < 230;
        p[0] = in ? 230 : static_cast<std::uint8_t>(60 + x / 8);
        p[1] = in ? 200 : static_cast<std::uint8_t>(80 + y / 8);
        p[2] = in ? 40 : 120;
      }
    return image;
  };
  vision::MotionDetector detector;
  for (int f = 0; f < 30; ++f) CHECK_FALSE(detector.update(draw(200)).motion);
  for (int f = 1; f <= 30; ++f) {
    const auto r = detector.update(draw(200 + 2 * f));
    INFO("frame " << f << ": fraction " << r.moving_fraction << ", shift " << r.shift_x << "," << r.shift_y);
    CHECK(r.motion);
    CHECK_FALSE(r.camera_moved);
    CHECK(r.shift_x == 0);
  }
}

TEST_CASE("Motion warms up again after a reset or a change of size, and refuses bad input", "[vision][track][motion]") {
  vision::MotionDetector detector({.warmup_frames = 3});
  Noise noise;
  for (int f = 0; f < 5; ++f) CHECK(detector.update(scene(noise)).warming_up == (f < 3));
  CHECK(detector.update(scene(noise, nullptr, 320, 240)).warming_up);
  detector.reset();
  CHECK(detector.update(scene(noise, nullptr, 320, 240)).warming_up);
  vision::Image grey{64, 48, 1, std::vector<std::uint8_t>(64 * 48, 128)};
  CHECK(detector.update(grey).warming_up);  // other channels: a new background
  // Tiny frames are taken (stabilisation needs some texture, and skips what has none).
  for (const auto& [w, h] : {std::pair{1, 1}, {2, 1}, {1, 3}, {3, 3}, {16, 9}, {5000, 2}}) {
    INFO(w << "x" << h);
    vision::MotionDetector tiny({.warmup_frames = 2});
    Noise n;
    for (int f = 0; f < 6; ++f) {
      vision::Image image{w, h, 3, std::vector<std::uint8_t>(std::size_t(w) * h * 3)};
      for (auto& p : image.pixels) p = clamp8(100 + n.next(50));
      CHECK_NOTHROW(tiny.update(image));
    }
  }
  CHECK_THROWS_AS(detector.update(vision::Image{}), Error);
  CHECK_THROWS_AS(detector.update(vision::Image{10, 10, 3, {1, 2, 3}}), Error);
  try {
    vision::MotionDetector bad({.processing_width = 4, .learning_rate = 2, .blur = 4});
    FAIL("bad options were taken");
  } catch (const Error& e) {
    const auto& f = e.details()["fields"];
    CHECK(f.contains("processing_width"));
    CHECK(f.contains("learning_rate"));
    CHECK(f.contains("blur"));
  }
}

TEST_CASE("A real photo shaken like a camera: a tremor is undone, a jolt is motion until the new view is learnt",
          "[vision][track][motion]") {
  // fruits.jpg (512x480, sharp edges everywhere) stands for a fixed camera's view. A tremor moves it by a
  // pixel at a time, back and forth; a jolt moves it by (12, 8) for good (more than max_shake, 1.5% of the
  // width).
  const auto photo = vision::decode(read_bytes(sample("fruits.jpg")));
  const auto tremor = [](const vision::Image& view, int f) { return shifted(view, f % 2, (f / 2) % 2); };
  vision::MotionDetector detector;
  for (int f = 0; f < 30; ++f) CHECK_FALSE(detector.update(photo).motion);
  for (int f = 0; f < 20; ++f) {
    const auto r = detector.update(tremor(photo, f));
    INFO("tremor frame " << f << ": fraction " << r.moving_fraction << ", shift " << r.shift_x << "," << r.shift_y);
    CHECK_FALSE(r.motion);
    // Phase correlation's sub-pixel estimate of a one-pixel shift is rough (0.5 to 1.05 measured).
    CHECK((f % 2 ? r.shift_x > 0.3 : std::abs(r.shift_x) < 0.3));
    CHECK(((f / 2) % 2 ? r.shift_y > 0.3 : std::abs(r.shift_y) < 0.3));
  }
  // The jolt: the camera moved; the background starts again from the new view.
  const auto jolt = shifted(photo, 12, 8);
  auto r = detector.update(jolt);
  CHECK(r.camera_moved);
  CHECK(r.warming_up);
  CHECK_FALSE(r.motion);
  for (int f = 1; f < 10; ++f) CHECK(detector.update(jolt).warming_up);
  for (int f = 0; f < 20; ++f) {
    r = detector.update(tremor(jolt, f));
    INFO("tremor after the jolt, frame " << f << ": fraction " << r.moving_fraction);
    CHECK_FALSE(r.warming_up);
    CHECK_FALSE(r.camera_moved);
    CHECK_FALSE(r.motion);
  }

  // Without stabilisation the same tremor moves every edge: motion.
  vision::MotionDetector plain({.stabilise = false});
  for (int f = 0; f < 30; ++f) plain.update(photo);
  int moving = 0;
  for (int f = 0; f < 20; ++f) moving += plain.update(tremor(photo, f)).motion ? 1 : 0;
  CHECK(moving >= 10);  // 15 of 20 measured: the frames back at the original view are still
}
