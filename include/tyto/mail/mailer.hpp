// Outgoing e-mail: a platform service any product reaches through Services::mail.
//
// Mailer::send validates a message and enqueues it as a durable job of the internal pipeline `mail.send`
// (config/pipelines/mail.send.json) in the caller's tenant; the `mail.send` stage delivers it through the
// SMTP relay of mail.smtp_url with libcurl, one SMTP transaction per job attempt. Nothing is lost: the message
// lives in the job's input until it is delivered or fails, across crashes and restarts.
//
// Delivery outcome of one attempt:
//  - 2xx at the end of DATA: the job succeeds ({"message_id", "recipients"}).
//  - a 5xx answer (a refused sender or recipient, a refused message, failed authentication): the job fails at
//    once with the code "mail_rejected", without retrying: the relay said it will never take this message.
//  - a 4xx answer, a refused or lost connection, a timeout, TLS trouble (STARTTLS required but not offered): the
//    attempt is retried with the job queue's backoff (jobs.backoff_*) up to mail.max_attempts ("mail_unreachable",
//    "mail_deferred").
//
// Messages (format()): RFC 5322 with CRLF line ends, Date and Message-ID fixed when send() queues it (so every
// retry is the same message), MIME-Version 1.0, UTF-8 text as quoted-printable, a text/html part beside the text
// in multipart/alternative when given, non-ASCII subjects and display names as RFC 2047 encoded words (base64).
// Dot-stuffing is libcurl's. Header injection is impossible: CR, LF and other control characters in any header
// value, and addresses outside a conservative addr-spec, are refused by validate() before anything is queued.
//
// Disabled (mail.enabled false or mail.smtp_url empty): send() validates, queues nothing and answers
// SendStatus::kDisabled. That is an expected outcome, not an error: a product sends and moves on.
//
// Thread-safety: every method may be called from any thread except an HTTP I/O thread (send blocks on the
// database; the stage on the network).
#pragma once

#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::jobs {
class JobSubmitter;
}

namespace tyto::mail {

inline constexpr std::string_view kSendPipeline = "mail.send";
inline constexpr std::string_view kSendStage = "mail.send";

struct Message {
  std::vector<std::string> to;  // at least one; each addr@host (no display names: products send to users)
  std::vector<std::string> cc;
  std::string subject;   // UTF-8, one line
  std::string text;      // UTF-8 plain text body (required); any line ends, sent as CRLF
  std::string html;      // optional HTML alternative; empty: a text/plain message
  std::string reply_to;  // optional addr@host
};

enum class SendStatus { kQueued, kDisabled };

struct SendResult {
  SendStatus status = SendStatus::kDisabled;
  std::string job_id;      // the mail.send job, when queued
  std::string message_id;  // "<…@…>", when queued
};

// Throws Error(kValidationFailed) naming each bad field: no recipient, an address that is not a plain
// addr-spec (letters, digits and !#$%&'*+/=?^_`{|}~.- before one @, a dotted host name or [IP] after it, at most
// 254 bytes), a CR, LF or other control character in the subject, an empty text, invalid UTF-8, more than 100
// recipients.
void validate(const Message& message);
// The From header value: "addr@host" or "Display Name <addr@host>"; throws Error(kValidationFailed) otherwise.
// Returns the bare address (the SMTP envelope sender).
std::string parse_from(std::string_view from);

// The whole RFC 5322 message (headers and body, CRLF line ends). `date_micros`: Unix time in microseconds,
// written as an RFC 5322 date in UTC; `message_id` with its angle brackets. `boundary` is used for the
// multipart; it must not occur in the parts (send() picks a random one).
std::string format(const Message& message, std::string_view from, std::int64_t date_micros, std::string_view message_id,
                   std::string_view boundary = "=_tyto_alternative");

// RFC 2047 encoding of a header text: itself when it is printable ASCII (folded at spaces past 78 columns), else
// =?UTF-8?B?…?= words of at most 75 characters, split between whole UTF-8 characters, joined by CRLF SP, so that
// no line passes 76 characters. `used`: the characters before it on its first line ("Subject: " is 9).
std::string encode_header_text(std::string_view utf8, std::size_t used = 0);

// One SMTP transaction, outside the queue (the stage uses it; so can tests). Throws SmtpFailure.
struct Envelope {
  std::string from;                     // bare address
  std::vector<std::string> recipients;  // bare addresses
};
class SmtpFailure : public std::runtime_error {
 public:
  SmtpFailure(std::string message, int smtp_code, bool permanent)
      : std::runtime_error(std::move(message)), smtp_code_(smtp_code), permanent_(permanent) {}
  int smtp_code() const noexcept { return smtp_code_; }   // the relay's last reply code; 0 when none came
  bool permanent() const noexcept { return permanent_; }  // a 5xx reply

 private:
  int smtp_code_;
  bool permanent_;
};
// `should_stop` (may be empty) is polled during the transfer; true aborts it (SmtpFailure, not permanent).
void send_smtp(const MailConfig& config, const Envelope& envelope, std::string_view rfc5322,
               const std::function<bool()>& should_stop = {});

class Mailer {
 public:
  // `submitter` enqueues the jobs; it must outlive the mailer. Throws Error(kValidationFailed) when mail is on
  // and mail.from is not a valid From.
  Mailer(MailConfig config, jobs::JobSubmitter& submitter);

  // Whether send() queues anything (mail.enabled and mail.smtp_url set).
  bool enabled() const noexcept { return enabled_; }

  // Validates (throws Error(kValidationFailed), before anything is queued), then enqueues one mail.send job of
  // `tenant_id` (the job carries the message; quotas of internal pipelines do not apply) and wakes the runner.
  // Disabled: validates and returns kDisabled. Storage errors propagate.
  SendResult send(std::string_view tenant_id, const Message& message);

  // The mail.send stage (input: the message with its from, date and message_id, as send() queues it).
  pipeline::StageDef stage();

  const MailConfig& config() const noexcept { return config_; }

 private:
  nlohmann::json deliver(pipeline::StageContext& ctx, const nlohmann::json& input);

  MailConfig config_;
  jobs::JobSubmitter& submitter_;
  bool enabled_ = false;
  std::string from_address_;
};

}  // namespace tyto::mail
