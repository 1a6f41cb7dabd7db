// Webhook endpoints, deliveries (the outbox) and attempts in the database: every query is scoped by
// tenant, so another tenant's endpoint or delivery is simply not found.
//
// Signing secrets are stored sealed by a SecretBox and only opened to sign a delivery or hand the
// secret back once (creation, rotation).
//
// Thread-safety: stateless apart from the database; every method may be called from any thread.
// Blocking (database).
#pragma once

#include "tyto/storage/database.hpp"
#include "tyto/webhooks/signing.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tyto::webhooks {

struct Endpoint {
  std::string id;
  std::string tenant_id;
  std::string url;
  std::string description;
  std::vector<std::string> event_types;
  bool active = true;
  std::string created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::string sealed_secret;  // SecretBox::seal of the signing secret

  nlohmann::json to_json() const;  // the API form, without the secret
};

enum class DeliveryState { kPending, kDelivering, kDelivered, kFailed };
std::string_view delivery_state_name(DeliveryState s) noexcept;

struct Attempt {
  int attempt = 0;  // 1-based, counting across redeliveries
  std::int64_t started_at = 0;
  std::int64_t duration_ms = 0;
  std::optional<int> status_code;  // nullopt: no HTTP response
  std::optional<std::string> error;
  std::optional<std::string> response_excerpt;

  nlohmann::json to_json() const;
};

struct Delivery {
  std::string id;
  std::string tenant_id;
  std::string endpoint_id;
  std::string event_id;
  std::string event_type;
  nlohmann::json payload;  // the event's data
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::optional<int> last_status;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> next_attempt_at;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> delivered_at;
  std::optional<std::string> job_id;
  std::vector<Attempt> attempt_log;  // filled by deliveries() and delivery(…, with_attempts)

  nlohmann::json to_json() const;
  // The request body receivers get: {"id", "type", "created_at", "tenant_id", "data"}.
  std::string body() const;
};

struct EndpointPatch {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> event_types;
  std::optional<bool> active;
};

// How one attempt ended, for finish_attempt().
enum class AttemptOutcome {
  kDelivered,  // 2xx
  kRetry,      // another attempt may follow (the job's retry decides when, or whether)
  kFailed,     // permanent: no more attempts
};

class WebhookStore {
 public:
  explicit WebhookStore(storage::Database& db) : db_(db) {}

  // Endpoints. `sealed_secret` comes from SecretBox::seal. Changes run in the caller's session, so an
  // audit entry can commit with them.
  Endpoint create(storage::Session& session, const Endpoint& endpoint);
  std::optional<Endpoint> get(std::string_view tenant_id, std::string_view id);
  // Newest first; before_id is the cursor (ids sort by creation time).
  std::vector<Endpoint> list(std::string_view tenant_id, int limit, const std::optional<std::string>& before_id = {});
  std::optional<Endpoint> update(storage::Session& session, std::string_view tenant_id, std::string_view id,
                                 const EndpointPatch& patch);
  std::optional<Endpoint> set_secret(storage::Session& session, std::string_view tenant_id, std::string_view id,
                                     const std::string& sealed);
  // Deletes the endpoint with its deliveries and attempts. False if there was none.
  bool remove(storage::Session& session, std::string_view tenant_id, std::string_view id);
  // The tenant's active endpoints subscribed to event_type (see event_matches).
  std::vector<Endpoint> subscribers(storage::Session& session, std::string_view tenant_id, std::string_view event_type);

  // Deliveries.
  void insert_delivery(storage::Session& session, const Delivery& delivery);
  std::optional<Delivery> delivery(storage::Session& session, std::string_view tenant_id, std::string_view id,
                                   bool with_attempts = false);
  // An endpoint's deliveries with their attempts, newest first.
  std::vector<Delivery> deliveries(std::string_view tenant_id, std::string_view endpoint_id, int limit,
                                   const std::optional<std::string>& before_id = {});

  // Marks the delivery delivering with attempts + 1 and returns it (attempts is this attempt's number),
  // unless it is already delivered or gone (nullopt).
  std::optional<Delivery> begin_attempt(std::string_view tenant_id, std::string_view id);
  // Records the attempt and the delivery's new state in one transaction.
  void finish_attempt(const Delivery& delivery, const Attempt& attempt, AttemptOutcome outcome);

  // Follow the job that delivers a delivery, inside the job's transaction (JobStore::on_finish):
  // a scheduled retry sets next_attempt_at; a job that ended without delivering fails the delivery.
  void job_retrying(storage::Session& tx, const std::string& job_id, std::int64_t run_at);
  void job_ended(storage::Session& tx, const std::string& job_id, const std::string& reason);

  // A delivered or failed delivery goes back to pending, to be delivered by job_id. nullopt if it is
  // not final (or does not exist).
  std::optional<Delivery> requeue(storage::Session& tx, std::string_view tenant_id, std::string_view id);
  void set_job(storage::Session& tx, std::string_view id, const std::string& job_id);

  storage::Database& db() { return db_; }

 private:
  storage::Database& db_;
};

}  // namespace tyto::webhooks
