// The outbound HTTP(S) client against local servers: the policy decides which addresses it may
// reach, it connects only to those, verifies TLS, follows no redirect and caps what it reads.
#include "support/test_support.hpp"
#include "support/webhook_receiver.hpp"

#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

using namespace tyto;
using namespace tyto::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const http::OutboundPolicy kLoopbackAllowed({"127.0.0.0/8"});

template <class Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no tyto::Error thrown");
  throw std::logic_error("unreachable");
}

http::OutboundRequest post(const std::string& url, std::string body = "{}") {
  http::OutboundRequest r;
  r.url = url;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}, {"X-Test", "1"}};
  r.timeout = 5s;
  return r;
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// `openssl s_server -www` on 127.0.0.1 with a self-signed certificate whose subjectAltName is `san`.
class TlsServer {
 public:
  TlsServer(const fs::path& dir, const std::string& san) : cert_(dir / "cert.pem"), key_(dir / "key.pem") {
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tyto-test -addext "
        "subjectAltName=" +
        san + " -keyout " + key_.string() + " -out " + cert_.string() + " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    port_ = free_port();
    const std::string accept = "127.0.0.1:" + std::to_string(port_);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert_.c_str(), "-key",
               key_.c_str(), "-www", "-quiet", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !accepts_connections(port_); ++i) std::this_thread::sleep_for(50ms);
    REQUIRE(accepts_connections(port_));
  }
  ~TlsServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::string url(const std::string& host) const { return "https://" + host + ":" + std::to_string(port_) + "/"; }
  const fs::path& cert() const { return cert_; }

 private:
  fs::path cert_, key_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("The outbound client refuses loopback and link-local unless the policy allows them", "[webhooks][outbound]") {
  WebhookReceiver receiver;
  const http::OutboundPolicy strict;
  const http::OutboundClient refusing(strict);
  auto e = error_of([&] { refusing.send(post(receiver.url())); });
  CHECK(e.code() == ErrorCode::kForbidden);
  e = error_of([&] { refusing.send(post(receiver.url("/hook", "localhost"))); });
  CHECK(e.code() == ErrorCode::kForbidden);
  // Even an allowlist for loopback leaves cloud metadata out.
  const http::OutboundClient client(kLoopbackAllowed);
  e = error_of([&] { client.send(post("http://169.254.169.254/latest/meta-data/")); });
  CHECK(e.code() == ErrorCode::kForbidden);
  CHECK(std::string(e.what()).find("link-local") != std::string::npos);
  CHECK(receiver.count() == 0);
}

TEST_CASE("The outbound client sends the request to an allowed address and returns any status",
          "[webhooks][outbound]") {
  WebhookReceiver receiver;
  const http::OutboundClient client(kLoopbackAllowed);
  auto res = client.send(post(receiver.url("/hook?a=1", "localhost"), R"({"n":1})"));
  CHECK(res.status == 200);
  CHECK(res.body == "ok");
  CHECK(res.address == "127.0.0.1");
  REQUIRE(receiver.count() == 1);
  const auto got = receiver.requests().front();
  CHECK(got.method == "POST");
  CHECK(got.target == "/hook?a=1");
  CHECK(got.body == R"({"n":1})");
  CHECK(got.header("x-test") == "1");
  CHECK(got.header("host") == "localhost:" + std::to_string(receiver.port()));

  receiver.fail_next(1, 503);
  CHECK(client.send(post(receiver.url())).status == 503);
  // Redirects are returned, not followed (the Location points at another port).
  receiver.fail_next(1, 302);
  CHECK(client.send(post(receiver.url())).status == 302);
  CHECK(receiver.count() == 3);
}

TEST_CASE("The outbound client caps the response body and the time it waits", "[webhooks][outbound]") {
  WebhookReceiver receiver;
  receiver.set_response_body(std::string(200'000, 'z'));
  const http::OutboundClient client(kLoopbackAllowed);
  auto req = post(receiver.url());
  req.max_response_bytes = 1000;
  const auto res = client.send(req);
  CHECK(res.status == 200);
  CHECK(res.body.size() == 1000);
  CHECK(res.truncated);

  receiver.set_response_body("late");
  receiver.set_delay(1500ms);
  req.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto e = error_of([&] { client.send(req); });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(std::string(e.what()).find("timed out") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 1400ms);

  // Nothing listens: the connection is refused.
  const auto port = free_port();
  CHECK(error_of([&] { client.send(post("http://127.0.0.1:" + std::to_string(port) + "/")); }).code() ==
        ErrorCode::kUnavailable);
}

TEST_CASE("The outbound client verifies the TLS certificate and its host name", "[webhooks][outbound][tls]") {
  TempDir dir;
  TlsServer server(dir.path(), "DNS:localhost");
  const http::OutboundClient trusting(kLoopbackAllowed, server.cert().string());
  http::OutboundRequest req;
  req.method = "GET";
  req.url = server.url("localhost");
  req.timeout = 5s;
  CHECK(trusting.send(req).status == 200);

  // Not in the system's trust store.
  const http::OutboundClient system_trust(kLoopbackAllowed);
  auto e = error_of([&] { system_trust.send(req); });
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(std::string(e.what()).find("TLS") != std::string::npos);

  // Trusted, but for another name than the one in the URL.
  req.url = server.url("127.0.0.1");
  e = error_of([&] { trusting.send(req); });
  CHECK(e.code() == ErrorCode::kUnavailable);
}
