// The captures product's HTTP API (docs/products/captures.md): captures and their results, edits and
// approvals (capture_routes.cpp); labelling, review, partners' batches, exports and raw-image access
// (staff_routes.cpp).
#pragma once

#include "stages.hpp"
#include "store.hpp"
#include "tyto/http/router.hpp"
#include "tyto/product.hpp"

#include <cstdint>

namespace tyto::products::captures {

struct CaptureOptions {
  std::uint64_t max_photo_bytes = 15u << 20;  // each photo of a capture
  int image_retention_hours = 24;             // raw photos without consent are deleted this long after processing
  std::int64_t max_batch_rows = 5000;
  std::int64_t export_link_ttl_s = 3600;
};

class Routes {
 public:
  Routes(Services& services, CaptureStore& store, CaptureStages& stages, CaptureOptions options);
  void install(http::Router& router);

 private:
  void install_captures(http::Router& router);
  void install_staff(http::Router& router);

  // capture_routes.cpp
  http::Response create(http::Request& req);
  http::Response create_from_photos(http::Request& req);
  http::Response create_from_metrics(http::Request& req);
  http::Response get(http::Request& req);
  http::Response list(http::Request& req);
  http::Response status(http::Request& req);
  http::Response results(http::Request& req);
  http::Response manual_adjust(http::Request& req);
  http::Response edit_metrics(http::Request& req);
  http::Response approve(http::Request& req);
  http::Response history(http::Request& req);
  http::Response calibrate(http::Request& req);
  http::Response get_consent(http::Request& req);
  http::Response put_consent(http::Request& req);
  http::Response artifact(http::Request& req);

  // staff_routes.cpp
  http::Response admin_list(http::Request& req);
  http::Response label(http::Request& req);
  http::Response labels_of(http::Request& req);
  http::Response raw_image(http::Request& req);
  http::Response review_queue(http::Request& req);
  http::Response training_export(http::Request& req);
  http::Response upload_batch(http::Request& req);
  http::Response get_batch(http::Request& req);
  http::Response partner_exports(http::Request& req);
  http::Response create_export(http::Request& req);
  http::Response capture_exports(http::Request& req);

  // The capture of {id} the caller may see: its owner, staff (admin, partner, labeler) of the tenant.
  // Anyone else gets 404, as for an id that does not exist.
  Capture visible(const http::Request& req);
  // Its latest and first runs; 409 not_ready while the capture has none.
  std::pair<MetricsRun, MetricsRun> runs_of(const Capture& c);
  nlohmann::json with_link(const ExportRow& e);

  Services& s_;
  CaptureStore& store_;
  CaptureStages& stages_;
  CaptureOptions options_;
};

// The roles this product declares (Captures::roles()): partners are tailors and retail partners (review and
// approve edits, sheets, batches); labelers label captures and correct keypoints.
inline constexpr std::string_view kPartnerRole = "partner";
inline constexpr std::string_view kLabelerRole = "labeler";
inline auth::Role partner_role() { return auth::Role::product(kPartnerRole); }
inline auth::Role labeler_role() { return auth::Role::product(kLabelerRole); }

// Whether the principal works on other users' captures in its tenant: admin, partner (tailors) or labeler.
bool is_staff(const auth::Principal& who);

}  // namespace tyto::products::captures
