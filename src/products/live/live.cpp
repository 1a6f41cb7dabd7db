#include "live.hpp"

#include "routes.hpp"
#include "runtime.hpp"
#include "session_stage.hpp"
#include "speech.hpp"
#include "store.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/core/error.hpp"
#include "tyto/modules/vision.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/vision/models.hpp"

#include <stdexcept>

namespace tyto {
std::span<const EmbeddedFile> embedded_live_migrations();
std::span<const EmbeddedFile> embedded_live_pipelines();
std::span<const EmbeddedFile> embedded_live_console();
}  // namespace tyto

namespace tyto::products {

using namespace live;
using nlohmann::json;

namespace {

// Sources and sessions are the tenant's: erasing a user keeps them without their creator.
class LivePersonalData final : public api::PersonalData {
 public:
  explicit LivePersonalData(LiveStore& store) : store_(store) {}
  std::string_view section() const override { return "live"; }
  api::ExportPart export_user(const std::string& user_id) override {
    api::ExportPart part{{{"sources", json::array()}, {"sessions", json::array()}}, {}};
    for (const auto& s : store_.sources_created_by(user_id)) part.data["sources"].push_back(source_json(s));
    for (const auto& s : store_.sessions_created_by(user_id)) part.data["sessions"].push_back(session_json(s));
    return part;
  }
  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) override {
    store_.forget_user(tx, user_id);
  }

 private:
  LiveStore& store_;
};

}  // namespace

struct Live::State {
  State(Services& s, EngineParts parts, SpeechParts speech, LiveOptions options, WatchdogOptions watchdog)
      : store(s.db),
        runtime(s, store, std::move(parts), std::move(options)),
        stage(runtime, watchdog),
        routes(runtime, std::move(speech.transcribe), std::move(speech.decode)),
        personal(store) {}
  LiveStore store;
  Runtime runtime;
  SessionStage stage;
  Routes routes;
  LivePersonalData personal;
};

Live::Live() = default;
Live::~Live() = default;

std::span<const EmbeddedFile> Live::migrations() const { return embedded_live_migrations(); }

std::vector<ComponentOption> Live::options() {
  return {{"max_sessions", "integer", 8, "Sessions a tenant may have queued or running at once"},
          {"detection_events_per_s", "number", 5.0,
           "Detection events a session stores per second at most (track, zone and line events are always stored)"},
          {"webcam_idle_s", "integer", 30, "A webcam session whose browser left ends after this many seconds"},
          {"max_frame_bytes", "integer", 4 << 20, "The largest image POST /api/v1/analyze/frame takes"},
          {"max_audio_bytes", "integer", 20 << 20, "The largest clip POST /api/v1/analyze/audio takes"},
          {"max_audio_s", "number", 120.0, "The longest clip POST /api/v1/analyze/audio transcribes"},
          {"read_timeout_ms", "integer", 5000,
           "A source that delivers nothing for this long is stalled and reopened (RTSP, HTTP)"},
          {"frozen_frame_s", "number", 10.0,
           "A live source whose picture does not change for this long is stalled and reopened; 0: never"},
          {"chat_url", "string", "",
           "An OpenAI-compatible chat completions URL (a local server) that writes session summaries; empty: "
           "templates"},
          {"chat_model", "string", "local", "The model named in requests to chat_url"},
          {"snapshots", "boolean", true,
           "Store a snapshot (the frame with its boxes drawn) where a track starts, at most one a second"},
          {"snapshot_retention_hours", "integer", 168, "How long snapshots are kept (0: until deleted)"},
          {"clip_seconds", "number", 3.0,
           "Store a clip of this many seconds before and after a track's start, remuxed from the source's encoded "
           "video (RTSP, HTTP and file sessions); 0: none"},
          {"clip_retention_hours", "integer", 72, "How long clips are kept (0: until deleted)"}};
}

std::vector<pipeline::PipelineFile> Live::pipelines() const {
  return pipeline::pipeline_files(embedded_live_pipelines(), "src/products/live/pipelines");
}

std::vector<api::PersonalData*> Live::personal_data() { return {&state_->personal}; }

std::vector<ConsolePage> Live::console_pages() const {
  return {{"live.sessions", "Sessions", "Live", auth::Role::kViewer, "/console/products/live/sessions.js"},
          {"live.webcam", "Webcam", "Live", auth::Role::kUser, "/console/products/live/webcam.js"}};
}

std::span<const EmbeddedFile> Live::console_files() const { return embedded_live_console(); }

void Live::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  auto* vision = services.module<modules::VisionModule>();
  if (!vision) throw std::runtime_error("the live product needs the vision module (modules/vision)");
  const auto option = [&](const char* key) { return services.config.option(std::string("products.live.") + key); };
  LiveOptions o;
  o.max_sessions = option("max_sessions").get<std::int64_t>();
  o.detection_events_per_s = option("detection_events_per_s").get<double>();
  o.webcam_idle_s = option("webcam_idle_s").get<std::int64_t>();
  o.max_frame_bytes = option("max_frame_bytes").get<std::int64_t>();
  o.max_audio_bytes = option("max_audio_bytes").get<std::int64_t>();
  o.max_audio_s = option("max_audio_s").get<double>();
  o.chat_url = option("chat_url").get<std::string>();
  o.chat_model = option("chat_model").get<std::string>();
  o.snapshots = option("snapshots").get<bool>();
  o.snapshot_retention_hours = option("snapshot_retention_hours").get<std::int64_t>();
  o.clip_seconds = option("clip_seconds").get<double>();
  o.clip_retention_hours = option("clip_retention_hours").get<std::int64_t>();
  WatchdogOptions w;
  w.read_timeout = std::chrono::milliseconds(option("read_timeout_ms").get<std::int64_t>());
  w.frozen_frame_s = option("frozen_frame_s").get<double>();
  EngineParts parts;
  // A model the registry does not list, or one without a working detector, is none: the session says so once.
  parts.detector = [vision](const std::string& name) -> std::shared_ptr<vision::Detector> {
    try {
      return vision->models().get(name);
    } catch (const Error&) {
      return nullptr;
    }
  };
  parts.metrics = &services.metrics;
  auto speech = speech_parts(services.modules);
  parts.speech = speech.stream;
  state_ = std::make_unique<State>(services, std::move(parts), std::move(speech), std::move(o), w);
  state_->stage.register_stages(stages);
  state_->routes.install(router);
}

void Live::stop() {
  if (state_) state_->runtime.shutdown();
}

}  // namespace tyto::products
