// Webhooks: tenants register HTTP(S) endpoints for event types; each event becomes one delivery per
// subscribed endpoint in an outbox table, written in the transaction of the change it reports, and a
// `webhooks.deliver` job delivers it: one signed POST per job attempt, retried with the runner's
// backoff (jobs.backoff_*) up to webhooks.max_attempts, every attempt logged.
//
// Event sources:
//  - job.succeeded, job.failed, job.cancelled: on_jobs_finished(), installed as JobStore::on_finish,
//    runs in the transaction that commits the job's final state, so each finished job is reported
//    exactly once even with several instances on one PostgreSQL. Jobs of the webhooks.deliver
//    pipeline never produce job.* webhooks (no loops).
//  - object.created: Platform calls emit() right after an upload's object is committed (not inside that
//    transaction: a crash between the two loses the webhook, never the object), with the object's JSON
//    {"id", "size", "sha256", "content_type", "purpose", …}.
//  - webhook.ping: ping(), to one endpoint whatever it subscribed to.
//
// Delivery: POST <url> with the body {"id": delivery id, "type", "created_at", "tenant_id", "data"}
// and the headers Tyto-Signature (see signing.hpp), Tyto-Event, Tyto-Delivery (the delivery id, the
// same on every retry), Content-Type: application/json and User-Agent: Tyto-Webhooks/1. Every
// connection goes through http::OutboundPolicy, checked again at each attempt; redirects are not
// followed. A 2xx delivers; 4xx other than 408 and 429 fails the delivery at once; anything else
// (other statuses, refused or unreachable addresses, timeouts) is retried.
//
// Thread-safety: every method may be called from any thread; all of them block (database; the stage
// also the network).
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/webhooks/signing.hpp"
#include "tyto/webhooks/webhook_store.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::webhooks {

inline constexpr std::string_view kDeliverPipeline = "webhooks.deliver";  // config/pipelines/webhooks.deliver.json
inline constexpr std::string_view kDeliverStage = "webhooks.deliver";
inline constexpr std::string_view kUserAgent = "Tyto-Webhooks/1";

struct WebhooksDeps {
  storage::Database& db;
  jobs::JobStore& jobs;
  events::Events& events;
  const http::OutboundPolicy& outbound;
  WebhooksConfig config;
  std::string secret_key;      // 32 raw bytes: seals signing secrets at rest (SecretBox)
  std::function<void()> wake;  // wakes the local runner after emit() commits; may be empty
  std::string ca_file;         // trusted certificates for https endpoints; empty: the system's
};

class Outbox {
 public:
  // Throws Error(kInternal) if secret_key is not 32 bytes. Everything referenced must outlive it.
  explicit Outbox(WebhooksDeps deps);
  ~Outbox();

  // Writes one pending delivery per active endpoint of the tenant subscribed to event_type, each with
  // a webhooks.deliver job (unique key "webhook:<delivery id>"), and returns the delivery ids.
  //  - Given an open transaction, everything is written in it (it commits or rolls back with the
  //    caller's change); the jobs' "queued" events are appended to *pending when given (commit them
  //    with Events::commit), else left out. Runners notice the jobs at commit (PostgreSQL NOTIFY) or
  //    at their next poll.
  //  - Given the Database itself, emit() runs its own transaction and wakes the local runner.
  std::vector<std::string> emit(storage::Session& tx_or_db, std::string_view tenant_id, std::string_view event_type,
                                const nlohmann::json& data, std::vector<events::NewEvent>* pending = nullptr);

  // Sends webhook.ping to one endpoint. Throws Error(kNotFound) for no such endpoint in the tenant and
  // Error(kConflict) for a disabled one.
  Delivery ping(std::string_view tenant_id, std::string_view endpoint_id);

  // Delivers a delivered or failed delivery again (same id, attempts keep counting) with a fresh
  // budget of attempts. Throws Error(kNotFound), or Error(kConflict) while it is still being delivered.
  Delivery redeliver(std::string_view tenant_id, std::string_view delivery_id);

  // The JobStore::on_finish hook: job.* webhooks for finished jobs, and for webhooks.deliver jobs the
  // delivery's next_attempt_at (retry) or its failure (out of attempts, cancelled, rescued to death).
  void on_jobs_finished(storage::Session& tx, const std::vector<jobs::FinishedJob>& jobs,
                        std::vector<events::NewEvent>& pending);

  // The webhooks.deliver stage (input {"delivery_id"}): one attempt. Register it before pipelines load.
  pipeline::StageDef stage();

  // A new signing secret for an endpoint: returns {plaintext, sealed}.
  std::pair<std::string, std::string> new_secret() const;

  WebhookStore& store() { return store_; }
  const SecretBox& secrets() const { return box_; }
  const WebhooksConfig& config() const { return deps_.config; }

 private:
  std::vector<std::string> enqueue(storage::Session& tx, const std::vector<Endpoint>& endpoints,
                                   std::string_view tenant_id, std::string_view event_type, const nlohmann::json& data,
                                   std::vector<events::NewEvent>& pending);
  nlohmann::json deliver(pipeline::StageContext& ctx, const nlohmann::json& input);
  jobs::JobSpec job_spec(std::string_view tenant_id, const std::string& delivery_id) const;

  WebhooksDeps deps_;
  SecretBox box_;
  WebhookStore store_;
  http::OutboundClient client_;
};

}  // namespace tyto::webhooks
