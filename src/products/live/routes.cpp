// Routes of sources, sessions and one-shot analysis (docs/products/live-sessions.md).
#include "routes.hpp"

#include "analysis.hpp"
#include "summary.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/api/streams.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/multipart.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/http/page.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/vision/overlay.hpp"
#include "tyto/webhooks/signing.hpp"

#include <fmt/format.h>

#include <charconv>
#include <regex>

namespace tyto::products::live {
namespace {

using nlohmann::json;

const std::set<std::string> kPipelines = {"detect", "track", "motion", "faces", "asr"};
const std::set<std::string> kEventTypes = {"detection",  "track",   "zone",   "line",    "motion",
                                           "transcript", "metric",  "source", "summary", "profile",
                                           "error",      "session", "clip",   "model"};

json source_body_schema() {
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"kind", "name"}},
          {"properties",
           {{"kind", {{"type", "string"}, {"enum", {"rtsp", "http", "upload", "webcam"}}}},
            {"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
            {"url", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}}},
            {"object_id", {{"type", "string"}}},
            {"transport", {{"type", "string"}, {"enum", {"tcp", "udp"}}}}}}};
}

json session_body_schema() {
  const json names = {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}};
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"source_id"}},
          {"properties",
           {{"source_id", {{"type", "string"}}},
            {"pipelines",
             {{"type", "array"},
              {"minItems", 1},
              {"maxItems", 5},
              {"items", {{"type", "string"}, {"enum", {"detect", "track", "motion", "faces", "asr"}}}}}},
            {"profile", {{"type", "string"}, {"enum", {"fast", "accurate", "cpu-only"}}}},
            {"zones", {{"type", "array"}, {"maxItems", 64}}},
            {"lines", {{"type", "array"}, {"maxItems", 64}}},
            {"models",
             {{"type", "object"},
              {"additionalProperties", false},
              {"properties", {{"detect", names}, {"faces", names}}}}}}}};
}

json event_schema() {
  return {{"type", "object"},
          {"properties",
           {{"seq", {{"type", "integer"}}},
            {"type", {{"type", "string"}}},
            {"time", {{"type", "string"}}},
            {"data", {{"type", "object"}}}}}};
}

// The URL of an rtsp or http source: its scheme, a host, no control characters.
std::optional<std::string> url_problem(const std::string& kind, const std::string& url) {
  static const std::regex rtsp(R"(^rtsps?://[^\s/?#]+(/[^\s]*)?$)", std::regex::icase);
  static const std::regex http(R"(^https?://[^\s/?#]+(/[^\s]*)?$)", std::regex::icase);
  for (const unsigned char c : url)
    if (c < 0x20 || c == 0x7f) return "control characters";
  if (kind == "rtsp" && !std::regex_match(url, rtsp)) return "an rtsp:// or rtsps:// URL with a host";
  if (kind == "http" && !std::regex_match(url, http)) return "an http:// or https:// URL with a host";
  return std::nullopt;
}

// The host of a URL (without user information and port), for the outbound guard.
std::string url_host(std::string_view url) {
  auto rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return std::string(rest.substr(1, rest.find(']') - 1));
  return std::string(rest.substr(0, rest.find(':')));
}

bool well_formed_seq(std::string_view c) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
  return ec == std::errc() && end == c.data() + c.size() && v >= 0;
}

// Raw image bytes from the body, or from its multipart field "image".
std::string image_bytes(const http::Request& req) {
  const auto type = std::string(req.headers.get("Content-Type").value_or(""));
  if (type.rfind("multipart/form-data", 0) == 0) {
    auto part = http::multipart_field(type, req.body, "image");
    if (!part) {
      throw Error(ErrorCode::kValidationFailed, "no image",
                  {{"fields", {{"image", "a multipart field named image is required"}}}});
    }
    return std::move(*part);
  }
  return req.body;
}

}  // namespace

Routes::Routes(Runtime& runtime, Transcriber transcribe, AudioDecoder decode_audio)
    : rt_(runtime),
      s_(runtime.services()),
      store_(runtime.store()),
      transcribe_(std::move(transcribe)),
      decode_audio_(std::move(decode_audio)) {}

Session Routes::session(const http::Request& req) {
  const auto id = req.param("id");
  check_id(id, "session");
  auto s = store_.session(req.who().tenant_id, std::string(id));
  if (!s) throw Error(ErrorCode::kNotFound, "no such session");  // not even the id: it may be another tenant's
  return std::move(*s);
}

Source Routes::source(const http::Request& req, const std::string& id) {
  check_id(id, "source");
  auto s = store_.source(req.who().tenant_id, id);
  if (!s) throw Error(ErrorCode::kNotFound, "no such source");
  return std::move(*s);
}

http::Response Routes::create_source(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  Source s;
  s.id = new_uuid_v7();
  s.tenant_id = who.tenant_id;
  s.kind = body["kind"];
  s.name = body["name"];
  if (!who.user_id.empty()) s.created_by = who.user_id;
  s.created_at = now_micros();
  const bool needs_url = s.kind == "rtsp" || s.kind == "http";
  if (needs_url != body.contains("url") || (s.kind == "upload") != body.contains("object_id")) {
    throw Error(ErrorCode::kValidationFailed, "invalid source",
                {{"fields",
                  {{needs_url ? "url" : (s.kind == "upload" ? "object_id" : "kind"),
                    "rtsp and http sources take a url, upload sources an object_id, webcams neither"}}}});
  }
  if (needs_url) {
    const std::string url = body["url"];
    if (auto problem = url_problem(s.kind, url)) {
      throw Error(ErrorCode::kValidationFailed, "invalid source", {{"fields", {{"url", *problem}}}});
    }
    (void)s_.outbound.resolve(url_host(url));  // refuses private and loopback hosts (403) unless allowlisted
    s.url_sealed = s_.secrets.seal(url);
    s.url_shown = shown_url(url);
    if (s.kind == "rtsp") s.options["transport"] = body.value("transport", "tcp");
  }
  if (s.kind == "upload") {
    const std::string id = body["object_id"];
    const auto o = is_uuid(id) ? s_.objects.get_object(who.tenant_id, id) : std::nullopt;
    if (!o || (!who.allows(auth::Role::kAdmin) && o->owner_id != who.owner_id())) {
      throw Error(ErrorCode::kNotFound, "no such object");
    }
    if (o->content_type.rfind("video/", 0) != 0 && o->content_type.rfind("audio/", 0) != 0 &&
        o->content_type != "application/octet-stream") {
      throw Error(ErrorCode::kValidationFailed, "invalid source",
                  {{"fields", {{"object_id", "must be a video or audio file, is " + o->content_type}}}});
    }
    s.object_id = id;
  }
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_source(*tx, s);
  s_.audit.record(*tx, api::audit_entry(req, "live.source_create", "source:" + s.id, {{"kind", s.kind}}));
  tx->commit();
  return http::Response::json(source_json(s), 201);
}

http::Response Routes::list_sources(http::Request& req) {
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto list = store_.sources(req.who().tenant_id, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, list, source_json, [](const Source& s) { return s.id; }));
}

http::Response Routes::get_source(http::Request& req) {
  return http::Response::json(source_json(source(req, std::string(req.param("id")))));
}

http::Response Routes::delete_source(http::Request& req) {
  const Source s = source(req, std::string(req.param("id")));
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  if (store_.sessions_of_source(*tx, s.tenant_id, s.id) > 0) {
    throw Error(ErrorCode::kConflict, "sessions use this source; it is kept for their record", {{"id", s.id}});
  }
  store_.delete_source(*tx, s.tenant_id, s.id);
  s_.audit.record(*tx, api::audit_entry(req, "live.source_delete", "source:" + s.id, json::object()));
  tx->commit();
  return http::Response::no_content();
}

http::Response Routes::create_session(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const Source src = source(req, body["source_id"].get<std::string>());
  Session s;
  s.id = new_uuid_v7();
  s.tenant_id = who.tenant_id;
  s.source_id = src.id;
  s.source_kind = src.kind;
  s.settings = {{"pipelines", body.value("pipelines", json::array({"detect", "track"}))},
                {"profile", body.value("profile", "fast")},
                {"zones", body.value("zones", json::array())},
                {"lines", body.value("lines", json::array())},
                {"models", body.value("models", json::object())}};
  s.profile = s.settings["profile"];
  (void)rt_.settings_of(s);
  Analysis::check(rt_.settings_of(s));  // zones and lines: 422 naming the field
  if (store_.running(who.tenant_id) >= rt_.options().max_sessions) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant runs as many sessions as it may",
                {{"quota", "live.max_sessions"}, {"limit", rt_.options().max_sessions}});
  }
  if (!who.user_id.empty()) s.created_by = who.user_id;
  s.created_at = now_micros();
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_session(*tx, s);
  if (src.kind != "webcam") {
    auto spec = s_.jobs.spec("live.session", who.tenant_id, {{"session_id", s.id}});
    spec.created_by = s.created_by;
    spec.max_attempts = 10;  // each crash of an instance costs one; the session resumes from its checkpoint
    s.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
    store_.set_job(*tx, s.tenant_id, s.id, *s.job_id);
  }
  s_.audit.record(*tx, api::audit_entry(req, "live.session_start", "session:" + s.id, {{"source_id", src.id}}));
  s_.events.commit(*tx, pending);
  if (s.job_id) s_.jobs.wake();
  return http::Response::json(session_json(s), 202);
}

http::Response Routes::list_sessions(http::Request& req) {
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  std::string state = req.query("state").value_or("");
  if (!state.empty() && state != "queued" && state != "running" && state != "finished" && state != "stopped" &&
      state != "failed") {
    throw Error(ErrorCode::kValidationFailed, "invalid query",
                {{"fields", {{"state", "one of queued, running, finished, stopped, failed"}}}});
  }
  const auto list = store_.sessions(req.who().tenant_id, state, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, list, session_json, [](const Session& s) { return s.id; }));
}

http::Response Routes::get_session(http::Request& req) { return http::Response::json(session_json(session(req))); }

http::Response Routes::stop_session(http::Request& req) {
  const Session s = session(req);
  if (s.ended()) return http::Response::json(session_json(s));
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.request_stop(*tx, s.tenant_id, s.id);
  // A session no worker took yet stops at once; a running one at its next stored batch (within a second).
  if (s.state == "queued" && store_.finish(*tx, s.tenant_id, s.id, "stopped", std::nullopt)) {
    s_.events.commit(*tx, {{s.tenant_id, session_topic(s.id), "session", {{"state", "stopped"}}}});
  } else {
    s_.audit.record(*tx, api::audit_entry(req, "live.session_stop", "session:" + s.id, json::object()));
    tx->commit();
  }
  rt_.stop_local(s.id);
  return http::Response::json(session_json(*store_.session(s.tenant_id, s.id)), 202);
}

http::Response Routes::session_events(http::Request& req) {
  const Session s = session(req);
  std::string type = req.query("type").value_or("");
  if (!type.empty() && !kEventTypes.count(type)) {
    throw Error(ErrorCode::kValidationFailed, "invalid query", {{"fields", {{"type", "an event type of a session"}}}});
  }
  auto page = http::page_query(req, 100, 1000, well_formed_seq);
  // ?after=<seq> (the streams' cursor) reads like ?cursor=.
  if (!page.cursor) {
    if (const auto a = req.query("after"); a && !a->empty()) {
      if (!well_formed_seq(*a)) {
        throw Error(ErrorCode::kValidationFailed, "invalid query", {{"fields", {{"after", "an event seq"}}}});
      }
      page.cursor = *a;
    }
  }
  std::int64_t after = page.cursor ? std::stoll(*page.cursor) : 0;
  const auto wanted = static_cast<std::size_t>(page.fetch());
  std::vector<events::Event> out;
  // The log holds every type: read on until enough of the asked type were found or the log ends.
  for (int reads = 0; out.size() < wanted && reads < 50; ++reads) {
    auto batch = s_.events.read(s.tenant_id, session_topic(s.id), after, 1000);
    if (batch.empty()) break;
    after = batch.back().id;
    for (auto& e : batch) {
      if (out.size() >= wanted) break;
      if (type.empty() || e.type == type) out.push_back(std::move(e));
    }
    if (batch.size() < 1000) break;
  }
  return http::Response::json(http::page_body(
      page, out,
      [](const events::Event& e) {
        json j = e.to_json();
        j.erase("topic");
        return j;
      },
      [](const events::Event& e) { return std::to_string(e.id); }));
}

http::Response Routes::summary(http::Request& req) {
  const Session s = session(req);
  const json body = req.json();
  const double last_s = body.value("last_s", 60.0);
  if (!(last_s > 0 && last_s <= 86'400)) {
    throw Error(ErrorCode::kValidationFailed, "invalid summary", {{"fields", {{"last_s", "1 to 86400 seconds"}}}});
  }
  SummaryInput in;
  in.session = session_json(s);
  const auto since = now_micros() - static_cast<std::int64_t>(last_s * 1e6);
  std::int64_t after = 0;
  for (int reads = 0; reads < 100; ++reads) {
    auto batch = s_.events.read(s.tenant_id, session_topic(s.id), after, 1000);
    for (auto& e : batch)
      if (e.created_at >= since && e.type != "metric") in.events.push_back(std::move(e));
    if (batch.size() < 1000) break;
    after = batch.back().id;
  }
  in.last_s = last_s;
  return http::Response::json(summarize(in, rt_.options(), s_.http_client));
}

http::Response Routes::preview(http::Request& req) {
  const Session s = session(req);
  auto jpeg = rt_.preview(s.id);
  if (!jpeg) {
    // A running session without a picture here (no frame analysed yet, or it runs on another instance) is
    // not an error: the console keeps polling. One that is not running has none to give.
    if (s.state == "queued" || s.state == "running") return http::Response::no_content();
    throw Error(ErrorCode::kNotFound, "no preview of this session: it is not running");
  }
  auto r = http::Response::text(std::move(*jpeg), "image/jpeg");
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::Response Routes::analyze_frame(http::Request& req) {
  const std::string bytes = image_bytes(req);
  if (bytes.size() > static_cast<std::size_t>(rt_.options().max_frame_bytes)) {
    throw Error(ErrorCode::kPayloadTooLarge, "the image is larger than products.live.max_frame_bytes",
                {{"limit", rt_.options().max_frame_bytes}});
  }
  const auto image = vision::decode(bytes, {.max_bytes = static_cast<std::uint64_t>(rt_.options().max_frame_bytes)});
  const std::string model = req.query("model").value_or("people");
  auto detector = rt_.parts().detector ? rt_.parts().detector(model) : nullptr;
  if (!detector) throw Error(ErrorCode::kNotFound, "no such model", {{"model", model}});
  const auto found = detector->detect(image);
  json list = json::array();
  for (const auto& d : found) {
    list.push_back({{"label", d.label},
                    {"score", d.score},
                    {"box", {{"x", d.box.x}, {"y", d.box.y}, {"width", d.box.width}, {"height", d.box.height}}}});
  }
  if (req.query("overlay").value_or("") == "png") {
    std::vector<vision::Annotation> boxes;
    for (const auto& d : found) boxes.push_back({d.box, fmt::format("{} {:.2f}", d.label, d.score)});
    auto r = http::Response::text(vision::encode_png(vision::draw_overlay(image, boxes)), "image/png");
    r.headers.set("X-Detections", std::to_string(found.size()));
    return r;
  }
  return http::Response::json(
      {{"model", model}, {"width", image.width}, {"height", image.height}, {"detections", std::move(list)}});
}

http::Response Routes::analyze_audio(http::Request& req) {
  if (!transcribe_ || !decode_audio_) {
    throw Error(ErrorCode::kUnavailable, "this build has no speech recogniser (the audio module)");
  }
  if (req.body.size() > static_cast<std::size_t>(rt_.options().max_audio_bytes)) {
    throw Error(ErrorCode::kPayloadTooLarge, "the clip is larger than products.live.max_audio_bytes",
                {{"limit", rt_.options().max_audio_bytes}});
  }
  const auto samples = decode_audio_(req.body, rt_.options().max_audio_s);
  json t = transcribe_(samples);
  t["duration_s"] = static_cast<double>(samples.size()) / 16000.0;
  return http::Response::json(t);
}

void Routes::install(http::Router& router) {
  const auto tag = "live";
  using http::Method;
  router.add(Method::kPost, "/api/v1/sources", [this](http::Request& r) { return create_source(r); },
             {.summary = "Register a source: an RTSP camera, an HTTP stream, an uploaded file or a browser's webcam",
              .tag = tag,
              .request_schema = source_body_schema(),
              .response_schema = source_schema(),
              .success_status = 201},
             {.role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/sources", [this](http::Request& r) { return list_sources(r); },
             {.summary = "The tenant's sources, newest first",
              .tag = tag,
              .response_schema = http::page_schema(source_schema())});
  router.add(
      Method::kGet, "/api/v1/sources/{id}", [this](http::Request& r) { return get_source(r); },
      {.summary = "One source (its URL with any password hidden)", .tag = tag, .response_schema = source_schema()});
  router.add(Method::kDelete, "/api/v1/sources/{id}", [this](http::Request& r) { return delete_source(r); },
             {.summary = "Delete a source no session used", .tag = tag, .success_status = 204},
             {.role = auth::Role::kUser});
  router.add(Method::kPost, "/api/v1/sessions", [this](http::Request& r) { return create_session(r); },
             {.summary = "Start a session on a source with pipelines (detect, track, motion, faces, asr) and a profile",
              .tag = tag,
              .request_schema = session_body_schema(),
              .response_schema = session_schema(),
              .success_status = 202},
             {.role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/sessions", [this](http::Request& r) { return list_sessions(r); },
             {.summary = "The tenant's sessions, newest first (?state=)",
              .tag = tag,
              .response_schema = http::page_schema(session_schema())});
  router.add(Method::kGet, "/api/v1/sessions/{id}", [this](http::Request& r) { return get_session(r); },
             {.summary = "One session: state, fps in and out, latency, drops, source health",
              .tag = tag,
              .response_schema = session_schema()});
  router.add(Method::kPost, "/api/v1/sessions/{id}/stop", [this](http::Request& r) { return stop_session(r); },
             {.summary = "Stop a session",
              .tag = tag,
              .response_schema = session_schema(),
              .success_status = 202,
              .request_body_optional = true},
             {.role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/sessions/{id}/events", [this](http::Request& r) { return session_events(r); },
             {.summary = "A session's stored events, oldest first (?type=&after=)",
              .tag = tag,
              .response_schema = http::page_schema(event_schema())});
  router.add(Method::kPost, "/api/v1/sessions/{id}/summary", [this](http::Request& r) { return summary(r); },
             {.summary = "A summary of a session's last seconds, each statement citing its events",
              .tag = tag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"properties", {{"last_s", {{"type", "number"}}}}}},
              .response_schema = summary_schema(),
              .request_body_optional = true},
             {.role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/sessions/{id}/preview.jpg", [this](http::Request& r) { return preview(r); },
             {.summary = "The latest analysed frame of a running RTSP, HTTP or file session, with its boxes drawn "
                         "(from the instance that runs it; 204 while it has no frame, 404 once the session ended)",
              .tag = tag,
              .success_content_type = "image/jpeg"});
  router.add(Method::kPost, "/api/v1/analyze/frame", [this](http::Request& r) { return analyze_frame(r); },
             {.summary = "Detect objects in one image (raw body or multipart field image; ?model=&overlay=png)",
              .tag = tag,
              .success_content_type = "application/json"},
             {.max_body_bytes = static_cast<std::size_t>(rt_.options().max_frame_bytes) + 64 * 1024,
              .role = auth::Role::kUser});
  router.add(Method::kPost, "/api/v1/analyze/audio", [this](http::Request& r) { return analyze_audio(r); },
             {.summary = "Transcribe a short audio clip (WAV, MP3, Ogg, FLAC...) with word timings", .tag = tag},
             {.max_body_bytes = static_cast<std::size_t>(rt_.options().max_audio_bytes) + 64 * 1024,
              .role = auth::Role::kUser});
  add_streams(router);
}

}  // namespace tyto::products::live
