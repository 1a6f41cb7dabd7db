// Work on other users' captures: the labelers' list and labels, the tailors' review queue, raw-image access
// for admins, the training archive; partners' batches; and exports (PDF sheets and CSV) behind signed links.
#include "analysis.hpp"
#include "plausibility.hpp"
#include "results.hpp"
#include "routes.hpp"
#include "sheet/sheet.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/csv.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/page.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"

#include <fmt/format.h>

namespace tyto::products::captures {
namespace {

using nlohmann::json;
using tyto::captures::render_csv;
using tyto::captures::render_pdf;
using tyto::captures::Sheet;
using tyto::captures::SheetMeasurement;
using tyto::captures::SheetSilhouette;

// The label a sheet shows for a measurement name.
std::string label_of(const std::string& name) {
  std::string out = name;
  for (auto& c : out) {
    if (c == '_') c = ' ';
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

objects::Object put_bytes(Services& s, const std::string& tenant_id, const std::optional<std::string>& owner,
                          const std::string& filename, const std::string& type, const std::string& bytes) {
  std::size_t at = 0;
  return s.objects.put_object({tenant_id, owner, "export", filename, type, std::nullopt},
                              [&](char* buf, std::size_t cap) {
                                const std::size_t n = std::min(cap, bytes.size() - at);
                                std::copy_n(bytes.data() + at, n, buf);
                                at += n;
                                return n;
                              });
}

}  // namespace

json Routes::with_link(const ExportRow& e) {
  json j = export_json(e);
  const auto link = s_.share_link(e.object_id, std::chrono::seconds(options_.export_link_ttl_s));
  j["url"] = link["url"];
  j["expires_at"] = link["expires_at"];
  return j;
}

http::Response Routes::admin_list(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const bool review = req.query("needs_review").value_or("") == "true";
  const auto rows = store_.list(who.tenant_id, req.query("user_id").value_or(""), req.query("status").value_or(""),
                                review, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, rows, capture_json, [](const Capture& c) { return c.id; }));
}

http::Response Routes::label(http::Request& req) {
  const auto& who = req.who();
  const auto id = req.param("capture_id");
  check_id(id, "capture");
  const auto c = store_.get(who.tenant_id, std::string(id));
  if (!c) throw Error(ErrorCode::kNotFound, "no such capture", {{"id", std::string(id)}});
  const json body = req.json();
  Label l;
  l.id = new_uuid_v7();
  l.capture_id = c->id;
  l.tenant_id = c->tenant_id;
  l.labeler_id = who.user_id;
  l.labels = body["labels"];
  l.created_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_label(*tx, l);
  s_.audit.record(*tx, api::audit_entry(req, "captures.label", "capture:" + c->id, {{"label_id", l.id}}));
  tx->commit();
  return http::Response::json(label_json(l), 201);
}

http::Response Routes::labels_of(http::Request& req) {
  const auto& who = req.who();
  const auto id = req.param("capture_id");
  check_id(id, "capture");
  const auto c = store_.get(who.tenant_id, std::string(id));
  if (!c) throw Error(ErrorCode::kNotFound, "no such capture", {{"id", std::string(id)}});
  json items = json::array();
  for (const auto& l : store_.labels(s_.db, c->id)) items.push_back(label_json(l));
  return http::Response::json(http::page_body(items));
}

http::Response Routes::raw_image(http::Request& req) {
  const auto& who = req.who();
  const auto id = req.param("id");
  check_id(id, "capture");
  const auto c = store_.get(who.tenant_id, std::string(id));
  if (!c) throw Error(ErrorCode::kNotFound, "no such capture", {{"id", std::string(id)}});
  const std::string view(req.param("view"));
  if (!c->images.contains(view)) {
    if (c->images_deleted_at) {
      throw Error(ErrorCode::kNotFound, "the raw photos were deleted after processing (no consent to keep them)",
                  {{"reason", "deleted"}, {"deleted_at", format_rfc3339(*c->images_deleted_at)}});
    }
    throw Error(ErrorCode::kNotFound, "no such photo of this capture", {{"view", view.substr(0, 32)}});
  }
  const auto object = s_.objects.get_object(c->tenant_id, c->images[view].get<std::string>());
  if (!object) throw Error(ErrorCode::kNotFound, "the photo is gone", {{"reason", "deleted"}});
  // Raw photos are personal data: every look is on the record.
  s_.audit.record(api::audit_entry(req, "captures.raw_image_access", "capture:" + c->id,
                                   {{"view", view}, {"object_id", object->id}, {"user_id", c->user_id}}));
  http::Response r;
  r.body = s_.objects.store().get_all(object->key);
  r.headers.set("Content-Type", object->content_type);
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::Response Routes::review_queue(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto rows = store_.list(who.tenant_id, "", "edited", false, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(
      q, rows,
      [this](const Capture& c) {
        json j = capture_json(c);
        // Each change with the figure as measured, so a reviewer compares with the measurement, not the last edit.
        const auto latest = store_.latest_run(s_.db, c.id);
        const json measured = latest ? latest->results.value("metrics", json::object()) : json::object();
        json pending = json::array();
        for (const auto& a : store_.adjustments(s_.db, c.id)) {
          if (a.status != "pending") continue;
          auto j = adjustment_json(a);
          for (auto& [name, change] : j["changes"].items()) {
            change["measured_cm"] = measured.contains(name) ? measured[name].value("value_cm", json()) : json();
          }
          pending.push_back(j);
        }
        j["pending_adjustments"] = pending;
        return j;
      },
      [](const Capture& c) { return c.id; }));
}

http::Response Routes::training_export(http::Request& req) {
  const auto& who = req.who();
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto spec = s_.jobs.spec("captures.training_export", who.tenant_id, {{"requested_by", who.user_id}});
  spec.created_by = who.user_id;
  const auto job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  s_.audit.record(*tx, api::audit_entry(req, "captures.training_export", "job:" + job_id, json::object()));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json({{"job_id", job_id}, {"version", kTrainingArchiveVersion}}, 202);
}

http::Response Routes::upload_batch(http::Request& req) {
  const auto& who = req.who();
  const auto type = std::string(req.headers.get("Content-Type").value_or(""));
  std::string format;
  if (type.rfind("text/csv", 0) == 0)
    format = "csv";
  else if (type.rfind("application/json", 0) == 0)
    format = "json";
  else
    throw Error(ErrorCode::kUnsupportedMediaType, "a batch is text/csv or application/json",
                {{"content_type", type.substr(0, 100)}});
  const auto checked = check_batch(format, req.body, static_cast<std::size_t>(options_.max_batch_rows));
  Batch b;
  b.id = new_uuid_v7();
  b.tenant_id = who.tenant_id;
  b.partner_id = who.user_id;
  b.format = format;
  b.created_at = now_micros();
  std::string report = "row,external_id,accepted,field,code,message\r\n";
  for (const auto& r : checked) {
    ++b.rows_total;
    (r.accepted() ? b.rows_accepted : b.rows_refused) += 1;
    b.rows.push_back({{"row", r.row},
                      {"external_id", r.external_id},
                      {"accepted", r.accepted()},
                      {"measurements", r.measurements},
                      {"errors", r.errors}});
    if (r.accepted()) {
      const std::vector<std::string> cells{std::to_string(r.row), r.external_id, "true", "", "", ""};
      append_csv_row(report, cells);
    }
    for (const auto& e : r.errors) {
      const std::vector<std::string> cells{std::to_string(r.row),
                                           r.external_id,
                                           "false",
                                           e["field"].get<std::string>(),
                                           e["code"].get<std::string>(),
                                           e["message"].get<std::string>()};
      append_csv_row(report, cells);
    }
  }
  const auto object = put_bytes(s_, who.tenant_id, who.user_id, "batch-" + b.id + "-report.csv", "text/csv", report);
  ExportRow e;
  e.id = new_uuid_v7();
  e.tenant_id = who.tenant_id;
  e.kind = "batch_csv";
  e.batch_id = b.id;
  e.object_id = object.id;
  e.created_by = who.user_id;
  e.partner_id = who.user_id;
  e.created_at = b.created_at;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_batch(*tx, b);
  store_.insert_export(*tx, e);
  s_.audit.record(
      *tx, api::audit_entry(req, "captures.batch_upload", "batch:" + b.id,
                            {{"rows", b.rows_total}, {"accepted", b.rows_accepted}, {"refused", b.rows_refused}}));
  tx->commit();
  json out = batch_json(b, true);
  out["report"] = with_link(e);
  return http::Response::json(out, 201);
}

http::Response Routes::get_batch(http::Request& req) {
  const auto& who = req.who();
  const auto id = req.param("id");
  check_id(id, "batch");
  const auto b = store_.batch(who.tenant_id, std::string(id));
  if (!b || (b->partner_id != who.user_id && !who.allows(auth::Role::kAdmin))) {
    throw Error(ErrorCode::kNotFound, "no such batch", {{"id", std::string(id)}});
  }
  return http::Response::json(batch_json(*b, true));
}

http::Response Routes::partner_exports(http::Request& req) {
  const auto& who = req.who();
  std::string partner(req.param("id"));
  if (partner == "me") partner = who.user_id;
  if (partner != who.user_id && !who.allows(auth::Role::kAdmin)) {
    throw Error(ErrorCode::kNotFound, "no such partner", {{"id", partner.substr(0, 64)}});
  }
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto rows = store_.exports_for_partner(who.tenant_id, partner, q.cursor.value_or("~"), q.fetch());
  // An admin asking after someone else: a partner of this tenant is one with exports here.
  if (partner != who.user_id && rows.empty() && !q.cursor) {
    throw Error(ErrorCode::kNotFound, "no such partner", {{"id", partner.substr(0, 64)}});
  }
  return http::Response::json(http::page_body(
      q, rows, [this](const ExportRow& e) { return with_link(e); }, [](const ExportRow& e) { return e.id; }));
}

http::Response Routes::create_export(http::Request& req) {
  const auto& who = req.who();
  const auto c = visible(req);
  if (c.user_id != who.user_id && !who.allows(partner_role())) {
    throw Error(ErrorCode::kForbidden, "exports are for the capture's user, tailors and admins");
  }
  const json body = req.json();
  const std::string format = body.value("format", "pdf");
  const auto [latest, first] = runs_of(c);
  const auto adjustments = store_.adjustments(s_.db, c.id);
  const auto current = current_metrics(latest.results, adjustments);
  Sheet sheet;
  sheet.capture_id = c.id;
  sheet.customer = c.user_id;
  sheet.created_at = format_rfc3339(c.created_at);
  sheet.overall_confidence = current.overall_confidence;
  sheet.needs_review = latest.results.value("quality", json::object()).value("needs_review", false);
  for (const auto& a : adjustments) {
    for (const auto& [name, change] : a.changes.items()) {
      sheet.history.push_back({format_rfc3339(a.created_at), a.user_id, name, a.note, change["from"].get<double>(),
                               change["to"].get<double>(), a.status, a.decided_by.value_or("")});
    }
    if (a.status == "approved" && a.decided_by) {
      sheet.approved_by = *a.decided_by;
      sheet.approved_at = a.decided_at ? format_rfc3339(*a.decided_at) : "";
    }
  }
  for (const auto& [name, m] : current.metrics.items()) {
    SheetMeasurement sm;
    sm.name = name;
    sm.label = label_of(name);
    sm.definition = m.value("definition", json()).is_string() ? m["definition"].get<std::string>() : "";
    sm.value_cm = m.value("value_cm", 0.0);
    sm.uncertainty_cm = m.value("uncertainty_cm", json()).is_number() ? m["uncertainty_cm"].get<double>() : 0.0;
    sm.confidence = m.value("confidence", json()).is_number() ? m["confidence"].get<double>() : 0.0;
    sm.edited = m.value("edited", false);
    if (m.contains("original_cm") && m["original_cm"].is_number()) sm.original_cm = m["original_cm"].get<double>();
    sheet.measurements.push_back(std::move(sm));
  }
  if (const auto skin = latest.results.value("skin", json()); skin.is_object()) {
    sheet.skin_summary =
        fmt::format("Monk {} ({}), ITA {}° ({}), {} undertone", skin.value("monk", 0), skin.value("monk_hex", ""),
                    skin.value("ita", 0.0), skin.value("ita_category", ""), skin.value("undertone", ""));
  }
  if (latest.results.contains("silhouettes")) {
    for (const char* view : {"front", "side"}) {
      const auto mask = mask_from_png(s_.objects.store().get_all(
          s_.objects.get_object(c.tenant_id, latest.results["silhouettes"][view].get<std::string>())->key));
      SheetSilhouette sil;
      sil.width = mask.width;
      sil.height = mask.height;
      sil.mask = mask.pixels;
      const auto& cal = latest.results["calibration"]["views"][view];
      sil.px_per_mm = cal["px_per_mm"].is_number() ? cal["px_per_mm"].get<double>() : 0;
      sil.title = std::string(view) == "front" ? "Front" : "Side";
      const std::string key = std::string(view) + "_lines";
      for (const auto& [name, m] : latest.results["metrics"].items()) {
        for (const auto& l : m.value(key, json::array())) {
          sil.lines.push_back(
              {l[0].get<double>(), l[1].get<double>(), l[2].get<double>(), l[3].get<double>(), label_of(name)});
        }
      }
      (std::string(view) == "front" ? sheet.front : sheet.side) = std::move(sil);
    }
  }
  const bool pdf = format == "pdf";
  const std::string bytes = pdf ? render_pdf(sheet) : render_csv(sheet);
  const auto object = put_bytes(s_, c.tenant_id, c.user_id, "capture-" + c.id + (pdf ? ".pdf" : ".csv"),
                                pdf ? "application/pdf" : "text/csv", bytes);
  ExportRow e;
  e.id = new_uuid_v7();
  e.tenant_id = c.tenant_id;
  e.kind = format;
  e.capture_id = c.id;
  e.object_id = object.id;
  e.created_by = who.user_id;
  if (who.user_id != c.user_id) e.partner_id = who.user_id;
  e.created_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_export(*tx, e);
  s_.audit.record(
      *tx, api::audit_entry(req, "captures.export", "capture:" + c.id, {{"format", format}, {"export_id", e.id}}));
  tx->commit();
  return http::Response::json(with_link(e), 201);
}

http::Response Routes::capture_exports(http::Request& req) {
  const auto c = visible(req);
  json items = json::array();
  for (const auto& e : store_.exports_of_capture(s_.db, c.id)) items.push_back(with_link(e));
  return http::Response::json(http::page_body(items));
}

}  // namespace tyto::products::captures
