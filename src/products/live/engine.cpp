#include "engine.hpp"

#include "analysis.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

namespace tyto::products::live {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct FrameItem {
  std::variant<vision::Image, std::string> pixels;  // decoded, or encoded bytes from a browser
  std::int64_t index = 0;
  double t_s = 0;
  std::int64_t received_ns = 0;
};

struct AudioItem {
  std::vector<std::int16_t> samples;
  double t_s = 0;
  std::int64_t received_ns = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The session's counters for the current second and in total. Guarded by Engine::Impl::mutex.
struct Window {
  std::int64_t frames_in = 0, frames_out = 0, dropped = 0;
  std::vector<double> latency_ms;
  std::map<std::string, std::pair<double, int>> stage_ms;  // stage -> (sum, count)
};

}  // namespace

Profile profile_named(std::string_view name) {
  if (name == "fast") return {"fast", 1280, 720, 20, 3840, 2160, 40'000'000};
  if (name == "accurate") return {"accurate", 1920, 1080, 0, 3840, 2160, 60'000'000};
  if (name == "cpu-only") return {"cpu-only", 854, 480, 8, 1920, 1080, 20'000'000};
  throw Error(ErrorCode::kValidationFailed, "unknown profile",
              {{"fields", {{"profile", "one of fast, accurate, cpu-only"}}}});
}

std::optional<std::string> lower_profile(std::string_view name) {
  if (name == "accurate") return "fast";
  if (name == "fast") return "cpu-only";
  return std::nullopt;
}

std::optional<std::string> higher_profile(std::string_view name) {
  if (name == "cpu-only") return "fast";
  if (name == "fast") return "accurate";
  return std::nullopt;
}

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  Impl(EngineSettings s, EngineParts p, Sink k)
      : settings(std::move(s)),
        parts(std::move(p)),
        sink(std::move(k)),
        profile(profile_named(settings.profile)),
        ceiling(settings.profile),
        analysis(std::make_shared<Analysis>(settings, parts)) {
    if (parts.metrics) {
      auto& m = *parts.metrics;
      frames_total = &m.counter("tyto_live_frames_total", "Frames a live session took in", {}).with({});
      dropped_total =
          &m.counter("tyto_live_frames_dropped_total", "Frames dropped because the session's analysis fell behind", {})
               .with({});
      latency = &m.histogram("tyto_live_event_latency_seconds", "From a frame's arrival to its events' delivery", {})
                     .with({});
      stage_family =
          &m.histogram("tyto_live_stage_seconds", "Time of one frame in one stage of a live session", {"stage"});
      queue_depth = &m.gauge("tyto_live_queue_depth", "Frames waiting in live sessions' queues", {}).with({});
    }
  }

  void vision_loop(int generation, std::shared_ptr<Analysis> mine);
  // The stage watchdog (the emitter's loop): replaces a vision worker stuck on one frame past stage_timeout.
  void restart_stalled_vision();
  void speech_loop();
  void emitter_loop();
  void process(FrameItem& item, Analysis& analysis, int generation);
  void add(std::vector<EngineEvent> events);
  json metric_event();
  void adapt(const Window& w);
  void shut(bool final);
  // Queues a frame, dropping the oldest (counted) while the queue is full. Returns false when one was dropped.
  // Called under mutex.
  bool enqueue_dropping(FrameItem item) {
    bool kept = true;
    while (frames.size() >= std::max<std::size_t>(1, settings.frame_queue)) {
      frames.pop_front();
      ++window.dropped;
      if (dropped_total) dropped_total->inc();
      kept = false;
    }
    frames.push_back(std::move(item));
    wake_vision.notify_one();
    return kept;
  }
  // Whether a frame at t_s is due at the profile's rate (max_fps): frames are taken on a schedule of one
  // per period, so the rate averages max_fps whatever the source's. Called under mutex.
  bool due(double t_s) {
    last_frame_t = t_s;
    if (profile.max_fps <= 0) return true;
    const double period = 1.0 / profile.max_fps;
    if (!next_due || t_s < *next_due - 2 * period - 1.0 || t_s > *next_due + period) {  // first, a jump back, a gap
      next_due = t_s + period;
      return true;
    }
    if (t_s + 1e-6 < *next_due) return false;
    *next_due += period;
    return true;
  }

  EngineSettings settings;
  EngineParts parts;
  Sink sink;

  mutable std::mutex mutex;
  std::condition_variable wake_vision, wake_speech, wake_emitter, idle, room;
  std::deque<FrameItem> frames;     // GUARDED_BY(mutex)
  std::deque<AudioItem> audio;      // GUARDED_BY(mutex)
  std::vector<EngineEvent> outbox;  // GUARDED_BY(mutex)
  Profile profile;                  // GUARDED_BY(mutex)
  std::string ceiling;              // the profile asked for: the engine never steps above it
  bool stopping = false;
  bool closing = false;  // stop() added the last events: the emitter ends once they are out
  int busy = 0;          // items being worked on now
  Window window;
  std::int64_t dropped_all = 0;
  int over_budget_s = 0, quiet_s = 0;
  double last_detection_t = -1e9, last_frame_t = 0;
  std::optional<double> next_due;  // GUARDED_BY(mutex): the profile's schedule
  json last_metric = json::object();

  std::shared_ptr<Analysis> analysis;  // the current vision worker's only
  int vision_generation = 0;           // GUARDED_BY(mutex): bumped when a stalled worker is replaced
  bool vision_busy = false;            // GUARDED_BY(mutex): the current worker is analysing a frame
  int abandoned = 0;                   // GUARDED_BY(mutex): replaced workers not returned yet (at most one)
  Clock::time_point vision_busy_since;
  std::unique_ptr<SpeechStream> speech;

  metrics::Counter* frames_total = nullptr;
  metrics::Counter* dropped_total = nullptr;
  metrics::Histogram* latency = nullptr;
  metrics::Family<metrics::Histogram>* stage_family = nullptr;
  metrics::Gauge* queue_depth = nullptr;

  std::thread vision_thread, speech_thread, emitter_thread;
};

void Engine::Impl::add(std::vector<EngineEvent> events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex);
  for (auto& e : events) outbox.push_back(std::move(e));
  wake_emitter.notify_one();
}

void Engine::Impl::process(FrameItem& item, Analysis& analysis, int generation) {
  vision::Image image;
  const auto started = Clock::now();
  try {
    if (auto* bytes = std::get_if<std::string>(&item.pixels)) {
      image = vision::decode(*bytes, {.max_bytes = 8u << 20, .max_pixels = 4096u * 4096u, .max_side = 4096});
    } else {
      image = std::move(std::get<vision::Image>(item.pixels));
    }
  } catch (const Error& e) {
    add({{"error",
          {{"stage", "decode"}, {"message", e.what()}, {"frame_index", item.index}},
          item.index,
          item.t_s,
          item.received_ns}});
    return;
  }
  Profile p;
  {
    std::lock_guard lock(mutex);
    p = profile;
  }
  if (image.width > p.max_width || image.height > p.max_height) {
    const double scale =
        std::min(static_cast<double>(p.max_width) / image.width, static_cast<double>(p.max_height) / image.height);
    image = vision::resize(image, std::max(1, static_cast<int>(image.width * scale)),
                           std::max(1, static_cast<int>(image.height * scale)));
  }
  const double decode_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const bool may_emit = item.t_s - last_detection_t >= 1.0 / std::max(0.1, settings.detection_events_per_s);
  FrameResult r;
  try {
    r = analysis.analyze(image, item.index, item.t_s, may_emit);
  } catch (const std::exception& e) {
    log::warn("live: a frame's analysis failed", {{"session_id", settings.session_id},
                                                  {"model", settings.detect_model},
                                                  {"frame_index", item.index},
                                                  {"error", e.what()}});
    add({{"error",
          {{"stage", "analyze"}, {"message", e.what()}, {"frame_index", item.index}},
          item.index,
          item.t_s,
          item.received_ns}});
    return;
  }
  r.stage_ms["decode"] = decode_ms;
  for (auto& e : r.events) e.received_ns = item.received_ns;
  {
    std::lock_guard lock(mutex);
    if (generation != vision_generation) return;  // abandoned by the watchdog: a fresh worker took over
    if (r.detection_event) last_detection_t = item.t_s;
    ++window.frames_out;
    for (const auto& [stage, ms] : r.stage_ms) {
      auto& [sum, n] = window.stage_ms[stage];
      sum += ms;
      ++n;
      if (stage_family) stage_family->with({stage}).observe(ms / 1000.0);
    }
    for (auto& e : r.events) outbox.push_back(std::move(e));
    // An empty frame still counts for the latency: its "event" is the frame's completion.
    if (r.events.empty()) window.latency_ms.push_back(static_cast<double>(now_ns() - item.received_ns) / 1e6);
    wake_emitter.notify_one();
  }
}

void Engine::Impl::vision_loop(int generation, std::shared_ptr<Analysis> mine) {
  for (;;) {
    FrameItem item;
    {
      std::unique_lock lock(mutex);
      wake_vision.wait(lock, [&] { return stopping || !frames.empty() || generation != vision_generation; });
      if (generation != vision_generation || frames.empty()) return;
      item = std::move(frames.front());
      frames.pop_front();
      ++busy;
      vision_busy = true;
      vision_busy_since = Clock::now();
      room.notify_all();
    }
    process(item, *mine, generation);
    std::lock_guard lock(mutex);
    if (generation != vision_generation) {  // its frame was written off when it was abandoned
      --abandoned;
      return;
    }
    vision_busy = false;
    --busy;
    idle.notify_all();
  }
}

void Engine::Impl::restart_stalled_vision() {
  // All under the lock: shut() takes vision_thread under it too, so it never sees one being replaced.
  std::lock_guard lock(mutex);
  // One abandoned worker at a time: a model stuck for good would otherwise cost a thread per timeout.
  if (stopping || !vision_busy || abandoned > 0 || settings.stage_timeout.count() <= 0 ||
      Clock::now() - vision_busy_since < settings.stage_timeout)
    return;
  ++abandoned;
  // The stuck frame is written off; the worker keeps a reference to this Impl until it returns.
  const int generation = ++vision_generation;
  vision_busy = false;
  --busy;
  idle.notify_all();
  log::warn("live: a stalled vision worker is replaced",
            {{"session_id", settings.session_id}, {"stalled_ms", settings.stage_timeout.count()}});
  auto fresh = std::make_shared<Analysis>(settings, parts);
  std::thread next([self = shared_from_this(), generation, fresh] { self->vision_loop(generation, fresh); });
  vision_thread.detach();
  vision_thread = std::move(next);
  analysis = fresh;
  outbox.push_back(
      {"error",
       {{"stage", "vision"},
        {"message", fmt::format("a frame took over {} ms: the vision worker was restarted (tracks restart)",
                                settings.stage_timeout.count())}},
       -1,
       last_frame_t,
       now_ns()});
}

void Engine::Impl::speech_loop() {
  for (;;) {
    AudioItem item;
    {
      std::unique_lock lock(mutex);
      wake_speech.wait(lock, [&] { return stopping || !audio.empty(); });
      if (audio.empty()) break;
      item = std::move(audio.front());
      audio.pop_front();
      ++busy;
    }
    std::vector<EngineEvent> events;
    const auto started = Clock::now();
    try {
      for (auto& piece : speech->feed(item.samples, item.t_s)) {
        events.push_back({"transcript",
                          {{"final", piece.final},
                           {"text", piece.text},
                           {"words", piece.words},
                           {"start_s", piece.start_s},
                           {"end_s", piece.end_s}},
                          -1,
                          piece.end_s,
                          item.received_ns});
      }
    } catch (const std::exception& e) {
      events.push_back({"error", {{"stage", "asr"}, {"message", e.what()}}, -1, item.t_s, item.received_ns});
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    {
      std::lock_guard lock(mutex);
      auto& [sum, n] = window.stage_ms["asr"];
      sum += ms;
      ++n;
      if (stage_family) stage_family->with({"asr"}).observe(ms / 1000.0);
      --busy;
      idle.notify_all();
    }
    add(std::move(events));
  }
  std::vector<EngineEvent> last;
  try {
    for (auto& piece : speech->finish()) {
      last.push_back({"transcript",
                      {{"final", true},
                       {"text", piece.text},
                       {"words", piece.words},
                       {"start_s", piece.start_s},
                       {"end_s", piece.end_s}},
                      -1,
                      piece.end_s,
                      now_ns()});
    }
  } catch (const std::exception& e) {
    last.push_back({"error", {{"stage", "asr"}, {"message", e.what()}}, -1, 0, now_ns()});
  }
  add(std::move(last));
}

// Steps the profile down when drops passed the budget for step_down_after_s seconds in a row, and back
// up (never above the profile asked for) after step_up_after_s seconds without a drop.
void Engine::Impl::adapt(const Window& w) {
  if (!settings.adaptive) return;
  const double share = w.frames_in > 0 ? static_cast<double>(w.dropped) / static_cast<double>(w.frames_in) : 0;
  over_budget_s = share > settings.drop_budget ? over_budget_s + 1 : 0;
  quiet_s = w.dropped == 0 ? quiet_s + 1 : 0;
  std::optional<std::string> to;
  std::string reason;
  if (over_budget_s >= settings.step_down_after_s) {
    to = lower_profile(profile.name);
    reason = fmt::format("{:.0f}% of frames dropped for {} s", share * 100, over_budget_s);
  } else if (quiet_s >= settings.step_up_after_s && profile.name != ceiling) {
    to = higher_profile(profile.name);
    reason = fmt::format("no frame dropped for {} s", quiet_s);
  }
  if (!to) return;
  outbox.push_back({"profile", {{"from", profile.name}, {"to", *to}, {"reason", reason}}, -1, 0, now_ns()});
  log::info("live: session changes profile",
            {{"session_id", settings.session_id}, {"from", profile.name}, {"to", *to}, {"reason", reason}});
  profile = profile_named(*to);
  over_budget_s = quiet_s = 0;
}

json Engine::Impl::metric_event() {
  Window w;
  {
    std::lock_guard lock(mutex);
    w = std::move(window);
    window = Window{};
    adapt(w);
  }
  json stage = json::object();
  for (const auto& [name, sum_n] : w.stage_ms) stage[name] = sum_n.second ? sum_n.first / sum_n.second : 0.0;
  std::lock_guard lock(mutex);
  dropped_all += w.dropped;
  if (queue_depth) queue_depth->set(static_cast<double>(frames.size()));
  return {{"fps_in", w.frames_in},
          {"fps_out", w.frames_out},
          {"latency_ms", {{"p50", percentile(w.latency_ms, 0.5)}, {"p95", percentile(w.latency_ms, 0.95)}}},
          {"queue_depth", frames.size()},
          {"audio_queue_depth", audio.size()},
          {"dropped", w.dropped},
          {"dropped_total", dropped_all},
          {"profile", profile.name},
          {"stage_ms", stage}};
}

void Engine::Impl::emitter_loop() {
  auto next_metric = Clock::now() + std::chrono::seconds(1);
  for (;;) {
    restart_stalled_vision();
    std::vector<EngineEvent> batch;
    bool done = false;
    {
      std::unique_lock lock(mutex);
      wake_emitter.wait_until(lock, std::min(next_metric, Clock::now() + std::chrono::milliseconds(100)),
                              [&] { return !outbox.empty() || closing; });
      batch.swap(outbox);
      done = closing;
    }
    if (Clock::now() >= next_metric || done) {
      next_metric += std::chrono::seconds(1);
      if (Clock::now() > next_metric) next_metric = Clock::now() + std::chrono::seconds(1);
      json m = metric_event();
      {
        std::lock_guard lock(mutex);
        last_metric = m;
      }
      batch.push_back({"metric", std::move(m), -1, 0, now_ns()});
    }
    if (!batch.empty()) {
      try {
        sink(batch);
      } catch (const std::exception& e) {
        log::error("live: storing a session's events failed",
                   {{"session_id", settings.session_id}, {"error", e.what()}, {"events", batch.size()}});
      }
      const auto now = now_ns();
      std::lock_guard lock(mutex);
      for (const auto& e : batch) {
        if (e.frame_index < 0 || e.type == "metric") continue;
        const double ms = static_cast<double>(now - e.received_ns) / 1e6;
        window.latency_ms.push_back(ms);
        if (latency) latency->observe(ms / 1000.0);
      }
      idle.notify_all();
    }
    if (done) {
      std::lock_guard lock(mutex);
      if (outbox.empty()) return;
    }
  }
}

Engine::Engine(EngineSettings settings, EngineParts parts, Sink sink)
    : impl_(std::make_shared<Impl>(std::move(settings), std::move(parts), std::move(sink))) {
  auto& i = *impl_;
  if (i.settings.pipelines.count("asr")) {
    if (i.parts.speech) i.speech = i.parts.speech();
    if (!i.speech) i.add({{"error", {{"stage", "asr"}, {"message", "no speech recogniser in this build"}}, -1, 0, 0}});
  }
  i.vision_thread = std::thread([self = impl_, a = i.analysis] { self->vision_loop(0, a); });
  if (i.speech) i.speech_thread = std::thread([&i] { i.speech_loop(); });
  i.emitter_thread = std::thread([&i] { i.emitter_loop(); });
}

Engine::~Engine() { stop(); }

bool Engine::push_frame(vision::Image frame, std::int64_t index, double t_s) {
  auto& i = *impl_;
  std::lock_guard lock(i.mutex);
  if (i.stopping) return false;
  ++i.window.frames_in;
  if (i.frames_total) i.frames_total->inc();
  if (!i.due(t_s)) return true;  // the profile's rate skips it: not a drop
  return i.enqueue_dropping({std::move(frame), index, t_s, now_ns()});
}

bool Engine::push_frame_waiting(vision::Image frame, std::int64_t index, double t_s) {
  auto& i = *impl_;
  std::unique_lock lock(i.mutex);
  if (!i.due(t_s)) {
    ++i.window.frames_in;
    return !i.stopping;
  }
  i.room.wait(lock, [&] { return i.stopping || i.frames.size() < std::max<std::size_t>(1, i.settings.frame_queue); });
  if (i.stopping) return false;
  ++i.window.frames_in;
  if (i.frames_total) i.frames_total->inc();
  i.last_frame_t = t_s;
  i.frames.push_back({std::move(frame), index, t_s, now_ns()});
  i.wake_vision.notify_one();
  return true;
}

bool Engine::push_encoded(std::string bytes, std::int64_t index, double t_s) {
  auto& i = *impl_;
  std::lock_guard lock(i.mutex);
  if (i.stopping) return false;
  ++i.window.frames_in;
  if (i.frames_total) i.frames_total->inc();
  i.last_frame_t = t_s;
  return i.enqueue_dropping({std::move(bytes), index, t_s, now_ns()});
}

bool Engine::push_audio(std::vector<std::int16_t> samples, double t_s) {
  auto& i = *impl_;
  std::lock_guard lock(i.mutex);
  if (i.stopping || !i.speech) return false;
  bool kept = true;
  while (i.audio.size() >= std::max<std::size_t>(1, i.settings.audio_queue)) {
    i.audio.pop_front();
    kept = false;
  }
  i.audio.push_back({std::move(samples), t_s, now_ns()});
  i.wake_speech.notify_one();
  return kept;
}

void Engine::emit(std::string type, json data) { impl_->add({{std::move(type), std::move(data), -1, 0, now_ns()}}); }

void Engine::set_profile(const std::string& name) {
  const Profile p = profile_named(name);
  auto& i = *impl_;
  std::lock_guard lock(i.mutex);
  if (p.name == i.profile.name) return;
  i.outbox.push_back({"profile", {{"from", i.profile.name}, {"to", p.name}, {"reason", "asked"}}, -1, 0, now_ns()});
  i.profile = p;
  i.ceiling = p.name;
  i.wake_emitter.notify_one();
}

void Engine::drain(std::chrono::milliseconds limit) {
  auto& i = *impl_;
  std::unique_lock lock(i.mutex);
  i.idle.wait_for(lock, limit, [&] { return i.frames.empty() && i.audio.empty() && i.busy == 0 && i.outbox.empty(); });
}

void Engine::stop() { impl_->shut(true); }

void Engine::abandon() { impl_->shut(false); }

void Engine::Impl::shut(bool final) {
  auto& i = *this;
  std::thread vision;
  {
    std::lock_guard lock(i.mutex);
    if (i.stopping) return;
    i.stopping = true;
    vision = std::move(i.vision_thread);
    if (!final) {
      i.frames.clear();
      i.audio.clear();
    }
    i.wake_vision.notify_all();
    i.wake_speech.notify_all();
    i.room.notify_all();
  }
  if (vision.joinable()) vision.join();
  if (i.speech_thread.joinable()) i.speech_thread.join();
  std::vector<EngineEvent> last;
  if (final) {
    last = i.analysis->finish(i.last_frame_t);
    last.push_back({"summary", i.analysis->totals(), -1, i.last_frame_t, now_ns()});
  }
  {
    std::lock_guard lock(i.mutex);
    for (auto& e : last) i.outbox.push_back(std::move(e));
    i.closing = true;
    i.wake_emitter.notify_all();
  }
  if (i.emitter_thread.joinable()) i.emitter_thread.join();
}

std::string Engine::profile() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->profile.name;
}

json Engine::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_metric;
}

}  // namespace tyto::products::live
