// Routes of reference images, scans, listings and reviews (docs/products/brand-protection.md).
#include "scan_routes.hpp"

#include "providers.hpp"
#include "saved_providers.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/api/streams.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/csv.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/page.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

std::optional<double> probability_query(const http::Request& req) {
  const auto text = req.query("min_probability");
  if (!text || text->empty()) return std::nullopt;
  double d = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), d);
  if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(d) || d < 0 || d > 1) {
    throw Error(ErrorCode::kValidationFailed, "invalid query",
                {{"fields", {{"min_probability", "a number from 0 to 1"}}}});
  }
  return d;
}

}  // namespace

Brand ScanRoutes::brand(const http::Request& req) {
  const auto id = req.param("id");
  check_id(id, "brand");
  auto b = brands_.get(req.who().tenant_id, std::string(id));
  if (!b) throw Error(ErrorCode::kNotFound, "no such brand", {{"id", std::string(id)}});
  return std::move(*b);
}

Scan ScanRoutes::scan(const http::Request& req, const Brand& b) {
  const auto id = req.param("scan_id");
  check_id(id, "scan");
  auto s = scans_.get(b.tenant_id, std::string(id));
  if (!s || s->brand_id != b.id) throw Error(ErrorCode::kNotFound, "no such scan", {{"id", std::string(id)}});
  return std::move(*s);
}

http::Response ScanRoutes::add_image(http::Request& req) {
  const auto& who = req.who();
  const Brand b = brand(req);
  const std::string object_id = req.json().at("object_id");
  check_id(object_id, "object");
  const auto object = s_.objects.get_object(who.tenant_id, object_id);
  // Someone else's object reads as unknown unless the caller is an admin, as on /api/v1/objects.
  if (!object || (!who.allows(auth::Role::kAdmin) && object->owner_id != who.owner_id())) {
    throw Error(ErrorCode::kNotFound, "no such object", {{"object_id", object_id}});
  }
  if (object->content_type.rfind("image/", 0) != 0) {
    throw Error(ErrorCode::kValidationFailed, "a reference image must be an image",
                {{"fields", {{"object_id", "is " + object->content_type}}}});
  }
  ReferenceImage image{new_uuid_v7(),
                       who.tenant_id,
                       b.id,
                       object_id,
                       object->owner_id,
                       object->sha256,
                       "pending",
                       nullptr,
                       std::nullopt,
                       std::nullopt,
                       who.user_id.empty() ? std::nullopt : std::optional<std::string>(who.user_id),
                       now_micros()};
  auto spec = s_.jobs.spec("brand_protection.hash_reference", who.tenant_id, {{"image_id", image.id}});
  if (!who.user_id.empty()) spec.created_by = who.user_id;
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  brands_.insert_image(*tx, image);
  image.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  brands_.set_image_job(*tx, who.tenant_id, image.id, *image.job_id);
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json(reference_image_json(image), 201);
}

http::Response ScanRoutes::list_images(http::Request& req) {
  const Brand b = brand(req);
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto images = brands_.images(b.tenant_id, b.id, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(
      http::page_body(q, images, reference_image_json, [](const ReferenceImage& i) { return i.id; }));
}

http::Response ScanRoutes::get_image(http::Request& req) {
  const Brand b = brand(req);
  const auto id = req.param("image_id");
  check_id(id, "reference image");
  const auto image = brands_.get_image(b.tenant_id, b.id, std::string(id));
  if (!image) throw Error(ErrorCode::kNotFound, "no such reference image", {{"id", std::string(id)}});
  return http::Response::json(reference_image_json(*image));
}

http::Response ScanRoutes::remove_image(http::Request& req) {
  const Brand b = brand(req);
  const auto id = std::string(req.param("image_id"));
  check_id(id, "reference image");
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  if (!brands_.remove_image(*tx, b.tenant_id, b.id, id)) {
    throw Error(ErrorCode::kNotFound, "no such reference image", {{"id", id}});
  }
  tx->commit();
  return http::Response::no_content();
}

http::Response ScanRoutes::start_scan(http::Request& req) {
  const auto& who = req.who();
  const Brand b = brand(req);
  const json body = req.json();
  const json provider = body.at("provider");
  check_provider_spec(s_, who.tenant_id, provider);
  // A saved provider's scans and listings carry the kind it is.
  std::string kind = provider.at("type");
  if (kind == "saved") kind = providers_.get(who.tenant_id, provider.at("provider_id"))->spec.at("type");
  if (scans_.started_since(who.tenant_id, now_micros() - 86'400'000'000LL) >= limits_.scans_per_day) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant's scans for the day are used up",
                {{"quota", "brand_protection.scans_per_day"}, {"limit", limits_.scans_per_day}});
  }
  Scan s;
  s.id = new_uuid_v7();
  s.tenant_id = who.tenant_id;
  s.brand_id = b.id;
  s.provider = kind;
  s.provider_spec = provider;
  s.query = body.value("query", b.name);
  if (!who.user_id.empty()) s.created_by = who.user_id;
  s.created_at = now_micros();
  auto spec = s_.jobs.spec("brand_protection.scan", who.tenant_id, {{"scan_id", s.id}});
  spec.created_by = s.created_by;
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  scans_.insert(*tx, s);
  s.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  scans_.set_job(*tx, s.tenant_id, s.id, *s.job_id);
  s_.audit.record(*tx, api::audit_entry(req, "brand_protection.scan_start", "brand:" + b.id,
                                        {{"scan_id", s.id}, {"provider", kind}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  json out = scan_json(s);
  out["scan_id"] = s.id;
  return http::Response::json(out, 202);
}

http::Response ScanRoutes::list_scans(http::Request& req) {
  const Brand b = brand(req);
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto scans = scans_.list(b.tenant_id, b.id, q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, scans, scan_json, [](const Scan& s) { return s.id; }));
}

http::Response ScanRoutes::get_scan(http::Request& req) {
  return http::Response::json(scan_json(scan(req, brand(req))));
}

http::Response ScanRoutes::listings(http::Request& req) {
  const Brand b = brand(req);
  const Scan s = scan(req, b);
  if (const auto sort = req.query("sort"); sort && !sort->empty() && *sort != "-probability") {
    throw Error(ErrorCode::kValidationFailed, "invalid query", {{"fields", {{"sort", "-probability"}}}});
  }
  ListingQuery q;
  q.tenant_id = b.tenant_id;
  q.scan_id = s.id;
  q.min_probability = probability_query(req);
  if (const auto status = req.query("status"); status && !status->empty()) {
    if (*status != "pending" && *status != "confirmed" && *status != "dismissed") {
      throw Error(ErrorCode::kValidationFailed, "invalid query",
                  {{"fields", {{"status", "pending, confirmed or dismissed"}}}});
    }
    q.review_status = *status;
  }
  const auto page = http::page_query(req, 50, 200, well_formed_listing_cursor);
  q.cursor = page.cursor;
  q.limit = page.fetch();
  return http::Response::json(http::page_body(page, scans_.listings(q), listing_json, listing_cursor));
}

http::Response ScanRoutes::listings_csv(http::Request& req) {
  const Brand b = brand(req);
  const Scan s = scan(req, b);
  std::string csv =
      "listing_id,provider,title,seller,price,currency,url,image_url,probability,matched_image_id,error,review_status,"
      "review_note\r\n";
  for (const auto& l : scans_.all_listings(b.tenant_id, s.id)) {
    const std::vector<std::string> cells = {l.provider_listing_id,
                                            l.provider,
                                            l.title,
                                            l.seller,
                                            l.price ? fmt::format("{:.2f}", *l.price) : "",
                                            l.currency,
                                            l.url,
                                            l.image_url,
                                            l.probability ? fmt::format("{:.4f}", *l.probability) : "",
                                            l.matched_image_id.value_or(""),
                                            l.error.value_or(""),
                                            l.review_status,
                                            l.review_note.value_or("")};
    append_csv_row(csv, cells);
  }
  auto r = http::Response::text(std::move(csv), "text/csv; charset=utf-8");
  r.headers.set("Content-Disposition", fmt::format("attachment; filename=\"scan-{}.csv\"", s.id));
  return r;
}

http::Response ScanRoutes::review(http::Request& req) {
  const auto& who = req.who();
  const auto id = std::string(req.param("id"));
  check_id(id, "listing");
  const json body = req.json();
  auto l = scans_.get_listing(who.tenant_id, id);
  if (!l) throw Error(ErrorCode::kNotFound, "no such listing", {{"id", id}});
  l->review_status = body.at("decision").get<std::string>();
  if (body.contains("note")) l->review_note = body["note"].get<std::string>();
  l->reviewed_by = who.user_id.empty() ? who.actor() : who.user_id;
  l->reviewed_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  scans_.review(*tx, *l);
  s_.audit.record(*tx, api::audit_entry(req, "brand_protection.listing_review", "listing:" + id,
                                        {{"decision", l->review_status}, {"brand_id", l->brand_id}}));
  tx->commit();
  return http::Response::json(listing_json(*l));
}

void ScanRoutes::install(http::Router& router) {
  const auto tag = "brand_protection";
  router.add(
      http::Method::kPost, "/api/v1/brands/{id}/images", [this](http::Request& r) { return add_image(r); },
      {.summary = "Add a reference image: an image object uploaded through the upload flow; it is hashed by a job",
       .tag = tag,
       .request_schema = {{"type", "object"},
                          {"required", {"object_id"}},
                          {"additionalProperties", false},
                          {"properties", {{"object_id", {{"type", "string"}}}}}},
       .response_schema = reference_image_schema(),
       .success_status = 201},
      {.role = auth::Role::kUser});
  router.add(http::Method::kGet, "/api/v1/brands/{id}/images", [this](http::Request& r) { return list_images(r); },
             {.summary = "A brand's reference images, newest first",
              .tag = tag,
              .response_schema = http::page_schema(reference_image_schema())});
  router.add(http::Method::kGet, "/api/v1/brands/{id}/images/{image_id}",
             [this](http::Request& r) { return get_image(r); },
             {.summary = "One reference image, with its hashes once hashed",
              .tag = tag,
              .response_schema = reference_image_schema()});
  router.add(http::Method::kDelete, "/api/v1/brands/{id}/images/{image_id}",
             [this](http::Request& r) { return remove_image(r); },
             {.summary = "Remove a reference image (the object stays)", .tag = tag, .success_status = 204},
             {.role = auth::Role::kUser});
  router.add(http::Method::kPost, "/api/v1/brands/{id}/scans", [this](http::Request& r) { return start_scan(r); },
             {.summary = "Start a scan of a provider for the brand; a job runs it",
              .tag = tag,
              .request_schema = {{"type", "object"},
                                 {"required", {"provider"}},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"provider", provider_schema()},
                                   {"query", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}}}}},
              .response_schema = scan_schema(),
              .success_status = 202},
             {.role = auth::Role::kUser});
  router.add(
      http::Method::kGet, "/api/v1/brands/{id}/scans", [this](http::Request& r) { return list_scans(r); },
      {.summary = "A brand's scans, newest first", .tag = tag, .response_schema = http::page_schema(scan_schema())});
  router.add(http::Method::kGet, "/api/v1/brands/{id}/scans/{scan_id}",
             [this](http::Request& r) { return get_scan(r); },
             {.summary = "One scan: state, progress and counts", .tag = tag, .response_schema = scan_schema()});
  router.add(http::Method::kGet, "/api/v1/brands/{id}/scans/{scan_id}/listings",
             [this](http::Request& r) { return listings(r); },
             {.summary = "A scan's listings, most probable copies first (?sort=-probability&min_probability=&status=)",
              .tag = tag,
              .response_schema = http::page_schema(listing_schema())});
  router.add(http::Method::kGet, "/api/v1/brands/{id}/scans/{scan_id}/listings.csv",
             [this](http::Request& r) { return listings_csv(r); },
             {.summary = "A scan's listings as CSV", .tag = tag, .success_content_type = "text/csv"});
  // Live progress: the scan now, then scan.progress (the scan after each listing), listing.scored (the
  // listing as stored) and scan.finished.
  s_.streams.add(router, {.sse_path = "/api/v1/brands/{id}/scans/{scan_id}/events",
                          .websocket_path = "/ws/brands/{id}/scans/{scan_id}",
                          .resolve =
                              [this](const http::Request& req) {
                                const Scan s = scan(req, brand(req));
                                return api::StreamSource{s.tenant_id, scan_topic(s.id), scan_json(s)};
                              },
                          .what = "a brand scan",
                          .tag = tag});
  router.add(http::Method::kPost, "/api/v1/listings/{id}/review", [this](http::Request& r) { return review(r); },
             {.summary = "Confirm or dismiss a listing, with a note (audit-logged)",
              .tag = tag,
              .request_schema = {{"type", "object"},
                                 {"required", {"decision"}},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"decision", {{"type", "string"}, {"enum", {"confirmed", "dismissed"}}}},
                                   {"note", {{"type", "string"}, {"maxLength", 2000}}}}}},
              .response_schema = listing_schema()},
             {.role = auth::Role::kUser});
}

}  // namespace tyto::products::brand_protection
