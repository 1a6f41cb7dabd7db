#include "stages.hpp"

#include "analysis.hpp"
#include "results.hpp"
#include "tyto/api/zip_writer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/vision/image.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tyto::products::captures {
namespace {

using nlohmann::json;
using pipeline::StageContext;
using pipeline::StageError;

constexpr std::size_t kMaxPhotoBytes = 25u << 20;
const char* const kMeasuredViews[] = {"front", "side"};

vision::Image load_photo(StageContext& ctx, const std::string& object_id) {
  const auto bytes = ctx.artifacts().get(object_id, kMaxPhotoBytes);
  try {
    return vision::decode(bytes);
  } catch (const Error& e) {
    throw StageError("unsupported_media_type", std::string("a photo cannot be read: ") + e.what(), false);
  }
}

json card_json(const body::CardDetection& c) {
  json corners = json::array();
  for (const auto& p : c.corners) corners.push_back({p.x, p.y});
  return {{"detected", c.detected},
          {"corners", corners},
          {"homography", c.image_to_card},
          {"px_per_mm", c.px_per_mm},
          {"px_per_mm_uncertainty", c.px_per_mm_uncertainty},
          {"tilt_degrees", c.tilt_degrees},
          {"score", c.score},
          {"refused", c.refused}};
}

body::CardDetection card_from(const json& j) {
  body::CardDetection c;
  if (!j.is_object()) return c;
  c.detected = j.value("detected", false);
  if (j.contains("corners") && j["corners"].size() == 4) {
    for (std::size_t i = 0; i < 4; ++i)
      c.corners[i] = {j["corners"][i][0].get<double>(), j["corners"][i][1].get<double>()};
  }
  if (j.contains("homography") && j["homography"].size() == 9) {
    for (std::size_t i = 0; i < 9; ++i) c.image_to_card[i] = j["homography"][i].get<double>();
  }
  c.px_per_mm = j.value("px_per_mm", 0.0);
  c.px_per_mm_uncertainty = j.value("px_per_mm_uncertainty", 0.0);
  c.tilt_degrees = j.value("tilt_degrees", 0.0);
  c.score = j.value("score", 0.0);
  c.refused = j.value("refused", std::string());
  return c;
}

body::Keypoints keypoints_of(const json& j) {
  body::Keypoints k{};
  if (!j.is_object()) return k;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const auto it = j.find(std::string(body::kKeypointNames[i]));
    if (it == j.end()) continue;
    k[i] = {it->value("x", 0.0), it->value("y", 0.0), it->value("score", 0.0)};
  }
  return k;
}

// The public calibration object (the front photo's card at the top, every photo's under "views").
json public_calibration(const json& cards) {
  json views = json::object();
  for (const auto& [view, c] : cards.items()) {
    views[view] = calibration_json(card_from(c["card"]), body::WhiteBalance{});
    views[view]["white_balance"] = c.value("white_balance", json::object());
  }
  json top = views.contains("front") ? views["front"] : json::object();
  top["views"] = views;
  return top;
}

json with(json in, const std::string& key, json value) {
  in[key] = std::move(value);
  return in;
}

}  // namespace

CaptureStages::CaptureStages(Services& services, CaptureStore& store, vision::ModelRegistry& models,
                             vision::FaceDetector& faces)
    : s_(services), store_(store), models_(models), faces_(faces) {}

void CaptureStages::fail(const std::string& tenant_id, const std::string& capture_id, const std::string& code,
                         const std::string& message) {
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto c = store_.get(*tx, tenant_id, capture_id);
  if (!c || c->status == "completed" || c->status == "failed") return;
  c->status = "failed";
  c->error = {{"code", code}, {"message", message}};
  c->completed_at = now_micros();
  store_.set_outcome(*tx, *c);
  std::vector<events::NewEvent> pending{
      {tenant_id, "capture:" + capture_id, "capture.failed", {{"capture_id", capture_id}, {"error", c->error}}}};
  s_.webhooks.emit(*tx, tenant_id, "capture.failed", {{"capture_id", capture_id}, {"error", c->error}}, &pending);
  s_.events.commit(*tx, pending);
}

Capture CaptureStages::capture_of(StageContext& ctx, const json& in) {
  const std::string id = in.at("capture_id");
  auto c = store_.get(ctx.tenant_id(), id);
  if (!c) throw StageError("not_found", "the capture is gone (its user was deleted?)", false);
  return std::move(*c);
}

json CaptureStages::precheck(StageContext& ctx, const json& in) {
  auto c = capture_of(ctx, in);
  {
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.set_status(*tx, c.tenant_id, c.id, "processing", {"queued", "processing"});
    tx->commit();
  }
  for (const char* view : kMeasuredViews) {
    if (!c.images.contains(view)) throw StageError("missing_photo", std::string("no ") + view + " photo", false);
  }
  json views = json::object();
  for (const auto& [view, object_id] : c.images.items()) {
    ctx.check_cancelled();
    const auto bytes = ctx.artifacts().get(object_id.get<std::string>(), kMaxPhotoBytes);
    vision::ImageInfo info;
    try {
      info = vision::probe(bytes);
      (void)vision::decode(bytes);  // a file cut short or corrupt inside its pixels fails here, not in a later step
    } catch (const Error& e) {
      throw StageError("unsupported_media_type", "the " + view + " photo cannot be read: " + e.what(), false);
    }
    views[view] = {{"object_id", object_id}, {"width", info.width}, {"height", info.height}};
  }
  ctx.progress(1, "photos checked");
  return with(in, "views", views);
}

json CaptureStages::calibrate(StageContext& ctx, const json& in) {
  json cards = json::object();
  for (const auto& [view, v] : in.at("views").items()) {
    ctx.check_cancelled();
    const auto rgb = load_photo(ctx, v["object_id"]);
    const auto card = body::detect_card(rgb, kCardOptions);
    const auto balance = body::estimate_white_balance(rgb, &card);
    cards[view] = {{"card", card_json(card)},
                   {"white_balance", calibration_json(card, balance)["white_balance"]},
                   {"balance",
                    {{"method", balance.method},
                     {"adaptation", balance.adaptation},
                     {"white", {balance.source_white.x, balance.source_white.y, balance.source_white.z}},
                     {"estimated_white", vision::to_hex(balance.estimated_white)},
                     {"confidence", balance.confidence}}}};
  }
  ctx.progress(1, "card found");
  return with(in, "cards", cards);
}

json CaptureStages::pose(StageContext& ctx, const json& in) {
  json keypoints = json::object();
  std::string version;
  for (const char* view : kMeasuredViews) {
    ctx.check_cancelled();
    const auto rgb = load_photo(ctx, in["views"][view]["object_id"]);
    const auto p = estimate_pose(models_, rgb);
    keypoints[view] = keypoints_json(p.keypoints);
    version = p.version;
  }
  ctx.progress(1, "keypoints found");
  auto out = with(in, "keypoints", keypoints);
  out["model_versions"]["pose"] = version;
  return out;
}

json CaptureStages::segment(StageContext& ctx, const json& in) {
  const auto c = capture_of(ctx, in);
  json masks = json::object();
  std::string version;
  for (const char* view : kMeasuredViews) {
    ctx.check_cancelled();
    const auto rgb = load_photo(ctx, in["views"][view]["object_id"]);
    const auto keypoints = keypoints_of(in["keypoints"][view]);
    const auto m = segment_person(models_, rgb, &keypoints);
    const auto stored = ctx.artifacts().put(
        {.purpose = "image", .filename = c.id + "-" + view + "-silhouette.png", .content_type = "image/png"},
        mask_png(m.mask));
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.put_artifact(*tx, c.tenant_id, c.id, {std::string(view) + "_mask", stored.id});
    tx->commit();
    masks[view] = {{"object_id", stored.id}, {"margin", m.margin}};
    version = m.version;
  }
  ctx.progress(1, "silhouettes found");
  auto out = with(in, "masks", masks);
  out["model_versions"]["segmentation"] = version;
  return out;
}

json CaptureStages::skin(StageContext& ctx, const json& in) {
  const std::string view = in["views"].contains("portrait") ? "portrait" : "front";
  const auto rgb = load_photo(ctx, in["views"][view]["object_id"]);
  const auto card = card_from(in["cards"][view]["card"]);
  const auto balance = body::estimate_white_balance(rgb, card.detected ? &card : nullptr);
  const auto balanced = body::apply_white_balance(rgb, balance);
  const auto keypoints = keypoints_of(in["keypoints"].value(view, json()));
  const auto patches = skin_patches(balanced, faces_, view == "front" ? &keypoints : nullptr);
  auto tone = body::measure_skin(balanced, patches);
  auto skin = skin_json(tone);
  if (skin.is_object()) {
    skin["photo"] = view;
    skin["white_balance"] = balance.method;
  }
  ctx.progress(1, "skin tone measured");
  return with(in, "skin", skin);
}

json CaptureStages::measure(StageContext& ctx, const json& in) {
  const auto c = capture_of(ctx, in);
  body::View views[2];
  vision::Image photos[2];
  for (int i = 0; i < 2; ++i) {
    const std::string view = kMeasuredViews[i];
    ctx.check_cancelled();
    photos[i] = load_photo(ctx, in["views"][view]["object_id"]);
    const auto card = card_from(in["cards"][view]["card"]);
    views[i].mask = mask_from_png(ctx.artifacts().get(in["masks"][view]["object_id"].get<std::string>()));
    views[i].keypoints = keypoints_of(in["keypoints"][view]);
    views[i].px_per_mm = card.detected ? card.px_per_mm : 0;
    views[i].px_per_mm_uncertainty = card.px_per_mm_uncertainty;
    views[i].mask_margin = in["masks"][view].value("margin", 1.0);
  }
  const auto m = body::measure(views[0], views[1]);
  for (int i = 0; i < 2; ++i) {
    const std::string view = kMeasuredViews[i];
    const auto drawn =
        annotate(photos[i], views[i].mask, views[i].keypoints, card_from(in["cards"][view]["card"]), m, i == 0);
    const auto stored = ctx.artifacts().put(
        {.purpose = "image", .filename = c.id + "-" + view + "-annotated.jpg", .content_type = "image/jpeg"},
        vision::encode_jpeg(drawn, 85));
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    store_.put_artifact(*tx, c.tenant_id, c.id, {"annotated_" + view, stored.id});
    tx->commit();
  }
  json results = measurements_json(m);
  results["skin"] = in.value("skin", json());
  results["calibration"] = public_calibration(in["cards"]);
  results["keypoints"] = in["keypoints"];
  results["model_versions"] = in.value("model_versions", json::object());
  results["model_versions"]["measure"] = "body-1";
  results["silhouettes"] = {{"front", in["masks"]["front"]["object_id"]}, {"side", in["masks"]["side"]["object_id"]}};
  results["photos"] = json::object();
  for (const auto& [view, v] : in["views"].items()) {
    results["photos"][view] = {{"width", v["width"]}, {"height", v["height"]}};
  }
  ctx.progress(1, "measured");
  return {{"capture_id", c.id}, {"results", results}};
}

json CaptureStages::finish(StageContext& ctx, const json& in) {
  const auto c = capture_of(ctx, in);
  const json& results = in.at("results");
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto current = store_.get(*tx, c.tenant_id, c.id);
  if (!current) throw StageError("not_found", "the capture is gone", false);
  if (store_.runs(*tx, c.id).empty()) {  // a retried finish does not add a second run
    store_.insert_run(*tx, c.tenant_id, {c.id, 1, "pipeline", results, std::nullopt, now_micros()});
  }
  current->status = "completed";
  current->error = nullptr;
  current->overall_confidence = results["quality"].value("overall_confidence", 0.0);
  current->needs_review = results["quality"].value("needs_review", false);
  current->completed_at = now_micros();
  store_.set_outcome(*tx, *current);
  const json data = {{"capture_id", c.id},
                     {"user_id", c.user_id},
                     {"status", "completed"},
                     {"overall_confidence", current->overall_confidence.value_or(0.0)},
                     {"needs_review", current->needs_review}};
  std::vector<events::NewEvent> pending{{c.tenant_id, "capture:" + c.id, "capture.completed", data}};
  s_.webhooks.emit(*tx, c.tenant_id, "capture.completed", data, &pending);
  s_.events.commit(*tx, pending);
  return {{"capture_id", c.id}, {"status", "completed"}, {"needs_review", current->needs_review}};
}

json CaptureStages::remeasure(StageContext& ctx, const json& in) {
  const auto c = capture_of(ctx, in);
  auto latest = store_.latest_run(s_.db, c.id);
  if (!latest || !latest->results.contains("silhouettes")) {
    throw StageError("not_measured", "the capture has no silhouettes to measure again", false);
  }
  const json& r = latest->results;
  body::View views[2];
  json keypoints = r["keypoints"];
  for (int i = 0; i < 2; ++i) {
    const std::string view = kMeasuredViews[i];
    views[i].mask = mask_from_png(ctx.artifacts().get(r["silhouettes"][view].get<std::string>()));
    const auto base = keypoints_of(r["keypoints"][view]);
    views[i].keypoints =
        in.contains("keypoints") && in["keypoints"].contains(view)
            ? keypoints_from_json(in["keypoints"][view], base, views[i].mask.width, views[i].mask.height)
            : base;
    keypoints[view] = keypoints_json(views[i].keypoints);
    const auto& cal = r["calibration"]["views"][view];
    views[i].px_per_mm = cal["px_per_mm"].is_number() ? cal["px_per_mm"].get<double>() : 0;
    views[i].px_per_mm_uncertainty =
        cal["px_per_mm_uncertainty"].is_number() ? cal["px_per_mm_uncertainty"].get<double>() : 0;
  }
  const auto m = body::measure(views[0], views[1]);
  json results = r;
  const json measured = measurements_json(m);
  results["metrics"] = measured["metrics"];
  results["shape"] = measured["shape"];
  results["quality"] = measured["quality"];
  results["keypoints"] = keypoints;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  const auto now_latest = store_.latest_run(*tx, c.id);
  const int version = in.value("version", now_latest->version + 1);
  if (now_latest->version < version) {  // a retried stage does not add a second run
    std::optional<std::string> by;
    if (in.contains("requested_by") && in["requested_by"].is_string()) by = in["requested_by"].get<std::string>();
    store_.insert_run(*tx, c.tenant_id, {c.id, version, "manual_adjust", results, by, now_micros()});
    auto current = store_.get(*tx, c.tenant_id, c.id);
    current->overall_confidence = measured["quality"]["overall_confidence"].get<double>();
    current->needs_review = measured["quality"]["needs_review"].get<bool>();
    store_.set_outcome(*tx, *current);
    std::vector<events::NewEvent> pending{
        {c.tenant_id, "capture:" + c.id, "capture.remeasured", {{"capture_id", c.id}, {"version", version}}}};
    s_.events.commit(*tx, pending);
  } else {
    tx->commit();
  }
  return {{"capture_id", c.id}, {"version", version}};
}

json CaptureStages::training_export(StageContext& ctx, const json& in) {
  const auto set = store_.training_set(ctx.tenant_id());
  const auto staging = std::filesystem::temp_directory_path() / ("tyto-training-" + ctx.job_id() + ".zip");
  json manifest = {
      {"format", "tyto-captures-training"},
      {"version", kTrainingArchiveVersion},
      {"created_at", format_rfc3339(now_micros())},
      {"tenant_id", ctx.tenant_id()},
      {"records", set.size()},
      {"fields",
       {"subject (the first 16 hex digits of SHA-256 of tenant and user id: the same person across records)",
        "capture_id", "metrics (approved)", "measured (before edits)", "labels", "keypoints", "calibration",
        "silhouettes/<capture>-front.png"}}};
  std::string records;
  {
    api::ZipWriter zip(staging);
    for (const auto& c : set) {
      ctx.check_cancelled();
      const auto runs = store_.runs(s_.db, c.id);
      if (runs.empty()) continue;
      const auto adjustments = store_.adjustments(s_.db, c.id);
      const auto current = current_metrics(runs.back().results, adjustments);
      json labels = json::array();
      for (const auto& l : store_.labels(s_.db, c.id)) labels.push_back(l.labels);
      const json record = {{"subject", sha256_hex(ctx.tenant_id() + ":" + c.user_id).substr(0, 16)},
                           {"capture_id", c.id},
                           {"metrics", current.metrics},
                           {"measured", runs.back().results.value("metrics", json::object())},
                           {"labels", labels},
                           {"keypoints", runs.back().results.value("keypoints", json())},
                           {"calibration", runs.back().results.value("calibration", json())}};
      records += record.dump() + "\n";
      if (runs.back().results.contains("silhouettes")) {
        for (const char* view : kMeasuredViews) {
          const auto id = runs.back().results["silhouettes"].value(view, std::string());
          if (!id.empty()) zip.add("silhouettes/" + c.id + "-" + view + ".png", ctx.artifacts().get(id));
        }
      }
    }
    zip.add("manifest.json", manifest.dump(2));
    zip.add("records.jsonl", records);
    zip.close();
  }
  std::ifstream f(staging, std::ios::binary);
  std::stringstream bytes;
  bytes << f.rdbuf();
  std::filesystem::remove(staging);
  const auto stored =
      ctx.artifacts().put({.purpose = "export",
                           .filename = "tyto-captures-training-v" + std::to_string(kTrainingArchiveVersion) + ".zip",
                           .content_type = "application/zip"},
                          bytes.str());
  ExportRow e;
  e.id = new_uuid_v7();
  e.tenant_id = ctx.tenant_id();
  e.kind = "training";
  e.object_id = stored.id;
  if (in.contains("requested_by") && in["requested_by"].is_string())
    e.created_by = in["requested_by"].get<std::string>();
  e.version = kTrainingArchiveVersion;
  e.created_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_export(*tx, e);
  tx->commit();
  return {{"export_id", e.id}, {"object_id", stored.id}, {"records", set.size()}, {"version", kTrainingArchiveVersion}};
}

void CaptureStages::register_stages(pipeline::StageRegistry& stages) {
  using Step = json (CaptureStages::*)(StageContext&, const json&);
  const auto add = [&](const char* name, const char* description, Step step) {
    stages.add({name,
                description,
                {{"type", "object"}, {"required", {"capture_id"}}},
                {{"type", "object"}},
                [this, step](StageContext& ctx, const json& in) -> json {
                  try {
                    return (this->*step)(ctx, in);
                  } catch (const StageError& e) {
                    if (!e.retryable() || ctx.last_attempt())
                      fail(ctx.tenant_id(), in.value("capture_id", ""), e.code(), e.what());
                    throw;
                  } catch (const pipeline::Cancelled&) {
                    throw;
                  } catch (const std::exception& e) {
                    if (ctx.last_attempt()) fail(ctx.tenant_id(), in.value("capture_id", ""), "stage_failed", e.what());
                    throw;
                  }
                }});
  };
  add("captures.precheck", "Checks a capture's photos (readable, of a known format, consent) before measuring",
      &CaptureStages::precheck);
  add("captures.calibrate", "Finds the ID-1 card in each photo: scale with its uncertainty, and white balance",
      &CaptureStages::calibrate);
  add("captures.pose", "Pose keypoints of the front and side photos (the pose model)", &CaptureStages::pose);
  add("captures.segment", "Person silhouettes of the front and side photos (the segmentation model)",
      &CaptureStages::segment);
  add("captures.skin", "Skin tone from the portrait: CIELAB, ITA, the Monk scale, undertone", &CaptureStages::skin);
  add("captures.measure", "Widths, depths and circumferences from the silhouettes, scaled by the card",
      &CaptureStages::measure);
  add("captures.finish", "Stores the measuring run and tells the capture's webhooks", &CaptureStages::finish);
  add("captures.remeasure", "Measures a capture again with corrected keypoints", &CaptureStages::remeasure);
  stages.add({"captures.training_export",
              "The approved measurements of consenting users as a versioned training archive",
              {{"type", "object"}},
              {{"type", "object"}},
              [this](StageContext& ctx, const json& in) { return training_export(ctx, in); }});
}

}  // namespace tyto::products::captures
