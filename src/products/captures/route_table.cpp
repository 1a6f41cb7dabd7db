// The captures product's route table: paths from the design document under /api/v1, each with its role,
// schemas and limits (the OpenAPI document is made from these).
#include "results.hpp"
#include "routes.hpp"
#include "tyto/http/page.hpp"

namespace tyto::products::captures {
namespace {

using http::Method;
using nlohmann::json;

constexpr const char* kTag = "captures";

json capture_schema() {
  return {{"type", "object"},
          {"required", {"capture_id", "status", "source", "created_at"}},
          {"properties",
           {{"capture_id", {{"type", "string"}}},
            {"user_id", {{"type", "string"}}},
            {"source", {{"type", "string"}, {"enum", {"photos", "client"}}}},
            {"status",
             {{"type", "string"}, {"enum", {"queued", "processing", "completed", "failed", "edited", "approved"}}}},
            {"store_images", {{"type", "boolean"}}},
            {"overall_confidence", {{"type", {"number", "null"}}}},
            {"needs_review", {{"type", "boolean"}}},
            {"created_at", {{"type", "string"}, {"format", "date-time"}}}}}};
}

json export_schema() {
  return {{"type", "object"},
          {"required", {"id", "kind", "object_id", "url", "expires_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"kind", {{"type", "string"}, {"enum", {"pdf", "csv", "batch_csv", "training"}}}},
            {"object_id", {{"type", "string"}}},
            {"url", {{"type", "string"}}},
            {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}};
}

json point_set_schema() { return {{"type", "object"}, {"maxProperties", 17}}; }

}  // namespace

void Routes::install(http::Router& router) {
  install_captures(router);
  install_staff(router);
}

void Routes::install_captures(http::Router& router) {
  const std::size_t photos_body = options_.max_photo_bytes * 4 + (1u << 20);
  router.add(Method::kPost, "/api/v1/capture", [this](http::Request& r) { return create(r); },
             {.summary = "A capture: multipart photos front, side (required), portrait, ref with store_images and "
                         "capture_meta → 202 queued; or JSON {metrics, capture_meta} measured on the device → 201",
              .tag = kTag,
              .response_schema = {{"type", "object"},
                                  {"properties",
                                   {{"capture_id", {{"type", "string"}}},
                                    {"status", {{"type", "string"}}},
                                    {"job_id", {{"type", "string"}}}}}},
              .success_status = 202},
             {.max_body_bytes = photos_body, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/captures", [this](http::Request& r) { return list(r); },
             {.summary = "Captures, newest first: the caller's own (staff: every user's, ?user_id=), ?status=",
              .tag = kTag,
              .response_schema = http::page_schema(capture_schema())});
  router.add(Method::kGet, "/api/v1/capture/{id}", [this](http::Request& r) { return get(r); },
             {.summary = "One capture", .tag = kTag, .response_schema = capture_schema()});
  router.add(
      Method::kGet, "/api/v1/capture/{id}/status", [this](http::Request& r) { return status(r); },
      {.summary = "A capture's status and, while queued, its place in the queue",
       .tag = kTag,
       .response_schema = {
           {"type", "object"},
           {"properties", {{"status", {{"type", "string"}}}, {"queue_position", {{"type", {"integer", "null"}}}}}}}});
  router.add(Method::kGet, "/api/v1/capture/{id}/results", [this](http::Request& r) { return results(r); },
             {.summary = "Measurements with confidence, skin tone, shape, quality, calibration and model versions; "
                         "metrics_json.original and .current (with edits)",
              .tag = kTag,
              .response_schema = results_schema()});
  router.add(Method::kPost, "/api/v1/capture/{id}/manual-adjust", [this](http::Request& r) { return manual_adjust(r); },
             {.summary = "Corrected keypoints ({keypoints: {front: {left_hip: {x, y}}, side: …}}) → measured again "
                         "as a new version (202 with the job)",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"required", {"keypoints"}},
                                 {"properties",
                                  {{"keypoints",
                                    {{"type", "object"},
                                     {"additionalProperties", false},
                                     {"minProperties", 1},
                                     {"properties", {{"front", point_set_schema()}, {"side", point_set_schema()}}}}}}}},
              .success_status = 202});  // the handler admits the capture's user, labelers and admins
  router.add(Method::kPatch, "/api/v1/capture/{id}/metrics", [this](http::Request& r) { return edit_metrics(r); },
             {.summary = "The user's edit of measurements ({metrics: {waist: 79.0}, note}): kept beside the immutable "
                         "original, pending approval",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"required", {"metrics"}},
                                 {"properties",
                                  {{"metrics", {{"type", "object"}, {"minProperties", 1}, {"maxProperties", 32}}},
                                   {"note", {{"type", "string"}, {"maxLength", 2000}}}}}},
              .response_schema = results_schema()},
             {.role = auth::Role::kUser});
  router.add(Method::kPost, "/api/v1/capture/{id}/adjustments/approve", [this](http::Request& r) { return approve(r); },
             {.summary = "A tailor's (or admin's) decision on the pending edits; training_export queues the record for "
                         "training data when the user consented",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"decision", {{"type", "string"}, {"enum", {"approve", "reject"}}}},
                                   {"training_export", {{"type", "boolean"}}},
                                   {"note", {{"type", "string"}, {"maxLength", 2000}}}}}},
              .response_schema = results_schema(),
              .request_body_optional = true},
             {.role = partner_role()});
  router.add(Method::kGet, "/api/v1/capture/{id}/metrics/history", [this](http::Request& r) { return history(r); },
             {.summary = "Every measuring run and edit of a capture, oldest first", .tag = kTag});
  router.add(Method::kPost, "/api/v1/capture/calibrate", [this](http::Request& r) { return calibrate(r); },
             {.summary = "The card in one photo (raw image body or multipart field image): the calibration object",
              .tag = kTag},
             {.max_body_bytes = options_.max_photo_bytes, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/capture/consent", [this](http::Request& r) { return get_consent(r); },
             {.summary = "The caller's consent: keep raw photos, use approved measurements for training", .tag = kTag});
  router.add(Method::kPut, "/api/v1/capture/consent", [this](http::Request& r) { return put_consent(r); },
             {.summary = "Set the caller's consent",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"store_images", {{"type", "boolean"}}}, {"training", {{"type", "boolean"}}}}}}},
             {.role = auth::Role::kUser});
  router.add(
      Method::kGet, "/api/v1/capture/{id}/images/{kind}", [this](http::Request& r) { return artifact(r); },
      {.summary = "A derived image: annotated_front, annotated_side (keypoints, silhouette, card and lines drawn), "
                  "front_mask, side_mask",
       .tag = kTag,
       .success_content_type = "image/*"});
  router.add(Method::kPost, "/api/v1/capture/{id}/exports", [this](http::Request& r) { return create_export(r); },
             {.summary = "A measurement sheet ({format: pdf|csv}) behind a signed, expiring link",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"properties", {{"format", {{"type", "string"}, {"enum", {"pdf", "csv"}}}}}}},
              .response_schema = export_schema(),
              .success_status = 201,
              .request_body_optional = true});  // the handler admits the capture's user, partners and admins
  router.add(Method::kGet, "/api/v1/capture/{id}/exports", [this](http::Request& r) { return capture_exports(r); },
             {.summary = "A capture's exports, each with a fresh signed link",
              .tag = kTag,
              .response_schema = http::page_schema(export_schema())});
}

void Routes::install_staff(http::Router& router) {
  router.add(Method::kGet, "/api/v1/admin/captures", [this](http::Request& r) { return admin_list(r); },
             {.summary = "Every capture of the tenant for labelling (?status=, ?needs_review=true, ?user_id=)",
              .tag = kTag,
              .response_schema = http::page_schema(capture_schema())},
             {.role = labeler_role()});
  router.add(Method::kPost, "/api/v1/admin/label/{capture_id}", [this](http::Request& r) { return label(r); },
             {.summary = "A labeler's ground truth for a capture ({labels: {metrics_cm, keypoints, flags, note}})",
              .tag = kTag,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"required", {"labels"}},
                                 {"properties", {{"labels", {{"type", "object"}}}}}},
              .success_status = 201},
             {.max_body_bytes = 256u << 10, .role = labeler_role()});
  router.add(Method::kGet, "/api/v1/admin/label/{capture_id}", [this](http::Request& r) { return labels_of(r); },
             {.summary = "A capture's labels, oldest first", .tag = kTag, .response_schema = http::page_schema()},
             {.role = labeler_role()});
  router.add(Method::kGet, "/api/v1/admin/captures/{id}/photos/{view}",
             [this](http::Request& r) { return raw_image(r); },
             {.summary = "A raw photo of a capture while it is kept (audit-logged)",
              .tag = kTag,
              .success_content_type = "image/*"},
             {.role = auth::Role::kAdmin});
  router.add(Method::kGet, "/api/v1/admin/adjustments", [this](http::Request& r) { return review_queue(r); },
             {.summary = "The tailors' review queue: edited captures with their pending edits",
              .tag = kTag,
              .response_schema = http::page_schema(capture_schema())},
             {.role = partner_role()});
  router.add(Method::kPost, "/api/v1/admin/training-exports", [this](http::Request& r) { return training_export(r); },
             {.summary = "A training archive of approved measurements of consenting users (202 with the job)",
              .tag = kTag,
              .success_status = 202,
              .request_body_optional = true},
             {.role = auth::Role::kAdmin});
  router.add(
      Method::kPost, "/api/v1/partner/upload-batch", [this](http::Request& r) { return upload_batch(r); },
      {.summary = "A partner's batch of customer measurements (text/csv or JSON): each row checked, errors per row",
       .tag = kTag,
       .success_status = 201},
      {.max_body_bytes = 8u << 20, .role = partner_role()});
  router.add(Method::kGet, "/api/v1/partner/batches/{id}", [this](http::Request& r) { return get_batch(r); },
             {.summary = "One batch with its rows and their errors", .tag = kTag}, {.role = partner_role()});
  router.add(Method::kGet, "/api/v1/partner/{id}/exports", [this](http::Request& r) { return partner_exports(r); },
             {.summary = "A partner's exports (sheets made, batch reports; {id} may be me), with signed links",
              .tag = kTag,
              .response_schema = http::page_schema(export_schema())},
             {.role = partner_role()});
}

}  // namespace tyto::products::captures
