// The Mailer: messages queued as mail.send jobs, delivered by the stage one SMTP transaction per attempt.
#include "tyto/mail/mailer.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"
#include "tyto/jobs/submitter.hpp"

#include <fmt/format.h>

namespace tyto::mail {
namespace {

using nlohmann::json;

json string_list_schema() { return {{"type", "array"}, {"items", {{"type", "string"}}}}; }

Message message_from_json(const json& input) {
  Message m;
  m.to = input.at("to").get<std::vector<std::string>>();
  m.cc = input.value("cc", std::vector<std::string>{});
  m.subject = input.value("subject", "");
  m.text = input.at("text").get<std::string>();
  m.html = input.value("html", "");
  m.reply_to = input.value("reply_to", "");
  return m;
}

}  // namespace

Mailer::Mailer(MailConfig config, jobs::JobSubmitter& submitter)
    : config_(std::move(config)), submitter_(submitter), enabled_(config_.enabled && !config_.smtp_url.empty()) {
  if (enabled_) from_address_ = parse_from(config_.from);
}

SendResult Mailer::send(std::string_view tenant_id, const Message& message) {
  validate(message);
  if (!enabled_) return {SendStatus::kDisabled, {}, {}};
  const std::string domain = from_address_.substr(from_address_.find('@') + 1);
  const std::string message_id = fmt::format("<{}@{}>", new_uuid_v7(), domain);
  json input = {{"from", config_.from}, {"to", message.to},     {"subject", message.subject},
                {"text", message.text}, {"date", now_micros()}, {"message_id", message_id}};
  if (!message.cc.empty()) input["cc"] = message.cc;
  if (!message.html.empty()) input["html"] = message.html;
  if (!message.reply_to.empty()) input["reply_to"] = message.reply_to;
  auto spec = submitter_.spec(kSendPipeline, std::string(tenant_id), std::move(input));
  spec.max_attempts = config_.max_attempts;
  const auto result = submitter_.submit(spec);
  return {SendStatus::kQueued, result.job.id, message_id};
}

pipeline::StageDef Mailer::stage() {
  pipeline::StageDef def;
  def.name = std::string(kSendStage);
  def.description =
      "Sends one e-mail through the SMTP relay (one SMTP transaction per attempt; queued by Mailer::send).";
  def.input_schema = {{"type", "object"},
                      {"required", {"from", "to", "text", "date", "message_id"}},
                      {"properties",
                       {{"from", {{"type", "string"}}},
                        {"to", string_list_schema()},
                        {"cc", string_list_schema()},
                        {"subject", {{"type", "string"}}},
                        {"text", {{"type", "string"}}},
                        {"html", {{"type", "string"}}},
                        {"reply_to", {{"type", "string"}}},
                        {"date", {{"type", "integer"}}},
                        {"message_id", {{"type", "string"}}}}}};
  def.output_schema = {{"type", "object"},
                       {"properties", {{"message_id", {{"type", "string"}}}, {"recipients", {{"type", "integer"}}}}}};
  def.run = [this](pipeline::StageContext& ctx, const json& input) { return deliver(ctx, input); };
  return def;
}

json Mailer::deliver(pipeline::StageContext& ctx, const json& input) {
  auto& attempts = ctx.metrics().counter("tyto_mail_attempts_total", "E-mail delivery attempts by result", {"result"});
  if (!enabled_) {
    // Queued while mail was on; the operator may turn it on again before the attempts run out.
    attempts.with({"retry"}).inc();
    throw pipeline::StageError("mail_disabled", "mail is off (mail.enabled, mail.smtp_url)", true);
  }
  Message message;
  std::string from, envelope_from;
  try {
    message = message_from_json(input);
    validate(message);  // a hand-made job gets the same checks as send()
    from = input.at("from").get<std::string>();
    envelope_from = parse_from(from);
  } catch (const Error& e) {
    attempts.with({"failed"}).inc();
    throw pipeline::StageError("validation_failed", e.what(), false);
  }
  const auto message_id = input.at("message_id").get<std::string>();
  const std::string text = format(message, from, input.at("date").get<std::int64_t>(), message_id,
                                  "=_tyto_" + message_id.substr(1, message_id.find('@') - 1));
  Envelope envelope{envelope_from, message.to};
  envelope.recipients.insert(envelope.recipients.end(), message.cc.begin(), message.cc.end());
  try {
    send_smtp(config_, envelope, text, [&ctx] { return ctx.cancelled(); });
  } catch (const SmtpFailure& e) {
    ctx.check_cancelled();
    attempts.with({e.permanent() ? "failed" : "retry"}).inc();
    ctx.log(
        log::Level::kInfo, "mail attempt failed",
        {{"message_id", message_id}, {"attempt", ctx.attempt()}, {"smtp_code", e.smtp_code()}, {"error", e.what()}});
    const char* code = e.permanent() ? "mail_rejected" : e.smtp_code() >= 400 ? "mail_deferred" : "mail_unreachable";
    throw pipeline::StageError(code, e.what(), !e.permanent());
  }
  attempts.with({"sent"}).inc();
  return {{"message_id", message_id}, {"recipients", envelope.recipients.size()}};
}

}  // namespace tyto::mail
