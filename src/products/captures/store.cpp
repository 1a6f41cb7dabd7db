#include "store.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

namespace tyto::products::captures {
namespace {

using nlohmann::json;

constexpr std::string_view kConsent =
    "SELECT store_images, training, updated_at FROM captures_consents WHERE tenant_id = $1 AND user_id = $2";
constexpr std::string_view kSetConsent =
    "INSERT INTO captures_consents (tenant_id, user_id, store_images, training, updated_at) VALUES ($1, $2, $3, $4, "
    "$5) "
    "ON CONFLICT (tenant_id, user_id) DO UPDATE SET store_images = $3, training = $4, updated_at = $5";

#define CAPTURE_COLUMNS                                                                                         \
  "SELECT id, tenant_id, user_id, source, status, store_images, images, capture_meta, job_id, error, "          \
  "overall_confidence, needs_review, training_queued, images_deleted_at, created_at, updated_at, completed_at " \
  "FROM captures "
constexpr std::string_view kInsert =
    "INSERT INTO captures (id, tenant_id, user_id, source, status, store_images, images, capture_meta, "
    "overall_confidence, needs_review, created_at, updated_at, completed_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)";
constexpr std::string_view kGet = CAPTURE_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kList = CAPTURE_COLUMNS
    "WHERE tenant_id = $1 AND ($2 = '' OR user_id = $2) AND ($3 = '' OR status = $3) AND ($4 = 0 OR needs_review = 1) "
    "AND id < $5 ORDER BY id DESC LIMIT $6";
constexpr std::string_view kImagesDue = CAPTURE_COLUMNS
    "WHERE store_images = 0 AND images_deleted_at IS NULL AND completed_at IS NOT NULL AND completed_at < $1 "
    "ORDER BY completed_at LIMIT $2";
constexpr std::string_view kTrainingSet = CAPTURE_COLUMNS
    "WHERE tenant_id = $1 AND training_queued = 1 AND status = 'approved' AND EXISTS (SELECT 1 FROM "
    "captures_consents c WHERE c.tenant_id = captures.tenant_id AND c.user_id = captures.user_id AND c.training = 1) "
    "ORDER BY id";
constexpr std::string_view kOfUser = CAPTURE_COLUMNS "WHERE user_id = $1 ORDER BY id";
#undef CAPTURE_COLUMNS
constexpr std::string_view kSetJob = "UPDATE captures SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetOutcome =
    "UPDATE captures SET status = $3, error = $4, overall_confidence = $5, needs_review = $6, completed_at = $7, "
    "updated_at = $8 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetTraining = "UPDATE captures SET training_queued = 1 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetImages =
    "UPDATE captures SET images = $3, images_deleted_at = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kQueuedBefore =
    "SELECT COUNT(*) FROM captures WHERE tenant_id = $1 AND status = 'queued' AND created_at < $2";

constexpr std::string_view kInsertRun =
    "INSERT INTO captures_metrics (capture_id, version, tenant_id, origin, results, created_by, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kRuns =
    "SELECT capture_id, version, origin, results, created_by, created_at FROM captures_metrics WHERE capture_id = $1 "
    "ORDER BY version";
constexpr std::string_view kPutArtifact =
    "INSERT INTO captures_artifacts (capture_id, kind, tenant_id, object_id, created_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (capture_id, kind) DO UPDATE SET object_id = $4, created_at = $5";
constexpr std::string_view kArtifacts =
    "SELECT kind, object_id FROM captures_artifacts WHERE capture_id = $1 ORDER BY kind";

#define ADJUSTMENT_COLUMNS                                                                                     \
  "SELECT id, capture_id, tenant_id, user_id, changes, note, status, decided_by, decided_at, created_at FROM " \
  "captures_adjustments "
constexpr std::string_view kInsertAdjustment =
    "INSERT INTO captures_adjustments (id, capture_id, tenant_id, user_id, changes, note, status, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)";
constexpr std::string_view kAdjustments = ADJUSTMENT_COLUMNS "WHERE capture_id = $1 ORDER BY created_at, id";
constexpr std::string_view kAdjustmentsDecidedBy = ADJUSTMENT_COLUMNS "WHERE decided_by = $1 ORDER BY id";
#undef ADJUSTMENT_COLUMNS
constexpr std::string_view kDecide =
    "UPDATE captures_adjustments SET status = $4, decided_by = $5, decided_at = $6 "
    "WHERE tenant_id = $1 AND capture_id = $2 AND status = $3";

#define LABEL_COLUMNS "SELECT id, capture_id, tenant_id, labeler_id, labels, created_at FROM captures_labels "
constexpr std::string_view kInsertLabel =
    "INSERT INTO captures_labels (id, capture_id, tenant_id, labeler_id, labels, created_at) VALUES ($1, $2, $3, $4, "
    "$5, $6)";
constexpr std::string_view kLabels = LABEL_COLUMNS "WHERE capture_id = $1 ORDER BY created_at, id";
constexpr std::string_view kLabelsBy = LABEL_COLUMNS "WHERE labeler_id = $1 ORDER BY id";
#undef LABEL_COLUMNS

#define BATCH_COLUMNS                                                                                         \
  "SELECT id, tenant_id, partner_id, format, rows_total, rows_accepted, rows_refused, rows, created_at FROM " \
  "captures_batches "
constexpr std::string_view kInsertBatch =
    "INSERT INTO captures_batches (id, tenant_id, partner_id, format, rows_total, rows_accepted, rows_refused, rows, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kBatch = BATCH_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kBatchesOf = BATCH_COLUMNS "WHERE partner_id = $1 ORDER BY id";
#undef BATCH_COLUMNS

#define EXPORT_COLUMNS                                                                                             \
  "SELECT id, tenant_id, kind, capture_id, batch_id, object_id, created_by, partner_id, version, created_at FROM " \
  "captures_exports "
constexpr std::string_view kInsertExport =
    "INSERT INTO captures_exports (id, tenant_id, kind, capture_id, batch_id, object_id, created_by, partner_id, "
    "version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kExportsForPartner =
    EXPORT_COLUMNS "WHERE tenant_id = $1 AND partner_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4";
constexpr std::string_view kExportsOfCapture = EXPORT_COLUMNS "WHERE capture_id = $1 ORDER BY id";
constexpr std::string_view kExportsBy = EXPORT_COLUMNS "WHERE created_by = $1 OR partner_id = $1 ORDER BY id";
#undef EXPORT_COLUMNS

// Erasure: the user's own captures and everything made from them, then their marks on other users' rows.
constexpr std::string_view kUserCaptureIds = "SELECT id FROM captures WHERE user_id = $1";
constexpr std::string_view kEraseRuns = "DELETE FROM captures_metrics WHERE capture_id = $1";
constexpr std::string_view kEraseArtifacts = "DELETE FROM captures_artifacts WHERE capture_id = $1";
constexpr std::string_view kEraseAdjustments = "DELETE FROM captures_adjustments WHERE capture_id = $1";
constexpr std::string_view kEraseLabels = "DELETE FROM captures_labels WHERE capture_id = $1";
constexpr std::string_view kEraseCaptureExports =
    "DELETE FROM captures_exports WHERE capture_id = $1 RETURNING object_id";
constexpr std::string_view kEraseCapture = "DELETE FROM captures WHERE id = $1";
constexpr std::string_view kEraseConsents = "DELETE FROM captures_consents WHERE user_id = $1";
constexpr std::string_view kEraseBatches = "DELETE FROM captures_batches WHERE partner_id = $1";
constexpr std::string_view kEraseOwnExports =
    "DELETE FROM captures_exports WHERE created_by = $1 OR partner_id = $1 RETURNING object_id";
constexpr std::string_view kForgetLabeler = "UPDATE captures_labels SET labeler_id = NULL WHERE labeler_id = $1";
constexpr std::string_view kForgetDecider = "UPDATE captures_adjustments SET decided_by = NULL WHERE decided_by = $1";
constexpr std::string_view kForgetRunAuthor = "UPDATE captures_metrics SET created_by = NULL WHERE created_by = $1";

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json opt_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }
storage::Value null_or(const json& j) { return j.is_null() ? storage::Value() : storage::Value(j.dump()); }

Capture capture_from(const storage::Row& r) {
  Capture c;
  c.id = r.get<std::string>(0);
  c.tenant_id = r.get<std::string>(1);
  c.user_id = r.get<std::string>(2);
  c.source = r.get<std::string>(3);
  c.status = r.get<std::string>(4);
  c.store_images = r.get<bool>(5);
  c.images = json::parse(r.get<std::string>(6));
  c.capture_meta = json::parse(r.get<std::string>(7));
  c.job_id = r.get_optional<std::string>(8);
  c.error = r.is_null(9) ? json(nullptr) : json::parse(r.get<std::string>(9));
  c.overall_confidence = r.get_optional<double>(10);
  c.needs_review = r.get<bool>(11);
  c.training_queued = r.get<bool>(12);
  c.images_deleted_at = r.get_optional<std::int64_t>(13);
  c.created_at = r.get<std::int64_t>(14);
  c.updated_at = r.get<std::int64_t>(15);
  c.completed_at = r.get_optional<std::int64_t>(16);
  return c;
}

MetricsRun run_from(const storage::Row& r) {
  return {r.get<std::string>(0),          r.get<int>(1),
          r.get<std::string>(2),          json::parse(r.get<std::string>(3)),
          r.get_optional<std::string>(4), r.get<std::int64_t>(5)};
}

Adjustment adjustment_from(const storage::Row& r) {
  Adjustment a;
  a.id = r.get<std::string>(0);
  a.capture_id = r.get<std::string>(1);
  a.tenant_id = r.get<std::string>(2);
  a.user_id = r.get<std::string>(3);
  a.changes = json::parse(r.get<std::string>(4));
  a.note = r.get<std::string>(5);
  a.status = r.get<std::string>(6);
  a.decided_by = r.get_optional<std::string>(7);
  a.decided_at = r.get_optional<std::int64_t>(8);
  a.created_at = r.get<std::int64_t>(9);
  return a;
}

Label label_from(const storage::Row& r) {
  return {r.get<std::string>(0),
          r.get<std::string>(1),
          r.get<std::string>(2),
          r.get_optional<std::string>(3),
          json::parse(r.get<std::string>(4)),
          r.get<std::int64_t>(5)};
}

Batch batch_from(const storage::Row& r) {
  Batch b;
  b.id = r.get<std::string>(0);
  b.tenant_id = r.get<std::string>(1);
  b.partner_id = r.get<std::string>(2);
  b.format = r.get<std::string>(3);
  b.rows_total = r.get<int>(4);
  b.rows_accepted = r.get<int>(5);
  b.rows_refused = r.get<int>(6);
  b.rows = json::parse(r.get<std::string>(7));
  b.created_at = r.get<std::int64_t>(8);
  return b;
}

ExportRow export_from(const storage::Row& r) {
  ExportRow e;
  e.id = r.get<std::string>(0);
  e.tenant_id = r.get<std::string>(1);
  e.kind = r.get<std::string>(2);
  e.capture_id = r.get_optional<std::string>(3);
  e.batch_id = r.get_optional<std::string>(4);
  e.object_id = r.get<std::string>(5);
  e.created_by = r.get_optional<std::string>(6);
  e.partner_id = r.get_optional<std::string>(7);
  e.version = r.get_optional<int>(8);
  e.created_at = r.get<std::int64_t>(9);
  return e;
}

template <class T, class F>
std::vector<T> rows(const storage::Result& result, F from) {
  std::vector<T> out;
  out.reserve(result.rows.size());
  for (const auto& r : result.rows) out.push_back(from(r));
  return out;
}

}  // namespace

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id)) {
    throw Error(ErrorCode::kNotFound, "no such " + std::string(what), {{"id", std::string(id.substr(0, 64))}});
  }
}

Consent CaptureStore::consent(storage::Session& s, const std::string& tenant_id, const std::string& user_id) {
  const auto r = s.query_one(kConsent, {tenant_id, user_id});
  if (!r) return {};
  return {r->get<bool>(0), r->get<bool>(1), r->get<std::int64_t>(2)};
}

void CaptureStore::set_consent(storage::Session& s, const std::string& tenant_id, const std::string& user_id,
                               const Consent& c) {
  s.execute(kSetConsent, {tenant_id, user_id, std::int64_t{c.store_images}, std::int64_t{c.training},
                          c.updated_at.value_or(now_micros())});
}

void CaptureStore::insert(storage::Session& s, const Capture& c) {
  s.execute(kInsert,
            {c.id, c.tenant_id, c.user_id, c.source, c.status, std::int64_t{c.store_images}, c.images.dump(),
             c.capture_meta.dump(), c.overall_confidence, std::int64_t{c.needs_review}, c.created_at, c.completed_at});
}

std::optional<Capture> CaptureStore::get(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  const auto r = s.query_one(kGet, {tenant_id, id});
  if (!r) return std::nullopt;
  return capture_from(*r);
}

std::vector<Capture> CaptureStore::list(const std::string& tenant_id, const std::string& user_id,
                                        const std::string& status, bool needs_review_only, const std::string& before,
                                        int limit) {
  return rows<Capture>(
      db_.query(kList, {tenant_id, user_id, status, std::int64_t{needs_review_only}, before, std::int64_t{limit}}),
      capture_from);
}

void CaptureStore::set_job(storage::Session& s, const std::string& tenant_id, const std::string& id,
                           const std::string& job_id) {
  s.execute(kSetJob, {tenant_id, id, job_id});
}

bool CaptureStore::set_status(storage::Session& s, const std::string& tenant_id, const std::string& id,
                              std::string_view status, std::initializer_list<std::string_view> from) {
  std::string sql = "UPDATE captures SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status IN (";
  storage::Params params{tenant_id, id, std::string(status), now_micros()};
  int n = 5;
  for (const auto f : from) {
    if (n > 5) sql += ", ";
    sql += "$" + std::to_string(n++);
    params.emplace_back(std::string(f));
  }
  sql += ")";
  return s.execute(sql, params) > 0;
}

void CaptureStore::set_outcome(storage::Session& s, const Capture& c) {
  s.execute(kSetOutcome, {c.tenant_id, c.id, c.status, null_or(c.error), c.overall_confidence,
                          std::int64_t{c.needs_review}, c.completed_at, now_micros()});
}

void CaptureStore::set_training_queued(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  s.execute(kSetTraining, {tenant_id, id});
}

void CaptureStore::set_images(storage::Session& s, const std::string& tenant_id, const std::string& id,
                              const json& images, std::optional<std::int64_t> deleted_at) {
  s.execute(kSetImages, {tenant_id, id, images.dump(), deleted_at});
}

std::int64_t CaptureStore::queued_before(const std::string& tenant_id, std::int64_t created_at) {
  return db_.query_one(kQueuedBefore, {tenant_id, created_at})->get<std::int64_t>(0);
}

void CaptureStore::insert_run(storage::Session& s, const std::string& tenant_id, const MetricsRun& run) {
  s.execute(kInsertRun, {run.capture_id, std::int64_t{run.version}, tenant_id, run.origin, run.results.dump(),
                         run.created_by, run.created_at});
}

std::vector<MetricsRun> CaptureStore::runs(storage::Session& s, const std::string& capture_id) {
  return rows<MetricsRun>(s.query(kRuns, {capture_id}), run_from);
}

std::optional<MetricsRun> CaptureStore::latest_run(storage::Session& s, const std::string& capture_id) {
  auto all = runs(s, capture_id);
  if (all.empty()) return std::nullopt;
  return std::move(all.back());
}

void CaptureStore::put_artifact(storage::Session& s, const std::string& tenant_id, const std::string& capture_id,
                                const Artifact& a) {
  s.execute(kPutArtifact, {capture_id, a.kind, tenant_id, a.object_id, now_micros()});
}

std::vector<Artifact> CaptureStore::artifacts(storage::Session& s, const std::string& capture_id) {
  return rows<Artifact>(s.query(kArtifacts, {capture_id}), [](const storage::Row& r) {
    return Artifact{r.get<std::string>(0), r.get<std::string>(1)};
  });
}

void CaptureStore::insert_adjustment(storage::Session& s, const Adjustment& a) {
  s.execute(kInsertAdjustment, {a.id, a.capture_id, a.tenant_id, a.user_id, a.changes.dump(), a.note, a.created_at});
}

std::vector<Adjustment> CaptureStore::adjustments(storage::Session& s, const std::string& capture_id) {
  return rows<Adjustment>(s.query(kAdjustments, {capture_id}), adjustment_from);
}

std::int64_t CaptureStore::decide_pending(storage::Session& s, const std::string& tenant_id,
                                          const std::string& capture_id, std::string_view status,
                                          const std::string& decided_by, std::int64_t at) {
  return s.execute(kDecide, {tenant_id, capture_id, "pending", std::string(status), decided_by, at});
}

void CaptureStore::insert_label(storage::Session& s, const Label& l) {
  s.execute(kInsertLabel, {l.id, l.capture_id, l.tenant_id, l.labeler_id, l.labels.dump(), l.created_at});
}

std::vector<Label> CaptureStore::labels(storage::Session& s, const std::string& capture_id) {
  return rows<Label>(s.query(kLabels, {capture_id}), label_from);
}

void CaptureStore::insert_batch(storage::Session& s, const Batch& b) {
  s.execute(kInsertBatch, {b.id, b.tenant_id, b.partner_id, b.format, std::int64_t{b.rows_total},
                           std::int64_t{b.rows_accepted}, std::int64_t{b.rows_refused}, b.rows.dump(), b.created_at});
}

std::optional<Batch> CaptureStore::batch(const std::string& tenant_id, const std::string& id) {
  const auto r = db_.query_one(kBatch, {tenant_id, id});
  if (!r) return std::nullopt;
  return batch_from(*r);
}

void CaptureStore::insert_export(storage::Session& s, const ExportRow& e) {
  std::optional<std::int64_t> version;
  if (e.version) version = *e.version;
  s.execute(kInsertExport, {e.id, e.tenant_id, e.kind, e.capture_id, e.batch_id, e.object_id, e.created_by,
                            e.partner_id, version, e.created_at});
}

std::vector<ExportRow> CaptureStore::exports_for_partner(const std::string& tenant_id, const std::string& partner_id,
                                                         const std::string& before, int limit) {
  return rows<ExportRow>(db_.query(kExportsForPartner, {tenant_id, partner_id, before, std::int64_t{limit}}),
                         export_from);
}

std::vector<ExportRow> CaptureStore::exports_of_capture(storage::Session& s, const std::string& capture_id) {
  return rows<ExportRow>(s.query(kExportsOfCapture, {capture_id}), export_from);
}

std::vector<Capture> CaptureStore::images_due(std::int64_t cutoff, int limit) {
  return rows<Capture>(db_.query(kImagesDue, {cutoff, std::int64_t{limit}}), capture_from);
}

std::vector<Capture> CaptureStore::training_set(const std::string& tenant_id) {
  return rows<Capture>(db_.query(kTrainingSet, {tenant_id}), capture_from);
}

std::vector<Capture> CaptureStore::captures_of_user(const std::string& user_id) {
  return rows<Capture>(db_.query(kOfUser, {user_id}), capture_from);
}

std::vector<ExportRow> CaptureStore::exports_by_user(const std::string& user_id) {
  return rows<ExportRow>(db_.query(kExportsBy, {user_id}), export_from);
}

std::vector<Batch> CaptureStore::batches_of_partner(const std::string& user_id) {
  return rows<Batch>(db_.query(kBatchesOf, {user_id}), batch_from);
}

std::vector<Label> CaptureStore::labels_by(const std::string& user_id) {
  return rows<Label>(db_.query(kLabelsBy, {user_id}), label_from);
}

std::vector<Adjustment> CaptureStore::adjustments_decided_by(const std::string& user_id) {
  return rows<Adjustment>(db_.query(kAdjustmentsDecidedBy, {user_id}), adjustment_from);
}

std::vector<std::string> CaptureStore::erase_user(storage::Session& s, const std::string& user_id) {
  std::vector<std::string> objects;
  for (const auto& r : s.query(kUserCaptureIds, {user_id}).rows) {
    const auto id = r.get<std::string>(0);
    for (const auto& a : artifacts(s, id)) objects.push_back(a.object_id);
    for (const auto& e : s.query(kEraseCaptureExports, {id}).rows) objects.push_back(e.get<std::string>(0));
    if (const auto c = s.query_one("SELECT images FROM captures WHERE id = $1", {id})) {
      const json images = json::parse(c->get<std::string>(0));
      for (const auto& [view, object_id] : images.items()) {
        if (object_id.is_string()) objects.push_back(object_id.get<std::string>());
      }
    }
    s.execute(kEraseRuns, {id});
    s.execute(kEraseArtifacts, {id});
    s.execute(kEraseAdjustments, {id});
    s.execute(kEraseLabels, {id});
    s.execute(kEraseCapture, {id});
  }
  for (const auto& e : s.query(kEraseOwnExports, {user_id}).rows) objects.push_back(e.get<std::string>(0));
  s.execute(kEraseConsents, {user_id});
  s.execute(kEraseBatches, {user_id});
  s.execute(kForgetLabeler, {user_id});
  s.execute(kForgetDecider, {user_id});
  s.execute(kForgetRunAuthor, {user_id});
  return objects;
}

json capture_json(const Capture& c) {
  return {{"capture_id", c.id},
          {"id", c.id},
          {"user_id", c.user_id},
          {"source", c.source},
          {"status", c.status},
          {"store_images", c.store_images},
          {"images", c.images},
          {"capture_meta", c.capture_meta},
          {"job_id", opt(c.job_id)},
          {"error", c.error},
          {"overall_confidence", c.overall_confidence ? json(*c.overall_confidence) : json(nullptr)},
          {"needs_review", c.needs_review},
          {"training_queued", c.training_queued},
          {"images_deleted_at", opt_time(c.images_deleted_at)},
          {"created_at", format_rfc3339(c.created_at)},
          {"updated_at", format_rfc3339(c.updated_at)},
          {"completed_at", opt_time(c.completed_at)}};
}

json adjustment_json(const Adjustment& a) {
  return {{"id", a.id},
          {"capture_id", a.capture_id},
          {"user_id", a.user_id},
          {"changes", a.changes},
          {"note", a.note},
          {"status", a.status},
          {"decided_by", opt(a.decided_by)},
          {"decided_at", opt_time(a.decided_at)},
          {"created_at", format_rfc3339(a.created_at)}};
}

json label_json(const Label& l) {
  return {{"id", l.id},
          {"capture_id", l.capture_id},
          {"labeler_id", opt(l.labeler_id)},
          {"labels", l.labels},
          {"created_at", format_rfc3339(l.created_at)}};
}

json export_json(const ExportRow& e) {
  return {{"id", e.id},
          {"kind", e.kind},
          {"capture_id", opt(e.capture_id)},
          {"batch_id", opt(e.batch_id)},
          {"object_id", e.object_id},
          {"created_by", opt(e.created_by)},
          {"partner_id", opt(e.partner_id)},
          {"version", e.version ? json(*e.version) : json(nullptr)},
          {"created_at", format_rfc3339(e.created_at)}};
}

json batch_json(const Batch& b, bool with_rows) {
  json j = {{"id", b.id},
            {"batch_id", b.id},
            {"partner_id", b.partner_id},
            {"format", b.format},
            {"rows_total", b.rows_total},
            {"rows_accepted", b.rows_accepted},
            {"rows_refused", b.rows_refused},
            {"created_at", format_rfc3339(b.created_at)}};
  if (with_rows) j["rows"] = b.rows;
  return j;
}

}  // namespace tyto::products::captures
