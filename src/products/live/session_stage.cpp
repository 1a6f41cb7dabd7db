#include "session_stage.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/media/source.hpp"
#include "tyto/webhooks/signing.hpp"

#include <fmt/format.h>

#include <random>
#include <variant>

namespace tyto::products::live {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A cheap fingerprint of a frame's pixels (a sparse sample), to notice a picture that never changes.
std::uint64_t picture_hash(const vision::Image& image) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto& p = image.pixels;
  const std::size_t step = std::max<std::size_t>(1, p.size() / 4096);
  for (std::size_t i = 0; i < p.size(); i += step) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

std::vector<std::int16_t> to_pcm16(const std::vector<float>& samples) {
  std::vector<std::int16_t> out(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const float v = std::clamp(samples[i], -1.0f, 1.0f);
    out[i] = static_cast<std::int16_t>(v * 32767.0f);
  }
  return out;
}

// A file's failure as the session's error: over the profile's caps, or not decodable.
std::string decode_error(const Error& e) {
  return (e.code() == ErrorCode::kPayloadTooLarge ? "the source is over the profile's caps: "
                                                  : "the file cannot be decoded: ") +
         std::string(e.what());
}

// Why the stage stopped reading a source.
enum class Ending { kEnd, kStall, kStop, kCancel };

struct Run {
  pipeline::StageContext& ctx;
  Runtime& rt;
  const WatchdogOptions& o;
  Session session;
  Source source;
  std::shared_ptr<SessionLink> link;
  std::shared_ptr<Engine> engine;
  std::string url;                           // rtsp, http
  std::shared_ptr<const std::string> bytes;  // upload
  std::int64_t skip_until = -1;
  std::int64_t next_index = 0;  // live sources: frame indexes go on across reconnections
  std::string stall_reason;
  int reconnects = 0;

  bool file() const { return source.kind == "upload"; }
  void health(json h) {
    std::lock_guard lock(link->mutex);
    for (auto it = h.begin(); it != h.end(); ++it) link->source_health[it.key()] = it.value();
  }
  void source_event(const std::string& state, json data = json::object()) {
    data["state"] = state;
    data["kind"] = source.kind;
    health({{"state", state}, {"reconnects", reconnects}});
    engine->emit("source", std::move(data));
  }
  bool should_stop() { return link->stop_requested.load() || ctx.cancelled(); }
  Ending read(media::MediaSource& src);
  void clips(media::MediaSource& src, double now_s);
  double last_clip_s = -1e9;
};

Ending Run::read(media::MediaSource& src) {
  double last_pts = -1;
  auto pts_moved_at = Clock::now();
  std::uint64_t last_hash = 0;
  auto picture_changed_at = Clock::now();
  for (;;) {
    if (should_stop()) return ctx.cancelled() ? Ending::kCancel : Ending::kStop;
    std::optional<media::MediaItem> item;
    try {
      item = src.next();
    } catch (const Error& e) {
      stall_reason = e.details().value("reason", std::string("read_failed")) + ": " + e.what();
      if (file()) throw;
      return Ending::kStall;
    }
    if (!item) {
      if (file()) return Ending::kEnd;
      stall_reason = "the stream ended";
      return Ending::kStall;
    }
    if (auto* audio = std::get_if<media::AudioChunk>(&*item)) {
      engine->push_audio(to_pcm16(audio->samples), audio->pts_s);
      continue;
    }
    auto& frame = std::get<media::VideoFrame>(*item);
    const std::int64_t index = file() ? frame.index : next_index++;
    if (frame.pts_s > last_pts) {
      last_pts = frame.pts_s;
      pts_moved_at = Clock::now();
    } else if (!file() && std::chrono::duration<double>(Clock::now() - pts_moved_at).count() > o.stuck_clock_s) {
      stall_reason = "timestamps stopped advancing";
      return Ending::kStall;
    }
    if (!file() && o.frozen_frame_s > 0) {
      const auto h = picture_hash(frame.image);
      if (h != last_hash) {
        last_hash = h;
        picture_changed_at = Clock::now();
      } else if (std::chrono::duration<double>(Clock::now() - picture_changed_at).count() > o.frozen_frame_s) {
        stall_reason = "the picture stopped changing";
        return Ending::kStall;
      }
    }
    if (index <= skip_until) continue;  // stored before a crash: its events exist
    clips(src, frame.pts_s);
    if (file()) {
      engine->push_frame_waiting(std::move(frame.image), index, frame.pts_s);
    } else {
      engine->push_frame(std::move(frame.image), index, frame.pts_s);
    }
  }
}

// The clips asked for by tracks that started (SessionLink::clip_requests), written once the source is past
// their end: the encoded video around the start, remuxed (no re-encode), at most one every 10 s.
void Run::clips(media::MediaSource& src, double now_s) {
  const double around = rt.options().clip_seconds;
  if (around <= 0 || !src.clip_buffer()) return;
  std::vector<std::pair<double, std::int64_t>> due;
  {
    std::lock_guard lock(link->mutex);
    auto& asked = link->clip_requests;
    for (auto it = asked.begin(); it != asked.end();) {
      if (it->first + around <= now_s) {
        due.push_back(*it);
        it = asked.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [t, track] : due) {
    if (t - last_clip_s < 10) continue;
    last_clip_s = t;
    try {
      std::string mp4 = src.clip(std::max(0.0, t - around), t + around);
      const auto id = rt.store_object(session, "video", fmt::format("live-{}-clip-{:.1f}.mp4", session.id, t),
                                      "video/mp4", std::move(mp4), rt.options().clip_retention_hours);
      engine->emit(
          "clip",
          {{"object_id", id}, {"track_id", track}, {"from_s", std::max(0.0, t - around)}, {"to_s", t + around}});
    } catch (const std::exception& e) {
      ctx.log(log::Level::kWarn, "live: a clip could not be written", {{"error", e.what()}});
    }
  }
}

}  // namespace

void SessionStage::register_stages(pipeline::StageRegistry& stages) {
  stages.add({"live.session",
              "Runs a live session of an RTSP, HTTP or uploaded-file source until it ends or is stopped",
              {{"type", "object"},
               {"additionalProperties", false},
               {"required", {"session_id"}},
               {"properties", {{"session_id", {{"type", "string"}}}}}},
              {{"type", "object"}},
              [this](pipeline::StageContext& ctx, const json& input) { return run(ctx, input); }});
}

json SessionStage::run(pipeline::StageContext& ctx, const json& input) {
  auto& store = rt_.store();
  auto& s = rt_.services();
  const std::string id = input.at("session_id");
  auto session = store.session(ctx.tenant_id(), id);
  if (!session) throw pipeline::StageError("not_found", "no such session", false);
  if (session->ended()) return {{"state", session->state}};
  auto source = store.source(ctx.tenant_id(), session->source_id);
  if (!source) throw pipeline::StageError("not_found", "the session's source is gone", false);

  Run run{ctx, rt_, options_, *session, *source, std::make_shared<SessionLink>(), nullptr, {}, {}, -1, 0, {}, 0};
  run.link->tenant_id = session->tenant_id;
  run.link->session_id = session->id;
  if (session->checkpoint.is_object()) run.skip_until = session->checkpoint.value("frame_index", std::int64_t{-1});
  run.link->last_frame = run.skip_until;
  run.next_index = run.skip_until + 1;
  const auto finish = [&](const std::string& state, const std::optional<std::string>& error) {
    auto tx = s.db.begin(storage::TxMode::kWrite);
    if (store.finish(*tx, session->tenant_id, session->id, state, error)) {
      json data = {{"state", state}};
      if (error) data["error"] = *error;
      s.events.commit(*tx, {{session->tenant_id, session_topic(session->id), "session", data}});
    } else {
      tx->commit();
    }
  };
  if (session->stop_requested) {
    finish("stopped", std::nullopt);
    return {{"state", "stopped"}};
  }
  try {
    if (source->kind == "upload") {
      run.bytes = std::make_shared<const std::string>(
          ctx.artifacts().get(*source->object_id, static_cast<std::size_t>(options_.max_file_bytes)));
    } else {
      run.url = s.secrets.open(*source->url_sealed);
    }
  } catch (const std::exception& e) {
    finish("failed", std::string("the source cannot be read: ") + e.what());
    return {{"state", "failed"}};
  }
  {
    auto tx = s.db.begin(storage::TxMode::kWrite);
    store.set_running(*tx, session->tenant_id, session->id);
    json data = {{"state", "running"}, {"attempt", ctx.attempt()}};
    if (run.skip_until >= 0) data["resumed_after_frame"] = run.skip_until;
    s.events.commit(*tx, {{session->tenant_id, session_topic(session->id), "session", data}});
  }
  run.engine = rt_.engine(*session, run.link);
  auto& running =
      ctx.metrics().gauge("tyto_live_sessions_running", "Live sessions running on this instance", {}).with({});
  running.inc();
  struct Dec {
    metrics::Gauge& g;
    ~Dec() { g.dec(); }
  } dec{running};
  const auto settings = rt_.settings_of(*session);
  const Profile profile = profile_named(settings.profile);
  std::mt19937 random(std::random_device{}());
  auto backoff = options_.backoff_first;
  Ending ending = Ending::kStall;
  std::optional<std::string> error;
  bool stalled = false;
  while (ending == Ending::kStall) {
    media::SourceOptions so;
    if (run.file()) {
      so.bytes = run.bytes;
    } else {
      so.url = run.url;
      so.name = source->url_shown.value_or(source->name);
      so.transport =
          source->options.value("transport", "tcp") == "udp" ? media::Transport::kUdp : media::Transport::kTcp;
    }
    so.open_timeout = options_.open_timeout;
    so.read_timeout = options_.read_timeout;
    so.caps.output_max_width = profile.max_width;
    so.caps.output_max_height = profile.max_height;
    so.caps.max_width = profile.max_input_width;
    so.caps.max_height = profile.max_input_height;
    so.caps.max_bitrate = profile.max_bitrate;
    if (run.file()) so.caps.max_duration_s = options_.max_file_seconds;
    so.want_audio = settings.pipelines.count("asr") > 0;
    so.want_video = settings.pipelines.size() > (so.want_audio ? 1u : 0u);
    if (rt_.options().clip_seconds > 0 && settings.pipelines.count("track"))
      so.clip.seconds = 2 * rt_.options().clip_seconds + 2;
    so.should_stop = [&run] { return run.should_stop(); };  // reaches an open() that interrupt() cannot
    std::unique_ptr<media::MediaSource> src;
    try {
      src = media::MediaSource::open(so);
    } catch (const Error& e) {
      if (run.file()) {
        error = decode_error(e);
        ending = Ending::kEnd;
        break;
      }
      run.stall_reason = e.details().value("reason", std::string("unreachable")) + ": " + e.what();
    }
    if (src) {
      if (stalled) {
        run.source_event("recovered", {{"reconnects", run.reconnects}});
      } else {
        const auto info = src->info();
        run.source_event("connected", {{"width", info.width}, {"height", info.height}, {"fps", info.fps}});
      }
      stalled = false;
      backoff = options_.backoff_first;
      try {
        ending = run.read(*src);
      } catch (const Error& e) {
        error = decode_error(e);
        ending = Ending::kEnd;
      }
      if (ending != Ending::kStall) break;
    }
    if (run.should_stop()) {
      ending = ctx.cancelled() ? Ending::kCancel : Ending::kStop;
      break;
    }
    // Jittered exponential backoff: a uniform wait in [backoff/2, backoff], then the backoff doubles.
    if (!stalled) run.source_event("stalled", {{"reason", run.stall_reason}});
    stalled = true;
    ++run.reconnects;
    ctx.metrics()
        .counter("tyto_live_reconnects_total", "Sources of live sessions reopened after a stall", {"kind"})
        .with({source->kind})
        .inc();
    const auto wait = std::chrono::milliseconds(
        std::uniform_int_distribution<std::int64_t>(backoff.count() / 2, backoff.count())(random));
    run.source_event("reconnecting",
                     {{"reason", run.stall_reason}, {"in_ms", wait.count()}, {"attempt", run.reconnects}});
    ctx.log(log::Level::kInfo, "live: reconnecting a source",
            {{"session_id", session->id}, {"reason", run.stall_reason}, {"in_ms", wait.count()}});
    if (!ctx.sleep_for(wait)) {
      ending = Ending::kCancel;
      break;
    }
    if (run.link->stop_requested) {
      ending = Ending::kStop;
      break;
    }
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
  if (ending == Ending::kCancel && !run.link->stop_requested) {
    // Shutdown or a lost lease: the session goes on elsewhere from its checkpoint; no summary here.
    run.engine->abandon();
    rt_.forget_preview(session->id);
    ctx.check_cancelled();
  }
  run.engine->drain(std::chrono::seconds(30));
  run.engine->stop();
  rt_.forget_preview(session->id);
  const std::string state = error ? "failed" : (ending == Ending::kEnd ? "finished" : "stopped");
  finish(state, error);
  return {{"state", state}, {"last_frame", run.link->last_frame.load()}, {"reconnects", run.reconnects}};
}

}  // namespace tyto::products::live
