// What every running session shares, whatever its source: its engine's settings read from the session,
// the sink that stores its events (with the session's stats and checkpoint, in one transaction) and the
// webcam sessions this instance hosts for browsers connected to /ws/stream.
#pragma once

#include "engine.hpp"
#include "store.hpp"
#include "tyto/product.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace tyto::products::live {

struct LiveOptions {
  std::int64_t max_sessions = 8;  // sessions queued or running per tenant
  double detection_events_per_s = 5;
  std::int64_t webcam_idle_s = 30;  // a webcam session without a browser for this long ends
  std::int64_t max_frame_bytes = 4 << 20;
  std::int64_t max_audio_bytes = 20 << 20;
  double max_audio_s = 120;
  std::string chat_url;  // an OpenAI-compatible chat completions URL for summaries; empty: templates
  std::string chat_model = "local";
  bool snapshots = true;  // a snapshot object where a track starts (tracking sessions)
  std::int64_t snapshot_retention_hours = 168;
  double clip_seconds = 3;  // a clip of this many seconds before and after a track's start; 0: none
  std::int64_t clip_retention_hours = 72;
};

// A running session's link to storage: its sink remembers the last frame whose events are stored (the
// checkpoint) and whether a stop was asked (read from the row each time it stores).
struct SessionLink {
  std::string tenant_id;
  std::string session_id;
  std::atomic<bool> stop_requested{false};
  std::atomic<std::int64_t> last_frame{-1};
  std::atomic<std::int64_t> last_event_id{0};
  std::vector<std::pair<double, std::int64_t>> clip_requests;  // guarded by mutex: (media time, track id)
  nlohmann::json source_health = nlohmann::json::object();     // guarded by mutex
  std::mutex mutex;
};

class Runtime {
 public:
  Runtime(Services& services, LiveStore& store, EngineParts parts, LiveOptions options);
  ~Runtime();  // shutdown()
  // Ends the webcam sessions hosted here (stopped) and the sweeper. Idempotent.
  void shutdown();

  // The engine's settings for a session (pipelines, profile, zones, lines, models).
  EngineSettings settings_of(const Session& s) const;
  // Stores a batch: the events on the session's topic, the latest metric as stats, the checkpoint.
  Engine::Sink sink(std::shared_ptr<SessionLink> link);
  // Stores bytes as an object of the session's tenant and creator (the purpose's retention replaced by
  // retention_hours); answers its id. Blocks: never on an I/O thread.
  std::string store_object(const Session& s, const std::string& purpose, const std::string& filename,
                           const std::string& content_type, std::string bytes, std::int64_t retention_hours);
  // A new engine for a session, storing through sink(link). The runtime keeps a weak reference, to tell every
  // running session of this instance about models the registry reloads (a `model` event).
  std::shared_ptr<Engine> engine(const Session& s, std::shared_ptr<SessionLink> link);
  // Subscribes to the model registry's events once the first engine starts (the registry is the vision
  // module's, loaded when it starts): set by the product at install.
  std::function<void(std::function<void(const nlohmann::json&)>)> watch_models;

  // Webcam sessions hosted here: the engine a browser's frames go to. attach() starts it (and marks the
  // session running) when no browser was attached; detach() ends it once no browser came back within
  // webcam_idle_s. Throws Error(kConflict) for a session that ended.
  struct Webcam {
    std::shared_ptr<Engine> engine;
    std::shared_ptr<SessionLink> link;
    int browsers = 0;
    std::int64_t frame_index = 0;
    std::chrono::steady_clock::time_point left_at;
  };
  std::shared_ptr<Webcam> attach(const Session& s);
  void detach(const std::shared_ptr<Webcam>& w);
  // Ends webcam sessions whose browser left long ago or that were asked to stop; called every second.
  void sweep();
  // Ends a session hosted here now (stop asked through the API on this instance).
  void stop_local(const std::string& session_id);
  // The latest preview of a session running on this instance (JPEG), or nullopt.
  std::optional<std::string> preview(const std::string& session_id);
  void forget_preview(const std::string& session_id);
  // Asks a session to stop from an I/O thread: the sweeper writes it to the database within a second.
  void request_stop(const std::string& tenant_id, const std::string& session_id);

  const LiveOptions& options() const { return options_; }
  Services& services() { return s_; }
  LiveStore& store() { return store_; }
  const EngineParts& parts() const { return parts_; }

 private:
  void end_webcam(const std::string& id, const std::shared_ptr<Webcam>& w, const std::string& state);

  Services& s_;
  LiveStore& store_;
  EngineParts parts_;
  LiveOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Webcam>> webcams_;              // GUARDED_BY(mutex_)
  std::vector<std::pair<std::string, std::string>> stops_;              // GUARDED_BY(mutex_): (tenant, session) to stop
  std::map<std::string, std::shared_ptr<const std::string>> previews_;  // GUARDED_BY(mutex_)
  std::atomic<bool> quit_{false};
  std::once_flag watching_;
  // The engines running on this instance by session id, shared with the /metrics collector (which may outlive
  // the runtime: it then finds none).
  struct Engines {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<Engine>> by_session;  // GUARDED_BY(mutex)
  };
  std::shared_ptr<Engines> engines_ = std::make_shared<Engines>();
  std::thread sweeper_;
};

}  // namespace tyto::products::live
