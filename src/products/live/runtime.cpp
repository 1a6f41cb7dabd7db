#include "runtime.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/objects/catalog.hpp"

#include <fmt/format.h>

#include <cstring>

#include <algorithm>
#include <thread>

namespace tyto::products::live {

using nlohmann::json;

Runtime::Runtime(Services& services, LiveStore& store, EngineParts parts, LiveOptions options)
    : s_(services), store_(store), parts_(std::move(parts)), options_(std::move(options)) {
  // Per-session figures of the sessions running here, read at scrape time from each engine's last metric
  // event: no series outlives its session.
  s_.metrics.add_collector([engines = engines_](std::string& out) {
    std::vector<std::pair<std::string, nlohmann::json>> running;
    {
      std::lock_guard lock(engines->mutex);
      for (const auto& [id, weak] : engines->by_session)
        if (auto e = weak.lock()) running.emplace_back(id, e->stats());
    }
    const std::pair<const char*, const char*> gauges[] = {
        {"fps_in", "Frames a running live session took in during its last second"},
        {"fps_out", "Frames a running live session analysed during its last second"},
        {"queue_depth", "Frames waiting in a running live session's queue"},
        {"dropped_total", "Frames a running live session dropped so far"}};
    for (const auto& [name, help] : gauges) {
      out += fmt::format("# HELP tyto_live_session_{} {}\n# TYPE tyto_live_session_{} gauge\n", name, help, name);
      for (const auto& [id, stats] : running)
        if (stats.contains(name))
          out += fmt::format("tyto_live_session_{}{{session=\"{}\"}} {}\n", name, id, stats[name].dump());
    }
    out +=
        "# HELP tyto_live_session_latency_seconds Capture-to-event latency of a running live session's last second\n"
        "# TYPE tyto_live_session_latency_seconds gauge\n";
    for (const auto& [id, stats] : running) {
      if (!stats.contains("latency_ms")) continue;
      for (const char* q : {"p50", "p95"}) {
        out += fmt::format("tyto_live_session_latency_seconds{{session=\"{}\",quantile=\"{}\"}} {}\n", id,
                           q == std::string("p50") ? "0.5" : "0.95", stats["latency_ms"].value(q, 0.0) / 1000.0);
      }
    }
  });
  sweeper_ = std::thread([this] {
    while (!quit_) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      try {
        sweep();
      } catch (const std::exception& e) {
        log::warn("live: sweeping webcam sessions failed", {{"error", e.what()}});
      }
    }
  });
}

Runtime::~Runtime() { shutdown(); }

void Runtime::shutdown() {
  quit_ = true;
  if (sweeper_.joinable()) sweeper_.join();
  std::map<std::string, std::shared_ptr<Webcam>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(webcams_);
  }
  for (auto& [id, w] : left) {
    try {
      end_webcam(id, w, "stopped");
    } catch (const std::exception& e) {
      log::warn("live: ending a webcam session at shutdown failed", {{"session_id", id}, {"error", e.what()}});
    }
  }
}

EngineSettings Runtime::settings_of(const Session& s) const {
  EngineSettings e;
  for (const auto& p : s.settings.value("pipelines", json::array())) e.pipelines.insert(p.get<std::string>());
  e.profile = s.profile.empty() ? s.settings.value("profile", "fast") : s.profile;
  e.zones = s.settings.value("zones", json::array());
  e.lines = s.settings.value("lines", json::array());
  const json models = s.settings.value("models", json::object());
  e.detect_model = models.value("detect", e.detect_model);
  e.face_model = models.value("faces", e.face_model);
  e.detection_events_per_s = options_.detection_events_per_s;
  e.session_id = s.id;
  // A live source's frames wait for one in analysis at most: when analysis is slower than the source, a
  // deeper queue only adds latency (each frame would wait for those before it) and the freshest frame wins.
  // A file's frames wait for room instead of dropping, so a few queued keep the decoder ahead.
  e.frame_queue = s.source_kind == "upload" ? 3 : 1;
  return e;
}

Engine::Sink Runtime::sink(std::shared_ptr<SessionLink> link) {
  return [this, link](std::vector<EngineEvent> batch) {
    std::vector<events::NewEvent> pending;
    json stats;
    const std::string topic = session_topic(link->session_id);
    std::int64_t last_frame = link->last_frame;
    std::string profile;
    for (auto& e : batch) {
      if (e.type == "metric") {
        stats = e.data;
        profile = e.data.value("profile", "");
      }
      if (e.frame_index > last_frame) last_frame = e.frame_index;
      if (e.type == "track" && e.data.value("state", "") == "started") {
        std::lock_guard lock(link->mutex);
        link->clip_requests.emplace_back(e.t_s, e.data.value("track_id", std::int64_t{0}));
      }
      pending.push_back({link->tenant_id, topic, std::move(e.type), std::move(e.data)});
    }
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    if (!stats.is_null()) {
      {
        std::lock_guard lock(link->mutex);
        stats["source"] = link->source_health;
      }
      const auto current = store_.session(*tx, link->tenant_id, link->session_id);
      if (!current) return;
      if (profile.empty()) profile = current->profile;
      const json checkpoint = {{"frame_index", last_frame}};
      if (store_.update(*tx, link->tenant_id, link->session_id, stats, profile, checkpoint))
        link->stop_requested = true;
    } else if (last_frame > link->last_frame) {
      // Every batch that stores a frame's events moves the checkpoint with it: a session resumed after a crash
      // starts after the last frame whose events exist, and repeats none.
      store_.set_checkpoint(*tx, link->tenant_id, link->session_id, {{"frame_index", last_frame}});
    }
    const auto committed = s_.events.commit(*tx, pending);
    link->last_frame = last_frame;
    if (!committed.empty()) link->last_event_id = committed.back().id;
  };
}

std::string Runtime::store_object(const Session& s, const std::string& purpose, const std::string& filename,
                                  const std::string& content_type, std::string bytes, std::int64_t retention_hours) {
  objects::NewObject spec;
  spec.tenant_id = s.tenant_id;
  spec.owner_id = s.created_by;
  spec.purpose = purpose;
  spec.filename = filename;
  spec.content_type = content_type;
  spec.retention_hours = static_cast<int>(retention_hours);
  std::size_t at = 0;
  return s_.objects
      .put_object(spec,
                  [&](char* buf, std::size_t cap) {
                    const std::size_t n = std::min(cap, bytes.size() - at);
                    std::memcpy(buf, bytes.data() + at, n);
                    at += n;
                    return n;
                  })
      .id;
}

std::shared_ptr<Engine> Runtime::engine(const Session& s, std::shared_ptr<SessionLink> link) {
  if (watch_models) {
    std::call_once(watching_, [this] {
      watch_models([engines = engines_](const nlohmann::json& event) {
        std::lock_guard lock(engines->mutex);
        for (const auto& [id, weak] : engines->by_session)
          if (auto e = weak.lock()) e->emit("model", event);
      });
    });
  }
  EngineParts parts = parts_;
  if (s.source_kind != "webcam") {  // a browser has its webcam's picture already
    parts.preview = [this, id = s.id](std::string jpeg) {
      auto shared = std::make_shared<const std::string>(std::move(jpeg));
      std::lock_guard lock(mutex_);
      previews_[id] = std::move(shared);
    };
  }
  if (options_.snapshots) {
    parts.snapshot = [this, s, count = std::make_shared<int>(0)](std::string jpeg) {
      return store_object(s, "image", fmt::format("live-{}-snapshot-{}.jpg", s.id, ++*count), "image/jpeg",
                          std::move(jpeg), options_.snapshot_retention_hours);
    };
  }
  auto made = std::make_shared<Engine>(settings_of(s), std::move(parts), sink(std::move(link)));
  std::lock_guard lock(engines_->mutex);
  std::erase_if(engines_->by_session, [](const auto& kv) { return kv.second.expired(); });
  engines_->by_session[s.id] = made;
  return made;
}

std::shared_ptr<Runtime::Webcam> Runtime::attach(const Session& s) {
  if (s.ended()) throw Error(ErrorCode::kConflict, "the session has ended", {{"state", s.state}});
  std::lock_guard lock(mutex_);
  auto& w = webcams_[s.id];
  if (!w) {
    w = std::make_shared<Webcam>();
    w->link = std::make_shared<SessionLink>();
    w->link->tenant_id = s.tenant_id;
    w->link->session_id = s.id;
    w->engine = engine(s, w->link);
    s_.metrics.gauge("tyto_live_sessions_running", "Live sessions running on this instance", {}).with({}).inc();
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.set_running(*tx, s.tenant_id, s.id);
    s_.events.commit(*tx, {{s.tenant_id, session_topic(s.id), "session", {{"state", "running"}}},
                           {s.tenant_id, session_topic(s.id), "source", {{"state", "connected"}, {"kind", "webcam"}}}});
  }
  ++w->browsers;
  return w;
}

void Runtime::detach(const std::shared_ptr<Webcam>& w) {
  std::lock_guard lock(mutex_);
  if (--w->browsers == 0) w->left_at = std::chrono::steady_clock::now();
}

void Runtime::end_webcam(const std::string& id, const std::shared_ptr<Webcam>& w, const std::string& state) {
  w->engine->stop();
  s_.metrics.gauge("tyto_live_sessions_running", "Live sessions running on this instance", {}).with({}).dec();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  if (store_.finish(*tx, w->link->tenant_id, id, state, std::nullopt)) {
    s_.events.commit(*tx, {{w->link->tenant_id, session_topic(id), "session", {{"state", state}}}});
  } else {
    tx->commit();
  }
}

void Runtime::request_stop(const std::string& tenant_id, const std::string& session_id) {
  std::lock_guard lock(mutex_);
  stops_.emplace_back(tenant_id, session_id);
  if (auto it = webcams_.find(session_id); it != webcams_.end()) it->second->link->stop_requested = true;
}

void Runtime::sweep() {
  std::vector<std::pair<std::string, std::shared_ptr<Webcam>>> ending;
  std::vector<std::string> stopped;
  std::vector<std::pair<std::string, std::string>> stops;
  {
    std::lock_guard lock(mutex_);
    stops.swap(stops_);
  }
  for (const auto& [tenant, id] : stops) {
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.request_stop(*tx, tenant, id);
    tx->commit();
  }
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = webcams_.begin(); it != webcams_.end();) {
      auto& w = it->second;
      const bool gone = w->browsers == 0 &&
                        now - w->left_at > std::chrono::seconds(std::max<std::int64_t>(1, options_.webcam_idle_s));
      if (gone || w->link->stop_requested) {
        ending.emplace_back(it->first, w);
        if (w->link->stop_requested) stopped.push_back(it->first);
        it = webcams_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [id, w] : ending) {
    const bool asked = std::find(stopped.begin(), stopped.end(), id) != stopped.end();
    end_webcam(id, w, asked ? "stopped" : "finished");
  }
}

std::optional<std::string> Runtime::preview(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  const auto it = previews_.find(session_id);
  if (it == previews_.end()) return std::nullopt;
  return *it->second;
}

void Runtime::forget_preview(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  previews_.erase(session_id);
}

void Runtime::stop_local(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  if (auto it = webcams_.find(session_id); it != webcams_.end()) it->second->link->stop_requested = true;
}

}  // namespace tyto::products::live
