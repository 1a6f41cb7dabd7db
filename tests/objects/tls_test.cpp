// https endpoints: the server's certificate must chain to the system's CA store (or to S3Options::ca_file)
// and name the endpoint's host. The TLS server is `openssl s_server -www` with a throwaway certificate.
#include "objects/backends.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

using namespace tyto;
using namespace tyto::test;
namespace fs = std::filesystem;

namespace {

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

// `openssl s_server` on 127.0.0.1 with a self-signed certificate whose subjectAltName is `san`.
class TlsServer {
 public:
  TlsServer(const fs::path& dir, const std::string& san) : cert_(dir / "cert.pem"), key_(dir / "key.pem") {
    std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tyto-test -addext "
        "subjectAltName=" +
        san + " -keyout " + key_.string() + " -out " + cert_.string() + " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    port_ = free_port();
    std::string accept = "127.0.0.1:" + std::to_string(port_);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert_.c_str(), "-key",
               key_.c_str(), "-www", "-quiet", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !accepts_connections(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(accepts_connections(port_));
  }
  ~TlsServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const fs::path& cert() const { return cert_; }

 private:
  fs::path cert_;
  fs::path key_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

objects::S3Options tls_options(const std::string& endpoint) {
  objects::S3Options options;
  options.endpoint = endpoint;
  options.bucket = "b";
  options.access_key = "AKIDEXAMPLE";
  options.secret_key = "not-a-real-secret-key";
  options.max_attempts = 1;
  options.timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace

TEST_CASE("An https endpoint with a certificate the system does not trust is refused", "[objects][s3][tls]") {
  TempDir dir;
  TlsServer server(dir.path(), "IP:127.0.0.1");
  auto store = objects::open_s3_store(tls_options(server.endpoint()));
  CHECK(error_code_of([&] { store->get_all("k"); }) == ErrorCode::kUnavailable);
  CHECK(error_message_of([&] { store->get_all("k"); }).find("certificate verify failed") != std::string::npos);
}

TEST_CASE("A CA file makes a private certificate trusted, for the host it names only", "[objects][s3][tls]") {
  TempDir dir;
  TlsServer server(dir.path(), "IP:127.0.0.1");
  objects::S3Options options = tls_options(server.endpoint());
  options.ca_file = server.cert().string();
  auto store = objects::open_s3_store(options);
  CHECK_THAT(store->get_all("k"), Catch::Contains("s_server"));  // s_server's status page: TLS worked

  TempDir other_dir;
  TlsServer other(other_dir.path(), "DNS:elsewhere.example");
  options = tls_options(other.endpoint());
  options.ca_file = other.cert().string();
  store = objects::open_s3_store(options);
  CHECK(error_message_of([&] { store->get_all("k"); }).find("certificate verify failed") != std::string::npos);

  options.ca_file = (dir.path() / "missing.pem").string();
  CHECK(error_code_of([&] { objects::open_s3_store(options); }) == ErrorCode::kInternal);
}
