// Captures: create (photos or client-measured metrics), read, status, results, keypoint corrections,
// edits with their history, approval, the card check before capturing, and consent.
#include "analysis.hpp"
#include "plausibility.hpp"
#include "results.hpp"
#include "routes.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/multipart.hpp"
#include "tyto/http/page.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/objects/media.hpp"
#include "tyto/vision/image.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tyto::products::captures {
namespace {

using nlohmann::json;

const char* const kViews[] = {"front", "side", "portrait", "ref"};

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return out = true, true;
  if (text == "false" || text == "0" || text == "no" || text == "off" || text.empty()) return out = false, true;
  return false;
}

Error invalid(json fields) {
  return Error(ErrorCode::kValidationFailed, "invalid capture", {{"fields", std::move(fields)}});
}

}  // namespace

bool is_staff(const auth::Principal& who) {
  return who.allows(auth::Role::kAdmin) || who.allows(partner_role()) || who.allows(labeler_role());
}

Routes::Routes(Services& services, CaptureStore& store, CaptureStages& stages, CaptureOptions options)
    : s_(services), store_(store), stages_(stages), options_(options) {}

Capture Routes::visible(const http::Request& req) {
  const auto id = req.param("id");
  check_id(id, "capture");
  const auto& who = req.who();
  auto c = store_.get(who.tenant_id, std::string(id));
  if (!c || (c->user_id != who.user_id && !is_staff(who))) {
    throw Error(ErrorCode::kNotFound, "no such capture", {{"id", std::string(id)}});
  }
  return std::move(*c);
}

std::pair<MetricsRun, MetricsRun> Routes::runs_of(const Capture& c) {
  auto runs = store_.runs(s_.db, c.id);
  if (runs.empty()) {
    throw Error(ErrorCode::kConflict, c.status == "failed" ? "the capture failed" : "the capture is not measured yet",
                {{"reason", "not_ready"}, {"status", c.status}, {"error", c.error}});
  }
  return {runs.back(), runs.front()};
}

http::Response Routes::create(http::Request& req) {
  const auto type = std::string(req.headers.get("Content-Type").value_or(""));
  if (http::is_multipart(type)) return create_from_photos(req);
  if (type.rfind("application/json", 0) == 0) return create_from_metrics(req);
  throw Error(ErrorCode::kUnsupportedMediaType, "a capture is multipart/form-data (photos) or JSON (metrics)",
              {{"content_type", type.substr(0, 100)}});
}

http::Response Routes::create_from_photos(http::Request& req) {
  const auto& who = req.who();
  const auto type = std::string(req.headers.get("Content-Type").value_or(""));
  const auto parts = http::multipart_parts(type, req.body);
  json fields = json::object();
  std::map<std::string, std::pair<std::string, std::string>> photos;  // view -> (media type, bytes)
  bool store_images = false;
  json meta = json::object();
  for (const auto& part : parts) {
    if (part.name == "store_images") {
      if (!parse_bool(part.data, store_images)) fields["store_images"] = "true or false";
    } else if (part.name == "capture_meta") {
      meta = json::parse(part.data, nullptr, false);
      if (!meta.is_object() || part.data.size() > 16384) fields["capture_meta"] = "a JSON object of at most 16 KiB";
    } else if (std::find(std::begin(kViews), std::end(kViews), part.name) != std::end(kViews)) {
      if (photos.contains(part.name)) {
        fields[part.name] = "given twice";
        continue;
      }
      if (part.data.size() > options_.max_photo_bytes) {
        throw Error(ErrorCode::kPayloadTooLarge, "a photo is larger than this server takes",
                    {{"field", part.name}, {"limit", options_.max_photo_bytes}});
      }
      const auto media = objects::sniff_media_type(part.data);
      if (media != "image/jpeg" && media != "image/png" && media != "image/webp") {
        throw Error(ErrorCode::kUnsupportedMediaType, "a photo is JPEG, PNG or WebP (told by its bytes)",
                    {{"field", part.name}, {"detected", media}});
      }
      try {
        (void)vision::probe(part.data);
      } catch (const Error& e) {
        throw Error(ErrorCode::kUnsupportedMediaType, "a photo cannot be read",
                    {{"field", part.name}, {"detected", media}, {"reason", e.details().value("reason", "corrupt")}});
      }
      photos[part.name] = {media, std::string(part.data)};
    } else {
      fields[part.name.substr(0, 64)] =
          "not a field of a capture (front, side, portrait, ref, store_images, capture_meta)";
    }
  }
  for (const char* view : {"front", "side"}) {
    if (!photos.contains(view)) fields[view] = "required: a photo with the card in it";
  }
  if (!fields.empty()) throw invalid(fields);
  const auto consent = store_.consent(s_.db, who.tenant_id, who.user_id);
  if (store_images != consent.store_images) {
    throw invalid({{"store_images", fmt::format("must match your consent (store_images is {}); change it at "
                                                "PUT /api/v1/capture/consent first",
                                                consent.store_images)}});
  }
  Capture c;
  c.id = new_uuid_v7();
  c.tenant_id = who.tenant_id;
  c.user_id = who.user_id;
  c.store_images = store_images;
  c.capture_meta = meta;
  c.created_at = now_micros();
  // The raw photos: metadata (EXIF with GPS) stripped before they are stored; without consent the capture's
  // sweep deletes them after processing, and their retention is a backstop for captures never processed.
  for (const auto& [view, photo] : photos) {
    std::string clean;
    try {
      clean = objects::strip_image_metadata(photo.first, photo.second);
    } catch (const Error&) {
      throw Error(ErrorCode::kUnsupportedMediaType, "a photo is truncated or malformed", {{"field", view}});
    }
    std::size_t at = 0;
    const auto object = s_.objects.put_object(
        {who.tenant_id, who.user_id, "capture",
         c.id + "-" + view +
             (photo.first == "image/png"    ? ".png"
              : photo.first == "image/webp" ? ".webp"
                                            : ".jpg"),
         photo.first, store_images ? std::optional<int>(0) : std::optional<int>(options_.image_retention_hours * 2)},
        [&](char* buf, std::size_t cap) {
          const std::size_t n = std::min(cap, clean.size() - at);
          std::copy_n(clean.data() + at, n, buf);
          at += n;
          return n;
        });
    c.images[view] = object.id;
  }
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert(*tx, c);
  auto spec = s_.jobs.spec("captures.process", who.tenant_id, {{"capture_id", c.id}});
  spec.created_by = who.user_id;
  c.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  store_.set_job(*tx, c.tenant_id, c.id, *c.job_id);
  s_.audit.record(*tx, api::audit_entry(req, "captures.create", "capture:" + c.id,
                                        {{"photos", c.images.size()}, {"store_images", store_images}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json({{"capture_id", c.id}, {"status", "queued"}, {"job_id", *c.job_id}}, 202);
}

http::Response Routes::create_from_metrics(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  json fields = json::object();
  if (!body.is_object() || !body.contains("metrics") || !body["metrics"].is_object()) {
    throw invalid({{"metrics", "an object of measurements in cm: {\"waist\": 81.5, …}"}});
  }
  for (const auto& [key, v] : body.items()) {
    if (key != "metrics" && key != "capture_meta" && key != "store_images") fields[key] = "not a field of a capture";
  }
  if (body.contains("capture_meta") && !body["capture_meta"].is_object()) fields["capture_meta"] = "an object";
  if (body.contains("store_images") && !body["store_images"].is_boolean()) fields["store_images"] = "true or false";
  // Each value: a number of cm, or {value_cm, confidence?} as the client measured it.
  json values = json::object();
  json confidences = json::object();
  for (const auto& [name, v] : body["metrics"].items()) {
    if (v.is_object()) {
      values[name] = v.value("value_cm", json());
      if (v.contains("confidence")) {
        if (!v["confidence"].is_number() || v["confidence"].get<double>() < 0 || v["confidence"].get<double>() > 1) {
          fields["metrics." + name + ".confidence"] = "a number from 0 to 1";
        } else {
          confidences[name] = v["confidence"];
        }
      }
    } else {
      values[name] = v;
    }
  }
  const auto checked = check_row(1, values);
  for (const auto& e : checked.errors) {
    fields["metrics." + e["field"].get<std::string>()] = e["message"];
  }
  if (!fields.empty()) throw invalid(fields);
  const bool store_images = body.value("store_images", false);
  if (store_images) throw invalid({{"store_images", "a capture of metrics has no photos to store"}});
  json metrics = json::object();
  double sum = 0;
  int n = 0;
  for (const auto& [name, value] : checked.measurements.items()) {
    json m = {{"value_cm", value}, {"uncertainty_cm", nullptr}, {"method", "client"}, {"definition", nullptr}};
    m["confidence"] = confidences.value(name, json());
    if (m["confidence"].is_number()) {
      sum += m["confidence"].get<double>();
      ++n;
    }
    metrics[name] = m;
  }
  const double overall = n ? sum / n : 0.0;
  const json results = {
      {"metrics", metrics},
      {"skin", nullptr},
      {"shape", nullptr},
      {"quality",
       {{"overall_confidence", overall},
        {"needs_review", n == 0},
        {"review_reasons", n == 0 ? json::array({"client_gave_no_confidence"}) : json::array()}}},
      {"calibration", {{"card_detected", false}, {"source", "client"}}},
      {"model_versions", {{"client", body.value("capture_meta", json::object()).value("app_version", "")}}}};
  Capture c;
  c.id = new_uuid_v7();
  c.tenant_id = who.tenant_id;
  c.user_id = who.user_id;
  c.source = "client";
  c.status = "completed";
  c.capture_meta = body.value("capture_meta", json::object());
  c.overall_confidence = overall;
  c.needs_review = n == 0;
  c.created_at = now_micros();
  c.completed_at = c.created_at;
  const json data = {{"capture_id", c.id},
                     {"user_id", c.user_id},
                     {"status", "completed"},
                     {"overall_confidence", overall},
                     {"needs_review", c.needs_review}};
  std::vector<events::NewEvent> pending{{c.tenant_id, "capture:" + c.id, "capture.completed", data}};
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert(*tx, c);
  store_.insert_run(*tx, c.tenant_id, {c.id, 1, "client", results, who.user_id, c.created_at});
  s_.audit.record(*tx, api::audit_entry(req, "captures.create", "capture:" + c.id, {{"source", "client"}}));
  s_.webhooks.emit(*tx, c.tenant_id, "capture.completed", data, &pending);
  s_.events.commit(*tx, pending);
  return http::Response::json({{"capture_id", c.id}, {"status", "completed"}}, 201);
}

http::Response Routes::get(http::Request& req) { return http::Response::json(capture_json(visible(req))); }

http::Response Routes::list(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  std::string user = who.user_id;
  if (is_staff(who)) user = req.query("user_id").value_or("");
  const auto status = req.query("status").value_or("");
  const auto rows = store_.list(who.tenant_id, user, status, false, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, rows, capture_json, [](const Capture& c) { return c.id; }));
}

http::Response Routes::status(http::Request& req) {
  const auto c = visible(req);
  json out = {{"capture_id", c.id},        {"status", c.status}, {"job_id", c.job_id ? json(*c.job_id) : json(nullptr)},
              {"queue_position", nullptr}, {"error", c.error},   {"updated_at", format_rfc3339(c.updated_at)}};
  if (c.status == "queued") out["queue_position"] = store_.queued_before(c.tenant_id, c.created_at) + 1;
  return http::Response::json(out);
}

http::Response Routes::results(http::Request& req) {
  const auto c = visible(req);
  const auto [latest, first] = runs_of(c);
  return http::Response::json(results_json(c, first, latest, store_.adjustments(s_.db, c.id)));
}

http::Response Routes::manual_adjust(http::Request& req) {
  const auto& who = req.who();
  const auto c = visible(req);
  if (c.user_id != who.user_id && !who.allows(auth::Role::kAdmin) && !who.allows(labeler_role())) {
    throw Error(ErrorCode::kForbidden, "only the capture's user, a labeler or an admin corrects its keypoints");
  }
  const auto [latest, first] = runs_of(c);
  if (!latest.results.contains("silhouettes")) {
    throw Error(ErrorCode::kConflict, "a capture of client metrics has no keypoints to correct",
                {{"reason", "no_photos"}});
  }
  const json body = req.json();
  const json& corrections = body["keypoints"];
  json fields = json::object();
  for (const auto& [view, points] : corrections.items()) {
    if (view != "front" && view != "side") {
      fields["keypoints." + view] = "front or side";
      continue;
    }
    const auto& size = latest.results["photos"][view];
    try {
      (void)keypoints_from_json(points, {}, size.value("width", 0), size.value("height", 0));
    } catch (const Error& e) {
      for (const auto& [name, why] : e.details()["fields"].items()) fields["keypoints." + view + "." + name] = why;
    }
  }
  if (!fields.empty()) throw Error(ErrorCode::kValidationFailed, "invalid keypoints", {{"fields", fields}});
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto spec = s_.jobs.spec("captures.remeasure", who.tenant_id,
                           {{"capture_id", c.id},
                            {"keypoints", corrections},
                            {"version", latest.version + 1},
                            {"requested_by", who.user_id}});
  spec.created_by = who.user_id;
  const auto job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  s_.audit.record(*tx, api::audit_entry(req, "captures.manual_adjust", "capture:" + c.id,
                                        {{"keypoints", corrections}, {"version", latest.version + 1}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json({{"capture_id", c.id}, {"job_id", job_id}, {"version", latest.version + 1}}, 202);
}

http::Response Routes::edit_metrics(http::Request& req) {
  const auto& who = req.who();
  const auto c = visible(req);
  if (c.user_id != who.user_id && !who.allows(auth::Role::kAdmin)) {
    throw Error(ErrorCode::kForbidden, "only the capture's user edits its measurements");
  }
  const json body = req.json();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto runs = store_.runs(*tx, c.id);
  if (runs.empty()) throw Error(ErrorCode::kConflict, "the capture is not measured yet", {{"reason", "not_ready"}});
  auto adjustments = store_.adjustments(*tx, c.id);
  const auto current = current_metrics(runs.back().results, adjustments);
  Adjustment a;
  a.id = new_uuid_v7();
  a.capture_id = c.id;
  a.tenant_id = c.tenant_id;
  a.user_id = who.user_id;
  a.changes = checked_changes(body["metrics"], current);
  a.note = body.value("note", "");
  a.created_at = now_micros();
  store_.insert_adjustment(*tx, a);
  adjustments.push_back(a);
  auto updated = *store_.get(*tx, c.tenant_id, c.id);
  updated.status = "edited";
  updated.overall_confidence = current_metrics(runs.back().results, adjustments).overall_confidence;
  store_.set_outcome(*tx, updated);
  s_.audit.record(*tx, api::audit_entry(req, "captures.metrics_edit", "capture:" + c.id,
                                        {{"adjustment_id", a.id}, {"changes", a.changes}, {"note", a.note}}));
  const json data = {{"capture_id", c.id}, {"adjustment_id", a.id}, {"changes", a.changes}};
  std::vector<events::NewEvent> pending{{c.tenant_id, "capture:" + c.id, "capture.edited", data}};
  s_.webhooks.emit(*tx, c.tenant_id, "capture.edited", data, &pending);
  s_.events.commit(*tx, pending);
  return http::Response::json(results_json(updated, runs.front(), runs.back(), adjustments));
}

http::Response Routes::approve(http::Request& req) {
  const auto& who = req.who();
  const auto c = visible(req);
  const json body = req.json();
  const std::string decision = body.value("decision", "approve");
  const bool training = body.value("training_export", false);
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto runs = store_.runs(*tx, c.id);
  if (runs.empty()) throw Error(ErrorCode::kConflict, "the capture is not measured yet", {{"reason", "not_ready"}});
  if (training && decision == "approve" && !store_.consent(*tx, c.tenant_id, c.user_id).training) {
    throw Error(ErrorCode::kValidationFailed, "the user did not consent to training use",
                {{"fields", {{"training_export", "the capture's user did not consent to training use"}}}});
  }
  const auto now = now_micros();
  const auto decided =
      store_.decide_pending(*tx, c.tenant_id, c.id, decision == "approve" ? "approved" : "rejected", who.user_id, now);
  if (decided == 0 && decision == "reject") {
    throw Error(ErrorCode::kConflict, "no pending edit to reject", {{"reason", "nothing_pending"}});
  }
  auto updated = *store_.get(*tx, c.tenant_id, c.id);
  const auto adjustments = store_.adjustments(*tx, c.id);
  // A rejection leaves the capture approved when edits approved earlier still apply.
  const bool any_approved =
      std::any_of(adjustments.begin(), adjustments.end(), [](const Adjustment& a) { return a.status == "approved"; });
  updated.status = decision == "approve" || any_approved ? "approved" : "completed";
  updated.overall_confidence = current_metrics(runs.back().results, adjustments).overall_confidence;
  store_.set_outcome(*tx, updated);
  if (training && decision == "approve") {
    store_.set_training_queued(*tx, c.tenant_id, c.id);
    updated.training_queued = true;
  }
  s_.audit.record(
      *tx,
      api::audit_entry(req, decision == "approve" ? "captures.approve" : "captures.reject", "capture:" + c.id,
                       {{"adjustments", decided}, {"training_export", training}, {"note", body.value("note", "")}}));
  const json data = {{"capture_id", c.id}, {"decision", decision}, {"adjustments", decided}, {"by", who.user_id}};
  std::vector<events::NewEvent> pending{{c.tenant_id, "capture:" + c.id,
                                         "capture." + std::string(decision == "approve" ? "approved" : "rejected"),
                                         data}};
  s_.webhooks.emit(*tx, c.tenant_id, decision == "approve" ? "capture.approved" : "capture.rejected", data, &pending);
  s_.events.commit(*tx, pending);
  return http::Response::json(results_json(updated, runs.front(), runs.back(), adjustments));
}

http::Response Routes::history(http::Request& req) {
  const auto c = visible(req);
  json items = json::array();
  for (const auto& run : store_.runs(s_.db, c.id)) {
    items.push_back({{"type", "measurement"},
                     {"version", run.version},
                     {"origin", run.origin},
                     {"by", run.created_by ? json(*run.created_by) : json(nullptr)},
                     {"at", format_rfc3339(run.created_at)},
                     {"at_us", run.created_at},
                     {"metrics", run.results.value("metrics", json::object())}});
  }
  for (const auto& a : store_.adjustments(s_.db, c.id)) {
    auto j = adjustment_json(a);
    j["type"] = "edit";
    j["by"] = a.user_id;
    j["at"] = format_rfc3339(a.created_at);
    j["at_us"] = a.created_at;
    items.push_back(j);
  }
  std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) { return a["at_us"] < b["at_us"]; });
  for (auto& i : items) i.erase("at_us");
  return http::Response::json({{"capture_id", c.id}, {"status", c.status}, {"items", items}});
}

http::Response Routes::calibrate(http::Request& req) {
  const auto type = std::string(req.headers.get("Content-Type").value_or(""));
  std::string bytes;
  if (http::is_multipart(type)) {
    auto part = http::multipart_field(type, req.body, "image");
    if (!part) throw invalid({{"image", "a multipart field named image is required"}});
    bytes = std::move(*part);
  } else {
    bytes = std::move(req.body);
  }
  vision::Image rgb;
  try {
    rgb = vision::decode(bytes);
  } catch (const Error& e) {
    throw Error(ErrorCode::kUnsupportedMediaType, "the photo cannot be read",
                {{"reason", e.details().value("reason", "corrupt")}});
  }
  return http::Response::json(captures::calibrate(rgb));
}

http::Response Routes::get_consent(http::Request& req) {
  const auto& who = req.who();
  const auto c = store_.consent(s_.db, who.tenant_id, who.user_id);
  return http::Response::json({{"store_images", c.store_images},
                               {"training", c.training},
                               {"updated_at", c.updated_at ? json(format_rfc3339(*c.updated_at)) : json(nullptr)}});
}

http::Response Routes::put_consent(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto c = store_.consent(*tx, who.tenant_id, who.user_id);
  c.store_images = body.value("store_images", c.store_images);
  c.training = body.value("training", c.training);
  c.updated_at = now_micros();
  store_.set_consent(*tx, who.tenant_id, who.user_id, c);
  s_.audit.record(*tx, api::audit_entry(req, "captures.consent", "user:" + who.user_id,
                                        {{"store_images", c.store_images}, {"training", c.training}}));
  tx->commit();
  return http::Response::json(
      {{"store_images", c.store_images}, {"training", c.training}, {"updated_at", format_rfc3339(*c.updated_at)}});
}

http::Response Routes::artifact(http::Request& req) {
  const auto c = visible(req);
  const std::string kind(req.param("kind"));
  for (const auto& a : store_.artifacts(s_.db, c.id)) {
    if (a.kind != kind) continue;
    const auto object = s_.objects.get_object(c.tenant_id, a.object_id);
    if (!object) break;
    http::Response r;
    r.body = s_.objects.store().get_all(object->key);
    r.headers.set("Content-Type", object->content_type);
    r.headers.set("Cache-Control", "private, max-age=300");
    return r;
  }
  throw Error(ErrorCode::kNotFound, "no such image of this capture", {{"kind", kind.substr(0, 64)}});
}

}  // namespace tyto::products::captures
