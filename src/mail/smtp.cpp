// One SMTP transaction through libcurl: EHLO, STARTTLS as configured, AUTH, MAIL FROM, RCPT TO, DATA, QUIT.
#include "tyto/mail/mailer.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

namespace tyto::mail {
namespace {

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* should_stop = static_cast<const std::function<bool()>*>(user);
  return (*should_stop && (*should_stop)()) ? 1 : 0;
}

curl_usessl tls_mode(const MailConfig& config) {
  if (config.smtp_url.starts_with("smtps://")) return CURLUSESSL_ALL;  // implicit TLS; curl checks it anyway
  if (config.starttls == "off") return CURLUSESSL_NONE;
  if (config.starttls == "opportunistic") return CURLUSESSL_TRY;
  return CURLUSESSL_ALL;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

void send_smtp(const MailConfig& config, const Envelope& envelope, std::string_view rfc5322,
               const std::function<bool()>& should_stop) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw SmtpFailure("libcurl could not make a handle", 0, false);
  curl_slist* raw = nullptr;
  for (const auto& r : envelope.recipients) raw = curl_slist_append(raw, ("<" + r + ">").c_str());
  std::unique_ptr<curl_slist, ListDeleter> recipients(raw);

  Upload upload{rfc5322};
  char error[CURL_ERROR_SIZE] = {};
  const std::string mail_from = "<" + envelope.from + ">";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(tls_mode(config)));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  if (!config.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rfc5322.size()));
  const long timeout_ms = static_cast<long>(std::chrono::milliseconds(config.timeout).count());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &should_stop);

  const CURLcode result = curl_easy_perform(c);
  if (result == CURLE_OK) return;
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);  // the relay's last reply (QUIT's excepted)
  const std::string detail = error[0] ? error : curl_easy_strerror(result);
  // 5xx: the relay will never take this message (RFC 5321 4.2.1); everything else may work later.
  const bool permanent = code >= 500 && code < 600;
  throw SmtpFailure(code > 0 ? fmt::format("the SMTP relay answered {}: {}", code, detail)
                             : fmt::format("SMTP delivery failed: {}", detail),
                    static_cast<int>(code), permanent);
}

}  // namespace tyto::mail
