#include "tyto/webhooks/webhooks.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <map>

namespace tyto::webhooks {
namespace {

using nlohmann::json;

std::string_view job_event_type(jobs::JobState state) {
  switch (state) {
    case jobs::JobState::kSucceeded:
      return "job.succeeded";
    case jobs::JobState::kFailed:
      return "job.failed";
    case jobs::JobState::kCancelled:
      return "job.cancelled";
    default:
      return {};
  }
}

json job_event_data(const jobs::FinishedJob& job) {
  json data = {{"job_id", job.id},
               {"pipeline", job.pipeline},
               {"state", jobs::state_name(job.state)},
               {"attempts", job.attempt},
               {"finished_at", format_rfc3339(job.at)}};
  if (job.state == jobs::JobState::kSucceeded) data["result"] = job.result;
  if (job.state == jobs::JobState::kFailed) data["error"] = job.error;
  return data;
}

}  // namespace

Outbox::Outbox(WebhooksDeps deps)
    : deps_(std::move(deps)), box_(deps_.secret_key), store_(deps_.db), client_(deps_.outbound, deps_.ca_file) {}

Outbox::~Outbox() = default;

std::pair<std::string, std::string> Outbox::new_secret() const {
  std::string secret = generate_secret();
  std::string sealed = box_.seal(secret);
  return {std::move(secret), std::move(sealed)};
}

jobs::JobSpec Outbox::job_spec(std::string_view tenant_id, const std::string& delivery_id) const {
  jobs::JobSpec spec;
  spec.tenant_id = std::string(tenant_id);
  spec.pipeline = std::string(kDeliverPipeline);
  spec.input = {{"delivery_id", delivery_id}};
  spec.max_attempts = std::max(1, deps_.config.max_attempts);
  spec.unique_key = "webhook:" + delivery_id;
  return spec;
}

std::vector<std::string> Outbox::enqueue(storage::Session& tx, const std::vector<Endpoint>& endpoints,
                                         std::string_view tenant_id, std::string_view event_type, const json& data,
                                         std::vector<events::NewEvent>& pending) {
  if (endpoints.empty()) return {};
  const auto now = now_micros();
  const std::string event_id = new_uuid_v7();
  std::vector<Delivery> deliveries;
  std::vector<jobs::JobSpec> specs;
  for (const auto& e : endpoints) {
    Delivery d;
    d.id = new_uuid_v7();
    d.tenant_id = std::string(tenant_id);
    d.endpoint_id = e.id;
    d.event_id = event_id;
    d.event_type = std::string(event_type);
    d.payload = data;
    d.next_attempt_at = now;
    d.created_at = now;
    specs.push_back(job_spec(tenant_id, d.id));
    deliveries.push_back(std::move(d));
  }
  const auto results = deps_.jobs.enqueue_in(tx, specs, pending);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    deliveries[i].job_id = results[i].job.id;
    store_.insert_delivery(tx, deliveries[i]);
    ids.push_back(deliveries[i].id);
  }
  return ids;
}

std::vector<std::string> Outbox::emit(storage::Session& tx_or_db, std::string_view tenant_id,
                                      std::string_view event_type, const json& data,
                                      std::vector<events::NewEvent>* pending) {
  if (auto* db = dynamic_cast<storage::Database*>(&tx_or_db)) {
    auto tx = db->begin();
    std::vector<events::NewEvent> own;
    auto ids = enqueue(*tx, store_.subscribers(*tx, tenant_id, event_type), tenant_id, event_type, data, own);
    deps_.events.commit(*tx, own);
    if (!ids.empty() && deps_.wake) deps_.wake();
    return ids;
  }
  std::vector<events::NewEvent> ignored;
  return enqueue(tx_or_db, store_.subscribers(tx_or_db, tenant_id, event_type), tenant_id, event_type, data,
                 pending ? *pending : ignored);
}

Delivery Outbox::ping(std::string_view tenant_id, std::string_view endpoint_id) {
  auto endpoint = store_.get(tenant_id, endpoint_id);
  if (!endpoint) throw Error(ErrorCode::kNotFound, "no such webhook", {{"id", std::string(endpoint_id.substr(0, 64))}});
  if (!endpoint->active)
    throw Error(ErrorCode::kConflict, "the webhook is disabled; enable it first", {{"id", endpoint->id}});
  auto tx = deps_.db.begin();
  std::vector<events::NewEvent> pending;
  const json data = {{"webhook_id", endpoint->id}, {"message", "ping from Tyto"}};
  const auto ids = enqueue(*tx, {*endpoint}, tenant_id, "webhook.ping", data, pending);
  auto delivery = store_.delivery(*tx, tenant_id, ids.front());
  deps_.events.commit(*tx, pending);
  if (deps_.wake) deps_.wake();
  return *delivery;
}

Delivery Outbox::redeliver(std::string_view tenant_id, std::string_view delivery_id) {
  auto tx = deps_.db.begin();
  auto delivery = store_.requeue(*tx, tenant_id, delivery_id);
  if (!delivery) {
    const auto found = store_.delivery(*tx, tenant_id, delivery_id);
    if (!found) {
      throw Error(ErrorCode::kNotFound, "no such delivery", {{"id", std::string(delivery_id.substr(0, 64))}});
    }
    throw Error(ErrorCode::kConflict, "the delivery is still being delivered",
                {{"id", found->id}, {"state", delivery_state_name(found->state)}});
  }
  std::vector<events::NewEvent> pending;
  const auto result = deps_.jobs.enqueue_in(*tx, {job_spec(tenant_id, delivery->id)}, pending).front();
  if (result.outcome != jobs::EnqueueResult::Outcome::kCreated) {
    throw Error(ErrorCode::kConflict, "the delivery is still being delivered", {{"id", delivery->id}});
  }
  store_.set_job(*tx, delivery->id, result.job.id);
  delivery->job_id = result.job.id;
  deps_.events.commit(*tx, pending);
  if (deps_.wake) deps_.wake();
  return *delivery;
}

void Outbox::on_jobs_finished(storage::Session& tx, const std::vector<jobs::FinishedJob>& finished,
                              std::vector<events::NewEvent>& pending) {
  // Subscribers are read once per tenant and event type per transaction: runners finish jobs in batches.
  std::map<std::pair<std::string, std::string_view>, std::vector<Endpoint>> subscribers;
  for (const auto& job : finished) {
    if (job.pipeline == kDeliverPipeline) {
      if (job.state == jobs::JobState::kQueued) {
        store_.job_retrying(tx, job.id, job.at);
      } else if (job.state != jobs::JobState::kSucceeded) {
        std::string reason = "the delivery job failed";
        if (job.state == jobs::JobState::kCancelled) reason = "the delivery job was cancelled";
        if (job.error.is_object() && job.error.contains("message") && job.error["message"].is_string()) {
          reason = job.error["message"].get<std::string>();
        }
        store_.job_ended(tx, job.id, reason);
      }
      continue;
    }
    const auto type = job_event_type(job.state);
    if (type.empty()) continue;
    auto key = std::make_pair(job.tenant_id, type);
    auto it = subscribers.find(key);
    if (it == subscribers.end()) it = subscribers.emplace(key, store_.subscribers(tx, job.tenant_id, type)).first;
    enqueue(tx, it->second, job.tenant_id, type, job_event_data(job), pending);
  }
}

}  // namespace tyto::webhooks
