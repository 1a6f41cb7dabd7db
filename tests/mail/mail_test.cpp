// E-mail through a real SMTP server (tests/mail/smtp_server.py: Debian's python3-aiosmtpd, which saves every
// message it accepts and parses it with Python's email package): Mailer::send queues a mail.send job on SQLite,
// the real job runner delivers it with libcurl, and the test reads what arrived.
#include "media/source/child_process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/mail/mailer.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/storage/migrations.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace tyto;
using namespace tyto::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The SMTP server, saving into its own folder.
class SmtpServer {
 public:
  explicit SmtpServer(std::vector<std::string> extra = {}, std::uint16_t port = 0)
      : process_(argv(dir_.path(), port, std::move(extra))) {
    const auto line = process_.wait_for_line("READY ");
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(6)));
  }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }

  // The saved messages' records (envelope, login, parsed message), in arrival order.
  std::vector<json> received() const {
    std::vector<json> out;
    for (int n = 1;; ++n) {
      char name[16];
      std::snprintf(name, sizeof name, "%04d.json", n);
      const auto path = dir_.path() / name;
      if (!std::filesystem::exists(path)) break;
      out.push_back(json::parse(read_file(path)));
    }
    return out;
  }
  std::string raw(int n) const {
    char name[16];
    std::snprintf(name, sizeof name, "%04d.eml", n);
    return read_file(dir_.path() / name);
  }

 private:
  static std::vector<std::string> argv(const std::filesystem::path& dir, std::uint16_t port,
                                       std::vector<std::string> extra) {
    std::vector<std::string> out{
        "/usr/bin/python3",  (source_dir() / "tests/mail/smtp_server.py").string(), "--dir", dir.string(), "--port",
        std::to_string(port)};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }

  TempDir dir_;
  media::ChildProcess process_;
  std::uint16_t port_ = 0;
};

// A loopback port with nothing listening on it (bound, then closed).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

MailConfig mail_config(const std::string& url) {
  MailConfig c;
  c.smtp_url = url;
  c.from = "Tyto Notifications <noreply@tyto.example>";
  c.starttls = "off";
  c.timeout = 10s;
  c.max_attempts = 3;
  return c;
}

// SQLite, the job store, the submitter, the mailer, the shipped mail.send pipeline and a real runner.
struct Fixture {
  TempDir dir;
  std::unique_ptr<storage::Database> db;
  metrics::Registry registry;
  std::unique_ptr<events::Events> events;
  std::unique_ptr<jobs::JobStore> store;
  pipeline::StageRegistry stages;
  std::string pipeline_text;
  jobs::Runner::Pipelines pipelines;
  std::unique_ptr<jobs::JobSubmitter> submitter;
  std::unique_ptr<mail::Mailer> mailer;
  std::unique_ptr<jobs::Runner> runner;

  explicit Fixture(const MailConfig& config) {
    storage::DatabaseOptions options;
    options.url = "sqlite:" + (dir.path() / "tyto.db").string();
    db = storage::open_database(options);
    storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
    events = std::make_unique<events::Events>(*db, registry);
    store = std::make_unique<jobs::JobStore>(*db, *events);
    submitter = std::make_unique<jobs::JobSubmitter>(*store, pipelines, nullptr, [this] {
      if (runner) runner->wake();
    });
    mailer = std::make_unique<mail::Mailer>(config, *submitter);
    stages.add(mailer->stage());
    // The shipped file, loaded as the platform loads its own.
    pipeline_text = read_file(source_dir() / "config/pipelines/mail.send.json");
    pipeline::load_owned_pipelines({{"config/pipelines/mail.send.json", pipeline_text}}, "platform", stages, pipelines);
    REQUIRE(pipelines.at("mail.send").internal);
    jobs::RunnerOptions ro;
    ro.workers = 2;
    ro.poll_interval = 50ms;
    ro.backoff = {100ms, 300ms};
    runner = std::make_unique<jobs::Runner>(ro, *store, pipelines, registry);
    runner->start();
  }
  ~Fixture() { runner->stop(); }

  // Waits until the job reaches a final state (or `until` says so); returns it.
  jobs::Job wait_for(const std::string& job_id, const std::function<bool(const jobs::Job&)>& until = {},
                     std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto job = store->get("t1", job_id);
      REQUIRE(job);
      if (until ? until(*job) : jobs::is_final(job->state)) return *job;
      if (std::chrono::steady_clock::now() > deadline)
        FAIL("job " << job_id << " is still " << jobs::state_name(job->state));
      std::this_thread::sleep_for(20ms);
    }
  }

  std::int64_t job_count() { return db->query_one("SELECT COUNT(*) FROM jobs")->get<std::int64_t>(0); }
};

mail::Message hello() {
  mail::Message m;
  m.to = {"ada@example.org"};
  m.subject = "Your map is ready";
  m.text = "Hello Ada,\nyour map is ready.\n";
  return m;
}

std::string crlf_to_lf(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

}  // namespace

TEST_CASE("A queued message arrives at a real SMTP server with its headers, UTF-8 subject and both bodies", "[mail]") {
  SmtpServer server;
  Fixture f(mail_config(server.url()));
  REQUIRE(f.mailer->enabled());

  mail::Message m;
  m.to = {"ada@example.org", "grace@example.net"};
  m.cc = {"team@example.com"};
  m.reply_to = "support@tyto.example";
  m.subject = "Café ☕ — ta carte « Für Élise » est prête, et ce sujet est assez long pour être replié sur deux mots";
  m.text = "Bonjour Ada,\n.\n.starts with a dot\nnaïve café = 5 €\n" + std::string(200, 'x') + "\ntrailing space \n";
  m.html = "<p>Bonjour <b>Ada</b>, naïve café</p>";
  const auto sent = f.mailer->send("t1", m);
  CHECK(sent.status == mail::SendStatus::kQueued);
  REQUIRE_FALSE(sent.job_id.empty());
  CHECK(sent.message_id.ends_with("@tyto.example>"));

  const auto job = f.wait_for(sent.job_id);
  INFO(job.error.dump());
  REQUIRE(job.state == jobs::JobState::kSucceeded);
  CHECK(job.pipeline == "mail.send");
  CHECK(job.attempts == 1);
  CHECK(job.result.dump().find(sent.message_id) != std::string::npos);

  const auto received = server.received();
  REQUIRE(received.size() == 1);
  const auto& r = received[0];
  CHECK(r["mail_from"] == "noreply@tyto.example");
  CHECK(r["rcpt_tos"] == json({"ada@example.org", "grace@example.net", "team@example.com"}));
  const auto& msg = r["message"];
  CHECK(msg["defects"].empty());
  CHECK(msg["subject"] == m.subject);  // decoded from RFC 2047 words by Python's parser
  CHECK(msg["from"] == "Tyto Notifications <noreply@tyto.example>");
  CHECK(msg["to"] == json({"ada@example.org", "grace@example.net"}));
  CHECK(msg["cc"] == json({"team@example.com"}));
  CHECK(msg["reply_to"] == "support@tyto.example");
  CHECK(msg["date_valid"] == true);
  CHECK(msg["message_id"] == sent.message_id);
  CHECK(msg["mime_version"] == "1.0");
  CHECK(msg["content_type"] == "multipart/alternative");
  CHECK(crlf_to_lf(msg["text"].get<std::string>()) == m.text);  // dot-stuffing, QP and soft breaks undone
  CHECK(crlf_to_lf(msg["html"].get<std::string>()) == m.html);

  // On the wire: CRLF only, no line past 78 characters in the headers or 76 in the QP body.
  const auto raw = server.raw(1);
  std::size_t start = 0;
  while (start < raw.size()) {
    const auto nl = raw.find('\n', start);
    REQUIRE(nl != std::string::npos);
    REQUIRE(nl > start);
    INFO(raw.substr(start, nl - start));
    CHECK(raw[nl - 1] == '\r');
    CHECK(nl - start - 1 <= 78);
    start = nl + 1;
  }
  CHECK(raw.find("Subject: =?UTF-8?B?") != std::string::npos);
}

TEST_CASE("A plain text message is text/plain in UTF-8 with an ASCII subject as it is", "[mail]") {
  SmtpServer server;
  Fixture f(mail_config(server.url()));
  const auto sent = f.mailer->send("t1", hello());
  REQUIRE(f.wait_for(sent.job_id).state == jobs::JobState::kSucceeded);
  const auto received = server.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0]["message"]["content_type"] == "text/plain");
  CHECK(received[0]["message"]["subject"] == "Your map is ready");
  CHECK(server.raw(1).find("Subject: Your map is ready\r\n") != std::string::npos);
  CHECK(server.raw(1).find("Content-Type: text/plain; charset=UTF-8\r\n") != std::string::npos);
}

TEST_CASE("Header injection and bad addresses are refused before anything is queued", "[mail]") {
  SmtpServer server;
  Fixture f(mail_config(server.url()));
  const auto refused = [&](mail::Message m, const std::string& field) {
    INFO(field);
    try {
      f.mailer->send("t1", m);
      FAIL("send accepted it");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kValidationFailed);
      CHECK(e.details().dump().find(field) != std::string::npos);
    }
  };
  auto m = hello();
  m.subject = "Hi\r\nBcc: victim@example.com";
  refused(m, "subject");
  m = hello();
  m.subject = "Hi\nX-Injected: yes";
  refused(m, "subject");
  m = hello();
  m.to = {"ada@example.org\r\nBcc: victim@example.com"};
  refused(m, "to[0]");
  m = hello();
  m.to = {"Ada <ada@example.org>"};
  refused(m, "to[0]");
  m = hello();
  m.cc = {"a@b@example.org"};
  refused(m, "cc[0]");
  m = hello();
  m.reply_to = "x@example.org>\r\nBcc: y@example.org";
  refused(m, "reply_to");
  m = hello();
  m.to.clear();
  refused(m, "to");
  m = hello();
  m.subject = "bad \xC3\x28 utf-8";
  refused(m, "subject");
  m = hello();
  m.text.clear();
  refused(m, "text");
  CHECK(f.job_count() == 0);
  std::this_thread::sleep_for(200ms);
  CHECK(server.received().empty());

  // The configured From is checked too.
  auto config = mail_config(server.url());
  config.from = "Evil\r\nBcc: x@example.org <a@example.org>";
  CHECK_THROWS_AS(mail::Mailer(config, *f.submitter), Error);
  config.from = "not an address";
  CHECK_THROWS_AS(mail::Mailer(config, *f.submitter), Error);
}

TEST_CASE("A relay that refuses with a 5xx fails the message at once, without retrying", "[mail]") {
  SmtpServer server({"--rcpt-reply", "550 5.1.1 No such user here"});
  Fixture f(mail_config(server.url()));
  const auto job = f.wait_for(f.mailer->send("t1", hello()).job_id);
  CHECK(job.state == jobs::JobState::kFailed);
  CHECK(job.attempts == 1);
  CHECK(job.error["code"] == "mail_rejected");
  CHECK(job.error["retryable"] == false);
  CHECK(job.error["message"].get<std::string>().find("550") != std::string::npos);
}

TEST_CASE("A relay that answers 4xx is retried with backoff until the attempts run out", "[mail]") {
  SmtpServer server({"--data-reply", "451 4.3.0 Try again later"});
  Fixture f(mail_config(server.url()));
  const auto job = f.wait_for(f.mailer->send("t1", hello()).job_id);
  CHECK(job.state == jobs::JobState::kFailed);
  CHECK(job.attempts == 3);  // mail.max_attempts
  CHECK(job.error["code"] == "mail_deferred");
  CHECK(job.error["message"].get<std::string>().find("451") != std::string::npos);
}

TEST_CASE("A relay that is down is retried, and the message is delivered once it is up", "[mail]") {
  const auto port = free_port();
  auto config = mail_config("smtp://127.0.0.1:" + std::to_string(port));
  config.max_attempts = 20;
  Fixture f(config);
  const auto sent = f.mailer->send("t1", hello());
  // The first attempt finds nobody: the job is queued again for a later attempt, with the error kept.
  const auto waiting = f.wait_for(sent.job_id, [](const jobs::Job& j) {
    return j.attempts >= 1 && j.state == jobs::JobState::kQueued && !j.error.is_null();
  });
  CHECK(waiting.error["code"] == "mail_unreachable");
  CHECK(waiting.error["retryable"] == true);

  SmtpServer server({}, port);
  const auto job = f.wait_for(sent.job_id);
  CHECK(job.state == jobs::JobState::kSucceeded);
  CHECK(job.attempts >= 2);
  REQUIRE(server.received().size() == 1);
  CHECK(server.received()[0]["message"]["message_id"] == sent.message_id);  // the same message on every attempt
}

TEST_CASE("SMTP AUTH logs in with the configured user, and a wrong password fails permanently", "[mail]") {
  SmtpServer server({"--auth", "tyto:s3cret pass"});
  auto config = mail_config(server.url());
  config.username = "tyto";
  config.password = "s3cret pass";
  {
    Fixture f(config);
    REQUIRE(f.wait_for(f.mailer->send("t1", hello()).job_id).state == jobs::JobState::kSucceeded);
    REQUIRE(server.received().size() == 1);
    CHECK(server.received()[0]["login"] == "tyto");
  }
  config.password = "wrong";
  Fixture f(config);
  const auto job = f.wait_for(f.mailer->send("t1", hello()).job_id);
  CHECK(job.state == jobs::JobState::kFailed);
  CHECK(job.attempts == 1);
  CHECK(job.error["code"] == "mail_rejected");  // 535
  // Without credentials the relay refuses MAIL FROM (530): permanent as well.
  config.username.clear();
  Fixture anonymous(config);
  CHECK(anonymous.wait_for(anonymous.mailer->send("t1", hello()).job_id).state == jobs::JobState::kFailed);
  CHECK(server.received().size() == 1);
}

TEST_CASE("STARTTLS required refuses a relay that does not offer it, and opportunistic sends in clear", "[mail]") {
  SmtpServer server;
  auto config = mail_config(server.url());
  config.starttls = "required";
  {
    Fixture f(config);
    const auto job = f.wait_for(f.mailer->send("t1", hello()).job_id);
    CHECK(job.state == jobs::JobState::kFailed);
    CHECK(job.error["message"].get<std::string>().find("STARTTLS") != std::string::npos);
    CHECK(server.received().empty());
  }
  config.starttls = "opportunistic";
  Fixture f(config);
  CHECK(f.wait_for(f.mailer->send("t1", hello()).job_id).state == jobs::JobState::kSucceeded);
  CHECK(server.received().size() == 1);
}

TEST_CASE("Mail that is off queues nothing and answers disabled", "[mail]") {
  Fixture unset(mail_config(""));
  CHECK_FALSE(unset.mailer->enabled());
  const auto result = unset.mailer->send("t1", hello());
  CHECK(result.status == mail::SendStatus::kDisabled);
  CHECK(result.job_id.empty());
  CHECK(unset.job_count() == 0);
  // Still validated: a bad message is an error whether or not mail is on.
  auto bad = hello();
  bad.subject = "a\r\nb";
  CHECK_THROWS_AS(unset.mailer->send("t1", bad), Error);

  auto config = mail_config("smtp://127.0.0.1:25");
  config.enabled = false;
  Fixture off(config);
  CHECK(off.mailer->send("t1", hello()).status == mail::SendStatus::kDisabled);
  CHECK(off.job_count() == 0);
}

TEST_CASE("Subjects become RFC 2047 words of at most 75 characters split between whole characters", "[mail]") {
  CHECK(mail::encode_header_text("Plain ASCII") == "Plain ASCII");
  const std::string utf8 = "Ünïcödé " + std::string(40, 'a') + "é€";
  const auto encoded = mail::encode_header_text(utf8);
  CHECK(encoded.starts_with("=?UTF-8?B?"));
  std::size_t start = 0;
  int words = 0;
  while (start < encoded.size()) {
    auto end = encoded.find("\r\n ", start);
    if (end == std::string::npos) end = encoded.size();
    const auto word = encoded.substr(start, end - start);
    CHECK(word.size() <= 75);
    CHECK(word.starts_with("=?UTF-8?B?"));
    CHECK(word.ends_with("?="));
    ++words;
    start = end == encoded.size() ? end : end + 3;
  }
  CHECK(words == 2);
}

TEST_CASE("The mail options load from the environment and tyto config masks the password", "[mail][config]") {
  std::map<std::string, std::string> env = {{"TYTO_MAIL_SMTP_URL", "smtps://relay.example:465"},
                                            {"TYTO_MAIL_FROM", "noreply@tyto.example"},
                                            {"TYTO_MAIL_USERNAME", "tyto"},
                                            {"TYTO_MAIL_PASSWORD", "hunter2-hunter2"},
                                            {"TYTO_MAIL_STARTTLS", "opportunistic"},
                                            {"TYTO_MAIL_TIMEOUT_S", "12"}};
  TempDir dir;  // no config file in sight
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const auto getenv = [&](std::string_view name) -> std::optional<std::string> {
    const auto it = env.find(std::string(name));
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const auto config = load_config({}, getenv);
  CHECK(config.mail.smtp_url == "smtps://relay.example:465");
  CHECK(config.mail.password == "hunter2-hunter2");
  CHECK(config.mail.starttls == "opportunistic");
  CHECK(config.mail.timeout == 12s);
  const auto printed = config_to_json(config).dump();
  CHECK(printed.find("hunter2") == std::string::npos);
  env["TYTO_MAIL_STARTTLS"] = "sometimes";
  CHECK_THROWS_AS(load_config({}, getenv), ConfigError);
  env["TYTO_MAIL_STARTTLS"] = "off";
  env["TYTO_MAIL_SMTP_URL"] = "http://relay.example";
  CHECK_THROWS_AS(load_config({}, getenv), ConfigError);
  std::filesystem::current_path(cwd);
}
