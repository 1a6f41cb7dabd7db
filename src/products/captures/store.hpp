// The captures product's rows and the named SQL that keeps them (migrations/). Every query names its
// tenant, except those of one user across tenants (export and erasure). Blocking: call from handlers
// on the blocking pool and from stages.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::captures {

struct Consent {
  bool store_images = false;
  bool training = false;
  std::optional<std::int64_t> updated_at;  // nullopt: never set (both false)
};

struct Capture {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::string source = "photos";  // photos or client
  std::string status = "queued";  // queued, processing, completed, failed, edited, approved
  bool store_images = false;
  nlohmann::json images = nlohmann::json::object();  // {"front": object_id, …}
  nlohmann::json capture_meta = nlohmann::json::object();
  std::optional<std::string> job_id;
  nlohmann::json error;  // null, or {code, message}
  std::optional<double> overall_confidence;
  bool needs_review = false;
  bool training_queued = false;
  std::optional<std::int64_t> images_deleted_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> completed_at;
};

struct MetricsRun {
  std::string capture_id;
  int version = 1;
  std::string origin;  // pipeline, client, manual_adjust
  nlohmann::json results;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
};

struct Adjustment {
  std::string id;
  std::string capture_id;
  std::string tenant_id;
  std::string user_id;
  nlohmann::json changes;  // {"waist": {"from": 81.2, "to": 79.0}}
  std::string note;
  std::string status = "pending";  // pending, approved, rejected
  std::optional<std::string> decided_by;
  std::optional<std::int64_t> decided_at;
  std::int64_t created_at = 0;
};

struct Label {
  std::string id;
  std::string capture_id;
  std::string tenant_id;
  std::optional<std::string> labeler_id;
  nlohmann::json labels;
  std::int64_t created_at = 0;
};

struct Batch {
  std::string id;
  std::string tenant_id;
  std::string partner_id;
  std::string format;
  int rows_total = 0;
  int rows_accepted = 0;
  int rows_refused = 0;
  nlohmann::json rows = nlohmann::json::array();
  std::int64_t created_at = 0;
};

struct ExportRow {
  std::string id;
  std::string tenant_id;
  std::string kind;  // pdf, csv, batch_csv, training
  std::optional<std::string> capture_id;
  std::optional<std::string> batch_id;
  std::string object_id;
  std::optional<std::string> created_by;
  std::optional<std::string> partner_id;
  std::optional<int> version;
  std::int64_t created_at = 0;
};

struct Artifact {
  std::string kind;
  std::string object_id;
};

class CaptureStore {
 public:
  explicit CaptureStore(storage::Database& db) : db_(db) {}
  storage::Database& db() { return db_; }

  Consent consent(storage::Session& s, const std::string& tenant_id, const std::string& user_id);
  void set_consent(storage::Session& s, const std::string& tenant_id, const std::string& user_id, const Consent& c);

  void insert(storage::Session& s, const Capture& c);
  std::optional<Capture> get(storage::Session& s, const std::string& tenant_id, const std::string& id);
  std::optional<Capture> get(const std::string& tenant_id, const std::string& id) { return get(db_, tenant_id, id); }
  // Newest first, ids below `before`; "" user_id: every user's; "" status: any.
  std::vector<Capture> list(const std::string& tenant_id, const std::string& user_id, const std::string& status,
                            bool needs_review_only, const std::string& before, int limit);
  void set_job(storage::Session& s, const std::string& tenant_id, const std::string& id, const std::string& job_id);
  // Moves the status; returns false when the capture is not in one of `from` (a stale writer).
  bool set_status(storage::Session& s, const std::string& tenant_id, const std::string& id, std::string_view status,
                  std::initializer_list<std::string_view> from);
  void set_outcome(storage::Session& s, const Capture& c);  // status, error, confidence, review, completed_at
  void set_training_queued(storage::Session& s, const std::string& tenant_id, const std::string& id);
  void set_images(storage::Session& s, const std::string& tenant_id, const std::string& id,
                  const nlohmann::json& images, std::optional<std::int64_t> deleted_at);
  // Queued captures of the tenant created before this one (its place in line).
  std::int64_t queued_before(const std::string& tenant_id, std::int64_t created_at);

  void insert_run(storage::Session& s, const std::string& tenant_id, const MetricsRun& run);
  std::vector<MetricsRun> runs(storage::Session& s, const std::string& capture_id);  // oldest first
  std::optional<MetricsRun> latest_run(storage::Session& s, const std::string& capture_id);

  void put_artifact(storage::Session& s, const std::string& tenant_id, const std::string& capture_id,
                    const Artifact& a);
  std::vector<Artifact> artifacts(storage::Session& s, const std::string& capture_id);

  void insert_adjustment(storage::Session& s, const Adjustment& a);
  std::vector<Adjustment> adjustments(storage::Session& s, const std::string& capture_id);  // oldest first
  // Decides every pending adjustment of the capture; returns how many.
  std::int64_t decide_pending(storage::Session& s, const std::string& tenant_id, const std::string& capture_id,
                              std::string_view status, const std::string& decided_by, std::int64_t at);

  void insert_label(storage::Session& s, const Label& l);
  std::vector<Label> labels(storage::Session& s, const std::string& capture_id);

  void insert_batch(storage::Session& s, const Batch& b);
  std::optional<Batch> batch(const std::string& tenant_id, const std::string& id);

  void insert_export(storage::Session& s, const ExportRow& e);
  std::vector<ExportRow> exports_for_partner(const std::string& tenant_id, const std::string& partner_id,
                                             const std::string& before, int limit);
  std::vector<ExportRow> exports_of_capture(storage::Session& s, const std::string& capture_id);

  // Completed captures whose raw photos are due for deletion (no consent, processed before `cutoff`).
  std::vector<Capture> images_due(std::int64_t cutoff, int limit);
  // Approved, training-queued captures of consenting users, for the training archive.
  std::vector<Capture> training_set(const std::string& tenant_id);

  // One user's rows in every tenant, for export and erasure.
  std::vector<Capture> captures_of_user(const std::string& user_id);
  std::vector<ExportRow> exports_by_user(const std::string& user_id);
  std::vector<Batch> batches_of_partner(const std::string& user_id);
  std::vector<Label> labels_by(const std::string& user_id);
  std::vector<Adjustment> adjustments_decided_by(const std::string& user_id);
  // Deletes the user's captures and everything hanging off them; anonymises rows the user made about
  // other users' captures (labels, decisions). Returns the object ids that belonged to them.
  std::vector<std::string> erase_user(storage::Session& s, const std::string& user_id);

 private:
  storage::Database& db_;
};

nlohmann::json capture_json(const Capture& c);
nlohmann::json adjustment_json(const Adjustment& a);
nlohmann::json label_json(const Label& l);
nlohmann::json export_json(const ExportRow& e);
nlohmann::json batch_json(const Batch& b, bool with_rows);

// Not found (404) unless the id is a UUID; never says whether another tenant has it.
void check_id(std::string_view id, std::string_view what);

}  // namespace tyto::products::captures
