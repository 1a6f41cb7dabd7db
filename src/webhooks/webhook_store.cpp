#include "tyto/webhooks/webhook_store.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

namespace tyto::webhooks {
namespace {

using nlohmann::json;
using storage::Params;
using storage::Row;

constexpr std::string_view kEndpointColumns =
    "id, tenant_id, url, description, event_types, active, created_by, created_at, updated_at, secret_ciphertext";
constexpr std::string_view kDeliveryColumns =
    "id, tenant_id, endpoint_id, event_id, event_type, payload, state, attempts, last_status, last_error, "
    "next_attempt_at, created_at, delivered_at, job_id";
constexpr std::string_view kAttemptColumns =
    "delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt";

const std::string kInsertEndpoint = fmt::format(
    "INSERT INTO webhook_endpoints ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", kEndpointColumns);
const std::string kGetEndpoint =
    fmt::format("SELECT {} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2", kEndpointColumns);
const std::string kActiveEndpoints = fmt::format(
    "SELECT {} FROM webhook_endpoints WHERE tenant_id = $1 AND active = TRUE ORDER BY id", kEndpointColumns);
const std::string kSetSecret = fmt::format(
    "UPDATE webhook_endpoints SET secret_ciphertext = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 "
    "RETURNING {}",
    kEndpointColumns);
constexpr std::string_view kDeleteEndpoint = "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2";

const std::string kInsertDelivery = fmt::format(
    "INSERT INTO webhook_deliveries ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    kDeliveryColumns);
const std::string kGetDelivery =
    fmt::format("SELECT {} FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2", kDeliveryColumns);
const std::string kBeginAttempt = fmt::format(
    "UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, next_attempt_at = NULL "
    "WHERE tenant_id = $1 AND id = $2 AND state <> 'delivered' RETURNING {}",
    kDeliveryColumns);
const std::string kInsertAttempt =
    fmt::format("INSERT INTO webhook_attempts ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)", kAttemptColumns);
constexpr std::string_view kAttemptFinished =
    "UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4, delivered_at = $5 WHERE id = $1";
const std::string kAttemptsOf =
    fmt::format("SELECT {} FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt", kAttemptColumns);
constexpr std::string_view kJobRetrying =
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $2 "
    "WHERE job_id = $1 AND state IN ('pending', 'delivering')";
constexpr std::string_view kJobEnded =
    "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = COALESCE(last_error, $2) "
    "WHERE job_id = $1 AND state IN ('pending', 'delivering')";
const std::string kRequeue = fmt::format(
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $3, delivered_at = NULL "
    "WHERE tenant_id = $1 AND id = $2 AND state IN ('delivered', 'failed') RETURNING {}",
    kDeliveryColumns);
constexpr std::string_view kSetJob = "UPDATE webhook_deliveries SET job_id = $2 WHERE id = $1";

std::string dump(const json& j) { return j.dump(); }

Endpoint endpoint_of(const Row& r) {
  Endpoint e;
  e.id = r.get<std::string>(0);
  e.tenant_id = r.get<std::string>(1);
  e.url = r.get<std::string>(2);
  e.description = r.get<std::string>(3);
  // Read leniently: this runs inside job finishes (JobStore::on_finish), which must not fail on one bad row.
  const auto types = json::parse(r.get<std::string>(4), nullptr, false);
  if (types.is_array()) {
    for (const auto& t : types) {
      if (t.is_string()) e.event_types.push_back(t.get<std::string>());
    }
  }
  e.active = r.get<bool>(5);
  e.created_by = r.get_optional<std::string>(6).value_or("");
  e.created_at = r.get<std::int64_t>(7);
  e.updated_at = r.get<std::int64_t>(8);
  e.sealed_secret = r.get<storage::Blob>(9).bytes;
  return e;
}

DeliveryState parse_delivery_state(const std::string& s) {
  if (s == "pending") return DeliveryState::kPending;
  if (s == "delivering") return DeliveryState::kDelivering;
  if (s == "delivered") return DeliveryState::kDelivered;
  if (s == "failed") return DeliveryState::kFailed;
  throw storage::DatabaseError("unknown webhook delivery state " + s);
}

Delivery delivery_of(const Row& r) {
  Delivery d;
  d.id = r.get<std::string>(0);
  d.tenant_id = r.get<std::string>(1);
  d.endpoint_id = r.get<std::string>(2);
  d.event_id = r.get<std::string>(3);
  d.event_type = r.get<std::string>(4);
  d.payload = json::parse(r.get<std::string>(5), nullptr, false);
  d.state = parse_delivery_state(r.get<std::string>(6));
  d.attempts = r.get<int>(7);
  d.last_status = r.get_optional<int>(8);
  d.last_error = r.get_optional<std::string>(9);
  d.next_attempt_at = r.get_optional<std::int64_t>(10);
  d.created_at = r.get<std::int64_t>(11);
  d.delivered_at = r.get_optional<std::int64_t>(12);
  d.job_id = r.get_optional<std::string>(13);
  return d;
}

Attempt attempt_of(const Row& r) {
  return {r.get<int>(1),          r.get<std::int64_t>(2),         r.get<std::int64_t>(3),
          r.get_optional<int>(4), r.get_optional<std::string>(5), r.get_optional<std::string>(6)};
}

json time_or_null(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

template <class T>
json value_or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

std::string_view delivery_state_name(DeliveryState s) noexcept {
  switch (s) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivering:
      return "delivering";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

json Endpoint::to_json() const {
  return {{"id", id},
          {"url", url},
          {"description", description},
          {"event_types", event_types},
          {"active", active},
          {"created_by", created_by.empty() ? json(nullptr) : json(created_by)},
          {"created_at", format_rfc3339(created_at)},
          {"updated_at", format_rfc3339(updated_at)}};
}

json Attempt::to_json() const {
  return {{"attempt", attempt},
          {"started_at", format_rfc3339(started_at)},
          {"duration_ms", duration_ms},
          {"status_code", value_or_null(status_code)},
          {"error", value_or_null(error)},
          {"response_excerpt", value_or_null(response_excerpt)}};
}

json Delivery::to_json() const {
  json attempts_json = json::array();
  for (const auto& a : attempt_log) attempts_json.push_back(a.to_json());
  return {{"id", id},
          {"endpoint_id", endpoint_id},
          {"event_id", event_id},
          {"event_type", event_type},
          {"payload", payload},
          {"state", delivery_state_name(state)},
          {"attempts", attempts},
          {"last_status", value_or_null(last_status)},
          {"last_error", value_or_null(last_error)},
          {"next_attempt_at", time_or_null(next_attempt_at)},
          {"created_at", format_rfc3339(created_at)},
          {"delivered_at", time_or_null(delivered_at)},
          {"job_id", value_or_null(job_id)},
          {"attempt_log", attempts_json}};
}

std::string Delivery::body() const {
  return json{{"id", id},
              {"type", event_type},
              {"created_at", format_rfc3339(created_at)},
              {"tenant_id", tenant_id},
              {"data", payload}}
      .dump();
}

Endpoint WebhookStore::create(storage::Session& session, const Endpoint& e) {
  session.execute(kInsertEndpoint, {e.id, e.tenant_id, e.url, e.description, dump(e.event_types), e.active,
                                    e.created_by.empty() ? storage::Value() : storage::Value(e.created_by),
                                    e.created_at, e.updated_at, storage::Blob{e.sealed_secret}});
  return e;
}

std::optional<Endpoint> WebhookStore::get(std::string_view tenant_id, std::string_view id) {
  if (auto row = db_.query_one(kGetEndpoint, {tenant_id, id})) return endpoint_of(*row);
  return std::nullopt;
}

std::vector<Endpoint> WebhookStore::list(std::string_view tenant_id, int limit,
                                         const std::optional<std::string>& before_id) {
  std::string sql = fmt::format("SELECT {} FROM webhook_endpoints WHERE tenant_id = $1", kEndpointColumns);
  Params params = {tenant_id};
  if (before_id) {
    params.emplace_back(*before_id);
    sql += " AND id < $2";
  }
  params.emplace_back(limit);
  sql += fmt::format(" ORDER BY id DESC LIMIT ${}", params.size());
  std::vector<Endpoint> out;
  for (const auto& r : db_.query(sql, params).rows) out.push_back(endpoint_of(r));
  return out;
}

std::optional<Endpoint> WebhookStore::update(storage::Session& session, std::string_view tenant_id, std::string_view id,
                                             const EndpointPatch& patch) {
  Params params = {tenant_id, id, now_micros()};
  std::string sets = "updated_at = $3";
  auto set = [&](std::string_view column, storage::Value v) {
    params.push_back(std::move(v));
    sets += fmt::format(", {} = ${}", column, params.size());
  };
  if (patch.url) set("url", *patch.url);
  if (patch.description) set("description", *patch.description);
  if (patch.event_types) set("event_types", dump(*patch.event_types));
  if (patch.active) set("active", *patch.active);
  const auto sql = fmt::format("UPDATE webhook_endpoints SET {} WHERE tenant_id = $1 AND id = $2 RETURNING {}", sets,
                               kEndpointColumns);
  if (auto row = session.query_one(sql, params)) return endpoint_of(*row);
  return std::nullopt;
}

std::optional<Endpoint> WebhookStore::set_secret(storage::Session& session, std::string_view tenant_id,
                                                 std::string_view id, const std::string& sealed) {
  if (auto row = session.query_one(kSetSecret, {tenant_id, id, storage::Blob{sealed}, now_micros()})) {
    return endpoint_of(*row);
  }
  return std::nullopt;
}

bool WebhookStore::remove(storage::Session& session, std::string_view tenant_id, std::string_view id) {
  return session.execute(kDeleteEndpoint, {tenant_id, id}) > 0;
}

std::vector<Endpoint> WebhookStore::subscribers(storage::Session& session, std::string_view tenant_id,
                                                std::string_view event_type) {
  std::vector<Endpoint> out;
  for (const auto& r : session.query(kActiveEndpoints, {tenant_id}).rows) {
    Endpoint e = endpoint_of(r);
    if (event_matches(e.event_types, event_type)) out.push_back(std::move(e));
  }
  return out;
}

void WebhookStore::insert_delivery(storage::Session& session, const Delivery& d) {
  session.execute(kInsertDelivery, {d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, dump(d.payload),
                                    std::string(delivery_state_name(d.state)), d.attempts, d.last_status, d.last_error,
                                    d.next_attempt_at, d.created_at, d.delivered_at, d.job_id});
}

std::optional<Delivery> WebhookStore::delivery(storage::Session& session, std::string_view tenant_id,
                                               std::string_view id, bool with_attempts) {
  auto row = session.query_one(kGetDelivery, {tenant_id, id});
  if (!row) return std::nullopt;
  Delivery d = delivery_of(*row);
  if (with_attempts) {
    for (const auto& r : session.query(kAttemptsOf, {d.id}).rows) d.attempt_log.push_back(attempt_of(r));
  }
  return d;
}

std::vector<Delivery> WebhookStore::deliveries(std::string_view tenant_id, std::string_view endpoint_id, int limit,
                                               const std::optional<std::string>& before_id) {
  std::string page = "SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2";
  Params params = {tenant_id, endpoint_id};
  if (before_id) {
    params.emplace_back(*before_id);
    page += " AND id < $3";
  }
  params.emplace_back(limit);
  page += fmt::format(" ORDER BY id DESC LIMIT ${}", params.size());
  auto tx = db_.begin(storage::TxMode::kRead);
  std::vector<Delivery> out;
  const auto rows = tx->query(
      fmt::format("SELECT {} FROM webhook_deliveries WHERE id IN ({}) ORDER BY id DESC", kDeliveryColumns, page),
      params);
  for (const auto& r : rows.rows) out.push_back(delivery_of(r));
  const auto attempts =
      tx->query(fmt::format("SELECT {} FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
                            kAttemptColumns, page),
                params);
  for (const auto& r : attempts.rows) {
    const auto id = r.get<std::string>(0);
    for (auto& d : out) {
      if (d.id == id) d.attempt_log.push_back(attempt_of(r));
    }
  }
  tx->commit();
  return out;
}

std::optional<Delivery> WebhookStore::begin_attempt(std::string_view tenant_id, std::string_view id) {
  if (auto row = db_.query_one(kBeginAttempt, {tenant_id, id})) return delivery_of(*row);
  return std::nullopt;
}

void WebhookStore::finish_attempt(const Delivery& d, const Attempt& a, AttemptOutcome outcome) {
  auto tx = db_.begin();
  tx->execute(kInsertAttempt,
              {d.id, a.attempt, a.started_at, a.duration_ms, a.status_code, a.error, a.response_excerpt});
  const char* state = outcome == AttemptOutcome::kDelivered ? "delivered"
                      : outcome == AttemptOutcome::kRetry   ? "pending"
                                                            : "failed";
  const std::optional<std::int64_t> delivered_at =
      outcome == AttemptOutcome::kDelivered ? std::optional(a.started_at + a.duration_ms * 1000) : std::nullopt;
  tx->execute(kAttemptFinished, {d.id, state, a.status_code, a.error, delivered_at});
  tx->commit();
}

void WebhookStore::job_retrying(storage::Session& tx, const std::string& job_id, std::int64_t run_at) {
  tx.execute(kJobRetrying, {job_id, run_at});
}

void WebhookStore::job_ended(storage::Session& tx, const std::string& job_id, const std::string& reason) {
  tx.execute(kJobEnded, {job_id, reason});
}

std::optional<Delivery> WebhookStore::requeue(storage::Session& tx, std::string_view tenant_id, std::string_view id) {
  if (auto row = tx.query_one(kRequeue, {tenant_id, id, now_micros()})) return delivery_of(*row);
  return std::nullopt;
}

void WebhookStore::set_job(storage::Session& tx, std::string_view id, const std::string& job_id) {
  tx.execute(kSetJob, {id, job_id});
}

}  // namespace tyto::webhooks
