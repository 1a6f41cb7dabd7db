// The webhooks.deliver stage: one signed POST per job attempt.
#include "tyto/webhooks/webhooks.hpp"

#include "webhooks/detail/excerpt.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

namespace tyto::webhooks {
namespace {

using nlohmann::json;

constexpr std::size_t kResponseReadBytes = 64 * 1024;

// 4xx says the receiver will not take this request however often it comes; 408 and 429 say "later".
bool permanent_status(int status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

}  // namespace

pipeline::StageDef Outbox::stage() {
  pipeline::StageDef def;
  def.name = std::string(kDeliverStage);
  def.description = "Delivers one webhook: one signed POST per attempt (the job's retries are the redeliveries).";
  def.input_schema = {
      {"type", "object"}, {"required", {"delivery_id"}}, {"properties", {{"delivery_id", {{"type", "string"}}}}}};
  def.output_schema = {
      {"type", "object"},
      {"properties",
       {{"delivery_id", {{"type", "string"}}}, {"status", {{"type", "integer"}}}, {"skipped", {{"type", "string"}}}}}};
  def.run = [this](pipeline::StageContext& ctx, const json& input) { return deliver(ctx, input); };
  return def;
}

json Outbox::deliver(pipeline::StageContext& ctx, const json& input) {
  const auto delivery_id = input.at("delivery_id").get<std::string>();
  auto& attempts =
      ctx.metrics().counter("tyto_webhook_attempts_total", "Webhook delivery attempts by result", {"result"});
  const auto delivery = store_.begin_attempt(ctx.tenant_id(), delivery_id);
  if (!delivery) {
    // Deleted with its endpoint, or delivered by an earlier attempt whose finish was lost.
    return {{"delivery_id", delivery_id}, {"skipped", "already delivered or deleted"}};
  }
  Attempt attempt;
  attempt.attempt = delivery->attempts;
  attempt.started_at = now_micros();
  auto finish = [&](AttemptOutcome outcome) {
    attempt.duration_ms = (now_micros() - attempt.started_at) / 1000;
    store_.finish_attempt(*delivery, attempt, outcome);
    attempts
        .with({outcome == AttemptOutcome::kDelivered ? "delivered"
               : outcome == AttemptOutcome::kRetry   ? "retry"
                                                     : "failed"})
        .inc();
  };

  const auto endpoint = store_.get(ctx.tenant_id(), delivery->endpoint_id);
  if (!endpoint || !endpoint->active) {
    attempt.error = "the webhook is disabled";
    finish(AttemptOutcome::kFailed);
    throw pipeline::StageError("webhook_disabled", *attempt.error, false);
  }
  std::string secret;
  try {
    secret = box_.open(endpoint->sealed_secret);
  } catch (const Error& e) {
    attempt.error = e.what();
    finish(AttemptOutcome::kFailed);
    throw pipeline::StageError("webhook_secret", e.what(), false);
  }

  http::OutboundRequest request;
  request.url = endpoint->url;
  request.body = delivery->body();
  request.timeout = deps_.config.timeout;
  request.max_response_bytes = kResponseReadBytes;
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", std::string(kUserAgent)},
                     {"Tyto-Event", delivery->event_type},
                     {"Tyto-Delivery", delivery->id},
                     {"Tyto-Signature", signature_header(secret, attempt.started_at / 1'000'000, request.body)}};
  try {
    const auto response = client_.send(request);
    attempt.status_code = response.status;
    attempt.response_excerpt = detail::excerpt(response.body);
  } catch (const Error& e) {
    attempt.error = e.what();
    const bool permanent = e.code() == ErrorCode::kValidationFailed;  // the stored URL no longer parses
    finish(permanent ? AttemptOutcome::kFailed : AttemptOutcome::kRetry);
    ctx.log(log::Level::kInfo, "webhook attempt failed",
            {{"delivery_id", delivery->id}, {"attempt", attempt.attempt}, {"error", e.what()}});
    throw pipeline::StageError("webhook_unreachable", e.what(), !permanent);
  }

  const int status = *attempt.status_code;
  if (status >= 200 && status < 300) {
    finish(AttemptOutcome::kDelivered);
    return {{"delivery_id", delivery->id}, {"status", status}};
  }
  attempt.error = fmt::format("HTTP {}", status);
  const bool permanent = permanent_status(status);
  finish(permanent ? AttemptOutcome::kFailed : AttemptOutcome::kRetry);
  ctx.log(log::Level::kInfo, "webhook attempt refused",
          {{"delivery_id", delivery->id}, {"attempt", attempt.attempt}, {"status", status}});
  throw pipeline::StageError(permanent ? "webhook_rejected" : "webhook_status",
                             fmt::format("the endpoint answered {}", status), !permanent);
}

}  // namespace tyto::webhooks
