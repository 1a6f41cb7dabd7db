// The live product's parts without a server: the engine's bounded queues, drops and profile steps (with a
// detector that is slow on purpose, besides the real ones the integration tests use), summaries from
// events and URLs shown without their password.
#include "../engine.hpp"
#include "../store.hpp"
#include "../summary.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace tyto;
using namespace tyto::products::live;
using nlohmann::json;

namespace {

// A detector that takes `delay` per frame and finds one "thing" where the frame's brightest column is.
class SlowDetector final : public vision::Detector {
 public:
  explicit SlowDetector(std::chrono::milliseconds delay) : delay_(delay) {}
  std::vector<vision::Detection> detect(const vision::Image& rgb) override {
    std::this_thread::sleep_for(delay_);
    ++calls;
    int best = 0, best_x = 0;
    for (int x = 0; x < rgb.width; ++x) {
      const int v = rgb.pixels[static_cast<std::size_t>(x) * 3];
      if (v > best) best = v, best_x = x;
    }
    return {{"thing", 0, 0.9f, {std::max(0, best_x - 5), 10, 10, 10}}};
  }
  std::string_view kind() const override { return "test"; }
  std::atomic<int> calls{0};

 private:
  std::chrono::milliseconds delay_;
};

vision::Image frame_with_bar(int x) {
  vision::Image img{64, 48, 3, std::vector<std::uint8_t>(64 * 48 * 3, 0)};
  for (int y = 0; y < 48; ++y)
    for (int c = 0; c < 3; ++c) img.pixels[(static_cast<std::size_t>(y) * 64 + x) * 3 + c] = 255;
  return img;
}

struct Collected {
  std::mutex mutex;
  std::vector<EngineEvent> events;
  std::vector<EngineEvent> of(const std::string& type) {
    std::lock_guard lock(mutex);
    std::vector<EngineEvent> out;
    for (const auto& e : events)
      if (e.type == type) out.push_back(e);
    return out;
  }
};

EngineParts parts_with(std::shared_ptr<SlowDetector> d) {
  EngineParts p;
  p.detector = [d](const std::string& name) -> std::shared_ptr<vision::Detector> {
    return name == "people" ? d : nullptr;
  };
  return p;
}

Engine::Sink sink_into(Collected& c) {
  return [&c](std::vector<EngineEvent> batch) {
    std::lock_guard lock(c.mutex);
    for (auto& e : batch) c.events.push_back(std::move(e));
  };
}

}  // namespace

TEST_CASE("An engine that falls behind drops the oldest frames, counts them and keeps its queue bounded",
          "[unit][live][engine]") {
  auto detector = std::make_shared<SlowDetector>(std::chrono::milliseconds(40));
  Collected got;
  EngineSettings s;
  s.pipelines = {"detect", "track"};
  s.profile = "accurate";  // every frame: no rate limit, so the queue is what bounds
  s.adaptive = false;
  s.frame_queue = 3;
  s.detection_events_per_s = 1000;
  {
    Engine engine(s, parts_with(detector), sink_into(got));
    int refused = 0;
    for (int i = 0; i < 100; ++i) {
      if (!engine.push_frame(frame_with_bar(i % 60), i, i / 100.0)) ++refused;
    }
    engine.drain(std::chrono::seconds(10));
    engine.stop();
    CHECK(refused > 50);  // 100 frames in a moment, 40 ms each: most cannot wait
    CHECK(detector->calls < 20);
  }
  std::int64_t dropped = 0, depth_max = 0;
  for (const auto& m : got.of("metric")) {
    dropped = std::max<std::int64_t>(dropped, m.data["dropped_total"].get<std::int64_t>());
    depth_max = std::max<std::int64_t>(depth_max, m.data["queue_depth"].get<std::int64_t>());
  }
  CHECK(dropped + detector->calls == 100);
  CHECK(depth_max <= 3);
  // Every analysed frame has its detection event, in frame order; the dropped ones have none.
  const auto detections = got.of("detection");
  REQUIRE(static_cast<int>(detections.size()) == detector->calls);
  for (std::size_t i = 1; i < detections.size(); ++i) CHECK(detections[i].frame_index > detections[i - 1].frame_index);
  CHECK(got.of("summary").size() == 1);
}

TEST_CASE("A file's frames wait for room instead of dropping", "[unit][live][engine]") {
  auto detector = std::make_shared<SlowDetector>(std::chrono::milliseconds(5));
  Collected got;
  EngineSettings s;
  s.pipelines = {"detect"};
  s.profile = "accurate";
  s.detection_events_per_s = 1000;
  Engine engine(s, parts_with(detector), sink_into(got));
  for (int i = 0; i < 40; ++i) REQUIRE(engine.push_frame_waiting(frame_with_bar(i), i, i / 25.0));
  engine.drain(std::chrono::seconds(10));
  engine.stop();
  CHECK(detector->calls == 40);
  CHECK(got.of("detection").size() == 40);
}

TEST_CASE("The profile's rate skips frames without counting them as drops", "[unit][live][engine]") {
  auto detector = std::make_shared<SlowDetector>(std::chrono::milliseconds(0));
  Collected got;
  EngineSettings s;
  s.pipelines = {"detect"};
  s.profile = "cpu-only";  // 8 fps
  s.detection_events_per_s = 1000;
  Engine engine(s, parts_with(detector), sink_into(got));
  // Two seconds of a 25 fps source, pushed as a file would be.
  for (int i = 0; i < 50; ++i) engine.push_frame_waiting(frame_with_bar(i), i, i / 25.0);
  engine.drain(std::chrono::seconds(10));
  engine.stop();
  CHECK(detector->calls >= 15);
  CHECK(detector->calls <= 17);
}

TEST_CASE("An engine steps a profile down when drops pass the budget, and says why", "[unit][live][engine]") {
  auto detector = std::make_shared<SlowDetector>(std::chrono::milliseconds(60));
  Collected got;
  EngineSettings s;
  s.pipelines = {"detect"};
  s.profile = "accurate";
  s.step_down_after_s = 2;
  Engine engine(s, parts_with(detector), sink_into(got));
  // 30 frames a second for four seconds against ~16 a second of analysis.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 120; ++i) {
    engine.push_frame(frame_with_bar(i % 60), i, i / 30.0);
    std::this_thread::sleep_until(start + std::chrono::milliseconds(33 * (i + 1)));
  }
  engine.stop();
  const auto steps = got.of("profile");
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.front().data["from"] == "accurate");
  CHECK(steps.front().data["to"] == "fast");
  CHECK(steps.front().data["reason"].get<std::string>().find("dropped") != std::string::npos);
}

TEST_CASE("A session with zones or a profile that is wrong is refused with the field named", "[unit][live]") {
  EngineSettings s;
  s.pipelines = {"detect"};
  s.profile = "turbo";
  CHECK_THROWS_AS(profile_named(s.profile), Error);
  CHECK(lower_profile("accurate") == "fast");
  CHECK(lower_profile("cpu-only") == std::nullopt);
  CHECK(higher_profile("cpu-only") == "fast");
}

TEST_CASE("A URL is shown without its password", "[unit][live]") {
  CHECK(shown_url("rtsp://admin:hunter2@cam.example:554/live") == "rtsp://admin:***@cam.example:554/live");
  CHECK(shown_url("rtsp://cam.example/live") == "rtsp://cam.example/live");
  CHECK(shown_url("http://user@host/x") == "http://user@host/x");
  CHECK(shown_url("rtsp://a:b@c/d?e=f@g") == "rtsp://a:***@c/d?e=f@g");
}

TEST_CASE("A template summary cites the events each statement rests on", "[unit][live][summary]") {
  SummaryInput in;
  in.session = {{"id", "s1"}};
  auto ev = [](std::int64_t id, std::string type, json data) {
    events::Event e;
    e.id = id;
    e.type = std::move(type);
    e.data = std::move(data);
    return e;
  };
  in.events = {ev(10, "track", {{"track_id", 1}, {"label", "person"}, {"state", "started"}}),
               ev(11, "detection", {{"detections", {{{"label", "person"}}, {{"label", "person"}}}}}),
               ev(12, "line", {{"name", "gate"}, {"direction", "in"}}),
               ev(13, "transcript", {{"final", true}, {"text", "hello there"}}),
               ev(14, "transcript", {{"final", false}, {"text", "ignored partial"}}),
               ev(15, "source", {{"state", "stalled"}}),
               ev(16, "source", {{"state", "recovered"}})};
  const json st = template_statements(in);
  auto find = [&](const std::string& start) {
    for (const auto& s : st)
      if (s["text"].get<std::string>().rfind(start, 0) == 0) return s;
    FAIL("no statement starting with " << start << " in " << st.dump());
    return json();
  };
  CHECK(find("person")["event_ids"] == json({10, 11}));
  CHECK(find("Line gate: 1 in, 0 out")["event_ids"] == json({12}));
  CHECK(find("Said: \"hello there\"")["event_ids"] == json({13}));
  CHECK(find("The source stalled 1 time and recovered 1 time")["event_ids"] == json({15, 16}));
}

TEST_CASE("A vision worker stuck on one frame is replaced, and the session goes on without waiting for it",
          "[unit][live][engine]") {
  // The first frame takes 4 s (a model that hangs); the rest are quick.
  class StuckOnce final : public vision::Detector {
   public:
    std::vector<vision::Detection> detect(const vision::Image&) override {
      if (calls++ == 0) std::this_thread::sleep_for(std::chrono::seconds(4));
      return {{"thing", 0, 0.9f, {1, 1, 5, 5}}};
    }
    std::string_view kind() const override { return "test"; }
    std::atomic<int> calls{0};
  };
  auto detector = std::make_shared<StuckOnce>();
  Collected got;
  EngineSettings s;
  s.pipelines = {"detect"};
  s.profile = "accurate";
  s.detection_events_per_s = 1000;
  s.stage_timeout = std::chrono::milliseconds(500);
  EngineParts parts;
  parts.detector = [detector](const std::string&) -> std::shared_ptr<vision::Detector> { return detector; };
  const auto started = std::chrono::steady_clock::now();
  {
    Engine engine(s, parts, sink_into(got));
    engine.push_frame(frame_with_bar(1), 0, 0.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(900));  // past the timeout: the watchdog acts
    for (int i = 1; i <= 5; ++i) {
      REQUIRE(engine.push_frame_waiting(frame_with_bar(i), i, i * 0.1));
    }
    engine.drain(std::chrono::seconds(3));
    engine.stop();
  }
  // The frames after the stuck one were analysed by the new worker while the old one still slept.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(3500));
  const auto errors = got.of("error");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].data["stage"] == "vision");
  std::set<std::int64_t> frames;
  for (const auto& d : got.of("detection")) frames.insert(d.frame_index);
  CHECK(frames == std::set<std::int64_t>{1, 2, 3, 4, 5});  // the stuck frame's events are dropped
}
