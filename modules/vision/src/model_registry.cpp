// The model registry: load, self-test, serve, and hot-reload the models of config/models.json.
#include "tyto/vision/models.hpp"

#include "detail/detection.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace tyto::vision {
namespace {

namespace fs = std::filesystem;

struct Stats {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> total_ns{0};
};

// What the registry hands out: the detector, timed into its model's statistics.
class TimedDetector final : public detail::DeviceDetector {
 public:
  TimedDetector(std::shared_ptr<Detector> inner, std::shared_ptr<Stats> stats)
      : inner_(std::move(inner)), stats_(std::move(stats)) {}

  std::vector<Detection> detect(const Image& rgb) override {
    const auto start = std::chrono::steady_clock::now();
    auto out = inner_->detect(rgb);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
    stats_->total_ns.fetch_add(static_cast<std::uint64_t>(ns.count()), std::memory_order_relaxed);
    stats_->count.fetch_add(1, std::memory_order_relaxed);
    return out;
  }
  std::string_view kind() const override { return inner_->kind(); }
  std::string_view device() const noexcept override { return detector_device(*inner_); }

 private:
  std::shared_ptr<Detector> inner_;
  std::shared_ptr<Stats> stats_;
};

struct Stamp {
  bool exists = false;
  fs::file_time_type mtime{};
  std::uintmax_t size = 0;
  bool operator==(const Stamp&) const = default;
};

Stamp stamp_of(const fs::path& path) {
  std::error_code ec;
  Stamp s;
  if (path.empty() || !fs::is_regular_file(path, ec)) return s;
  s.mtime = fs::last_write_time(path, ec);
  s.size = fs::file_size(path, ec);
  s.exists = !ec;
  return s;
}

// The file's stamp if it holds still for a moment (a copy in progress is left for the next look), else nullopt.
std::optional<Stamp> settled_stamp(const fs::path& path) {
  const Stamp first = stamp_of(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const Stamp second = stamp_of(path);
  if (first == second) return first;
  return std::nullopt;
}

// A picture every kind can take: a gradient with a white square and a dark bar, at the model's input size.
Image self_test_image(const ModelSpec& spec) {
  Image image{std::clamp(spec.input_width, 64, 1920), std::clamp(spec.input_height, 64, 1920), 3, {}};
  image.pixels.resize(static_cast<std::size_t>(image.width) * image.height * 3);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const bool square = x > image.width / 4 && x < image.width / 2 && y > image.height / 4 && y < image.height / 2;
      const bool bar = x > image.width * 2 / 3 && x < image.width * 3 / 4 && y > image.height / 3;
      const auto v = static_cast<std::uint8_t>(square ? 255 : bar ? 20 : 60 + (x + y) % 120);
      std::fill_n(image.pixels.data() + (static_cast<std::size_t>(y) * image.width + x) * 3, 3, v);
    }
  return image;
}

// One detection on the generated image; decoders check the output's shape against the manifest and throw. Boxes,
// key points and masks must lie in the image.
void self_test(Detector& detector, const ModelSpec& spec) {
  const Image image = self_test_image(spec);
  for (const auto& d : detector.detect(image)) {
    const bool inside =
        d.box.x >= 0 && d.box.y >= 0 && d.box.x + d.box.width <= image.width && d.box.y + d.box.height <= image.height;
    if (!inside || !(d.score >= 0 && d.score <= 1) || d.label.empty())
      throw Error(ErrorCode::kInternal,
                  fmt::format("model {}: the self-test gave a detection out of bounds (score {}, label \"{}\")",
                              spec.name, d.score, d.label));
    for (const auto& k : d.keypoints)
      if (!(k.x >= 0 && k.x < image.width && k.y >= 0 && k.y < image.height && k.score >= 0 && k.score <= 1))
        throw Error(ErrorCode::kInternal, fmt::format("model {}: the self-test gave a key point out of bounds ({}, {}, "
                                                      "score {})",
                                                      spec.name, k.x, k.y, k.score));
    if (d.mask && (d.mask->width != image.width || d.mask->height != image.height || d.mask->channels != 1 ||
                   d.mask->pixels.size() != static_cast<std::size_t>(image.width) * image.height))
      throw Error(ErrorCode::kInternal,
                  fmt::format("model {}: the self-test gave a {}x{}x{} mask for a {}x{} image", spec.name,
                              d.mask->width, d.mask->height, d.mask->channels, image.width, image.height));
  }
}

}  // namespace

std::string_view event_kind_name(ModelEvent::Kind kind) noexcept {
  switch (kind) {
    case ModelEvent::Kind::kLoaded:
      return "loaded";
    case ModelEvent::Kind::kReloaded:
      return "reloaded";
    case ModelEvent::Kind::kFailed:
      return "failed";
    case ModelEvent::Kind::kRemoved:
      return "removed";
  }
  return "unknown";
}

struct ModelRegistry::Impl {
  struct Entry {
    ModelSpec spec;                      // the manifest's
    Stamp stamp;                         // of spec.path when last loaded (or tried)
    std::shared_ptr<Detector> detector;  // in service; null when none ever loaded
    std::shared_ptr<Stats> stats;
    std::string version;  // of the detector in service
    std::string error;    // the last load's failure
  };

  Options options;
  mutable std::mutex mutex;
  std::map<std::string, Entry, std::less<>> entries;  // guarded by mutex
  std::string file_error;                             // guarded by mutex: why the JSON file was rejected

  std::mutex reload_mutex;  // one load at a time; guards file_stamp
  Stamp file_stamp;

  std::mutex listeners_mutex;
  std::vector<std::function<void(const ModelEvent&)>> listeners;  // guarded by listeners_mutex

  std::mutex poller_mutex;
  std::condition_variable poller_cv;
  bool stopping = false;  // guarded by poller_mutex
  std::thread poller;

  std::vector<ModelSpec> read_file() const {
    std::ifstream in(options.file, std::ios::binary);
    if (!in) throw Error(ErrorCode::kUnavailable, fmt::format("{} cannot be read", options.file.string()));
    std::stringstream text;
    text << in.rdbuf();
    const fs::path base = fs::absolute(options.file).parent_path();
    return parse_models(text.str(), base, options.models_dir, options.file.filename().string());
  }

  void emit(const std::vector<ModelEvent>& events) {
    for (const auto& e : events) {
      const auto level = e.kind == ModelEvent::Kind::kFailed ? log::Level::kWarn : log::Level::kInfo;
      log::write(level, "model " + std::string(event_kind_name(e.kind)),
                 {{"model", e.model}, {"version", e.version}, {"message", e.message}});
    }
    std::vector<std::function<void(const ModelEvent&)>> copy;
    {
      std::lock_guard lock(listeners_mutex);
      copy = listeners;
    }
    for (const auto& e : events)
      for (const auto& l : copy) l(e);
  }

  // Loads what is new or changed; keeps what fails beside its old detector. Caller holds reload_mutex.
  std::vector<ModelEvent> apply(const std::vector<ModelSpec>& specs) {
    std::vector<ModelEvent> events;
    for (const auto& spec : specs) {
      Stamp stamp = stamp_of(spec.path);
      bool known = false;
      {
        std::lock_guard lock(mutex);
        const auto it = entries.find(spec.name);
        known = it != entries.end();
        if (known && it->second.spec == spec && it->second.stamp == stamp) continue;
      }
      const auto settled = settled_stamp(spec.path);
      if (!settled) continue;  // being written: the next look loads it
      stamp = *settled;
      std::shared_ptr<Detector> fresh;
      std::string error;
      try {
        auto loaded = load_detector(spec);
        self_test(*loaded, spec);
        fresh = std::move(loaded);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard lock(mutex);
      Entry& entry = entries[spec.name];
      entry.spec = spec;
      entry.stamp = stamp;
      entry.error = error;
      if (fresh) {
        entry.stats = std::make_shared<Stats>();
        entry.detector = std::make_shared<TimedDetector>(std::move(fresh), entry.stats);
        entry.version = spec.version;
        events.push_back(
            {spec.name, spec.version, known ? ModelEvent::Kind::kReloaded : ModelEvent::Kind::kLoaded,
             fmt::format("{} {} on {}", kind_name(spec.kind), spec.version, detector_device(*entry.detector))});
      } else {
        const std::string kept = entry.detector ? fmt::format(" (version {} stays in service)", entry.version) : "";
        events.push_back({spec.name, spec.version, ModelEvent::Kind::kFailed, error + kept});
      }
    }
    std::lock_guard lock(mutex);
    for (auto it = entries.begin(); it != entries.end();) {
      const bool listed =
          std::any_of(specs.begin(), specs.end(), [&](const ModelSpec& s) { return s.name == it->first; });
      if (listed) {
        ++it;
        continue;
      }
      events.push_back({it->first, it->second.version, ModelEvent::Kind::kRemoved, "no longer in the models file"});
      it = entries.erase(it);
    }
    return events;
  }

  void poll_loop() {
    std::unique_lock lock(poller_mutex);
    while (!poller_cv.wait_for(lock, options.poll_interval, [&] { return stopping; })) {
      lock.unlock();
      try {
        check();
      } catch (const std::exception& e) {
        log::error("model registry poll failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  }

  bool check() {
    std::lock_guard reload(reload_mutex);
    std::vector<ModelEvent> events;
    Stamp now = stamp_of(options.file);
    if (now != file_stamp) {
      const auto settled = settled_stamp(options.file);
      if (!settled) return false;  // being written: the next look reads it
      now = *settled;
      file_stamp = now;
      std::vector<ModelSpec> specs;
      try {
        if (now.exists) specs = read_file();
      } catch (const Error& e) {
        {
          std::lock_guard lock(mutex);
          file_error = e.what();
        }
        emit({{"", "", ModelEvent::Kind::kFailed, fmt::format("{} (every model in service stays)", e.what())}});
        return true;
      }
      {
        std::lock_guard lock(mutex);
        file_error.clear();
      }
      events = apply(specs);
    } else {
      std::vector<ModelSpec> specs;
      {
        std::lock_guard lock(mutex);
        for (const auto& [name, entry] : entries) specs.push_back(entry.spec);
      }
      events = apply(specs);
    }
    emit(events);
    return !events.empty();
  }
};

ModelRegistry::ModelRegistry(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  std::lock_guard reload(impl_->reload_mutex);
  impl_->file_stamp = stamp_of(impl_->options.file);
  if (!impl_->file_stamp.exists) {
    log::warn("no models file: no detection models", {{"file", impl_->options.file.string()}});
    return;
  }
  impl_->emit(impl_->apply(impl_->read_file()));  // a bad file throws: a configuration error stops the start
}

ModelRegistry::~ModelRegistry() { stop(); }

void ModelRegistry::start() {
  if (impl_->options.poll_interval.count() <= 0 || impl_->poller.joinable()) return;
  {
    std::lock_guard lock(impl_->poller_mutex);
    impl_->stopping = false;
  }
  impl_->poller = std::thread([this] { impl_->poll_loop(); });
}

void ModelRegistry::stop() {
  {
    std::lock_guard lock(impl_->poller_mutex);
    impl_->stopping = true;
  }
  impl_->poller_cv.notify_all();
  if (impl_->poller.joinable()) impl_->poller.join();
}

bool ModelRegistry::check_for_changes() { return impl_->check(); }

std::shared_ptr<Detector> ModelRegistry::get(std::string_view name) const { return acquire(name).detector; }

ModelRegistry::Served ModelRegistry::acquire(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->entries.find(name);
  if (it == impl_->entries.end())
    throw Error(ErrorCode::kNotFound, fmt::format("no model named \"{}\" in the models file", name), {{"model", name}});
  if (!it->second.detector)
    throw Error(ErrorCode::kUnavailable, fmt::format("model \"{}\" is not available: {}", name, it->second.error),
                {{"model", name}, {"reason", it->second.error}});
  return {it->second.detector, it->second.version};
}

std::vector<ModelInfo> ModelRegistry::list() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<ModelInfo> out;
  for (const auto& [name, e] : impl_->entries) {
    ModelInfo info{e.spec, "ok", e.error, e.version, "cpu"};
    if (!e.detector)
      info.state = "failed";
    else if (!e.error.empty())
      info.state = "stale";
    if (e.detector) {
      info.device = std::string(detector_device(*e.detector));
      info.inferences = e.stats->count.load(std::memory_order_relaxed);
      if (info.inferences > 0)
        info.mean_inference_ms = e.stats->total_ns.load(std::memory_order_relaxed) / 1e6 / info.inferences;
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ModelRegistry::readiness() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(impl_->mutex);
  if (!impl_->file_error.empty()) out.emplace_back("models", impl_->file_error);
  for (const auto& [name, e] : impl_->entries) {
    std::string state = "ok";
    if (!e.detector)
      state = "failed: " + e.error;
    else if (!e.error.empty())
      state = fmt::format("reload failed (version {} still serves): {}", e.version, e.error);
    out.emplace_back("models." + name, std::move(state));
  }
  return out;
}

void ModelRegistry::on_event(std::function<void(const ModelEvent&)> listener) {
  std::lock_guard lock(impl_->listeners_mutex);
  impl_->listeners.push_back(std::move(listener));
}

}  // namespace tyto::vision
