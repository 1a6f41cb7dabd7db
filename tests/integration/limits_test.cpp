// Resource limits through the real binary: connections per server and per client address, event
// streams per principal, and the memory that clients who never read can make the server hold.
//
// New options are passed through the environment, which an older binary ignores, so each case can be
// run against the code before its fix to see it fail.
#include "support/api_client.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace tyto::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The server's resident memory, in MiB.
double rss_mib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  FAIL("no VmRSS for pid " << pid);
  return 0;
}

// A metric's value from /metrics (the first sample whose line starts with `series`), or -1.
double metric(std::uint16_t port, const std::string& series) {
  const auto body = request(port, "GET", "/metrics").body;
  for (std::size_t at = body.find(series); at != std::string::npos; at = body.find(series, at + 1)) {
    if (at != 0 && body[at - 1] != '\n') continue;
    const auto space = body.find(' ', at + series.size());
    if (space != at + series.size()) continue;
    return std::stod(body.substr(space + 1, body.find('\n', space) - space - 1));
  }
  return -1;
}

// A WebSocket subscriber that completes the handshake and then never reads: a tiny receive buffer
// (set before connecting, so the window stays small) makes the server's sends block quickly.
class NonReader {
 public:
  NonReader(std::uint16_t port, const std::string& path) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string upgrade = "GET " + path +
                                " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                "Authorization: Bearer " +
                                std::string(kAdminKey) + "\r\n\r\n";
    REQUIRE(::send(fd_, upgrade.data(), upgrade.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(upgrade.size()));
    // Read the 101 head and nothing more (byte by byte: what follows must stay unread).
    std::string head;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (head.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::recv(fd_, &c, 1, 0) != 1) break;
      head.push_back(c);
    }
    upgraded_ = head.rfind("HTTP/1.1 101", 0) == 0;
  }
  ~NonReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  NonReader(const NonReader&) = delete;
  NonReader& operator=(const NonReader&) = delete;
  bool upgraded() const { return upgraded_; }

 private:
  int fd_ = -1;
  bool upgraded_ = false;
};

std::string submit_sleep(std::uint16_t port, int ms, int steps) {
  auto res =
      api(port, "POST", "/api/v1/jobs", {{"pipeline", "builtin.sleep"}, {"input", {{"ms", ms}, {"steps", steps}}}});
  INFO(res.raw.body);
  REQUIRE(res.status == 202);
  return res.body["id"].get<std::string>();
}

void check_overloaded(const HttpResponse& res, const std::string& limit) {
  INFO(res.body);
  CHECK(res.status == 503);
  CHECK(res.header("retry-after") == "1");
  const auto body = json::parse(res.body);
  CHECK(body["error"]["code"] == "overloaded");
  CHECK(body["error"]["details"]["limit"] == limit);
}

}  // namespace

TEST_CASE("A client address over its connection limit gets 503 overloaded at once", "[integration][limits]") {
  auto server = TytoProcess::serve({}, {{"TYTO_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "8"}});
  const auto port = server->port();
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<Client>(port));

  // Without sending anything, the ninth connection is answered and closed.
  Client ninth(port);
  auto res = ninth.read_response(5s);
  REQUIRE(res);
  check_overloaded(*res, "connections_per_address");
  CHECK(ninth.closed_within(5s));

  // A client that sends its request at once reads the answer too (the server drains before closing).
  Client eager(port);
  eager.send("GET /api/v1/pipelines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kAdminKey) +
             "\r\n\r\n");
  res = eager.read_response(5s);
  REQUIRE(res);
  check_overloaded(*res, "connections_per_address");

  // Room again once a held connection closes.
  held.pop_back();
  CHECK(eventually([&] {
    Client c(port);
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto r = c.read_response(5s);
    return r && r->status == 200;
  }));
  held.clear();
  CHECK(eventually(
      [&] { return metric(port, "tyto_http_connections_refused_total{limit=\"connections_per_address\"}") >= 2; }));
}

TEST_CASE("At its connection limit the server still answers health checks from a reserve", "[integration][limits]") {
  auto server =
      TytoProcess::serve({}, {{"TYTO_HTTP_MAX_CONNECTIONS", "8"}, {"TYTO_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "0"}});
  const auto port = server->port();
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<Client>(port));

  // Full: ordinary requests are refused, monitoring ones answered.
  auto refused = request(port, "GET", "/api/v1/pipelines");
  check_overloaded(refused, "connections");
  CHECK(request(port, "GET", "/health").status == 200);
  CHECK(request(port, "GET", "/ready").status == 200);
  const auto metrics = request(port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("tyto_http_connections_refused_total{limit=\"monitoring_reserve\"} 1") != std::string::npos);

  // The reserve is small and bounded too: past it, connections are refused at once.
  for (int i = 0; i < 16; ++i) held.push_back(std::make_unique<Client>(port));
  Client over(port);
  auto res = over.read_response(5s);
  REQUIRE(res);
  check_overloaded(*res, "connections");

  // And the server recovers as soon as clients leave.
  held.clear();
  CHECK(eventually([&] { return request(port, "GET", "/api/v1/pipelines").status == 200; }));
}

TEST_CASE("One principal may hold only jobs.streams_per_principal event streams", "[integration][limits][streams]") {
  auto server = TytoProcess::serve({}, {{"TYTO_JOBS_STREAMS_PER_PRINCIPAL", "3"}});
  const auto port = server->port();
  std::vector<std::unique_ptr<Client>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<Client>(port));
    REQUIRE(streams.back()->websocket_upgrade("/ws/events?topic=t" + std::to_string(i)));
  }

  // A fourth WebSocket is refused before the upgrade, with the envelope and Retry-After.
  Client fourth(port);
  fourth.send(
      "GET /ws/events?topic=t4 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " +
      std::string(kAdminKey) + "\r\n\r\n");
  auto res = fourth.read_response(5s);
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == 429);
  CHECK_FALSE(res->header("retry-after").empty());
  CHECK(json::parse(res->body)["error"]["code"] == "too_many_streams");

  // Server-sent events count against the same cap.
  const auto id = submit_sleep(port, 0, 1);
  auto sse = request(port, "GET", "/api/v1/jobs/" + id + "/events");
  CHECK(sse.status == 429);

  // Closing a stream frees its slot.
  streams.pop_back();
  CHECK(eventually([&] {
    Client again(port);
    return again.websocket_upgrade("/ws/events?topic=again");
  }));
}

TEST_CASE("1,000 WebSocket subscribers that never read are cut off without the server's memory growing",
          "[integration][limits][streams][slow]") {
  // Stream limits at their defaults; one key may open 1,000 streams (and requests) only because the
  // per-principal cap and the rate limits are lifted. One builtin.sleep job runs at a time, so a job
  // can be held back until every subscriber is connected.
  auto server =
      TytoProcess::serve({"--jobs-pipeline-concurrency", "builtin.sleep=1"}, {{"TYTO_JOBS_STREAMS_PER_PRINCIPAL", "0"},
                                                                              {"TYTO_LIMITS_KEY_RPS", "1e9"},
                                                                              {"TYTO_LIMITS_KEY_BURST", "1e9"},
                                                                              {"TYTO_LIMITS_TENANT_RPS", "1e9"},
                                                                              {"TYTO_LIMITS_TENANT_BURST", "1e9"}});
  const auto port = server->port();
  const int pid = server->pid();
  wait_for_state(port, submit_sleep(port, 0, 10), "succeeded");
  const double baseline = rss_mib(pid);
  double peak = baseline;

  for (int round = 1; round <= 2; ++round) {
    INFO("round " << round << ", baseline " << baseline << " MiB");
    const auto blocker = submit_sleep(port, 600000, 1);
    wait_for_state(port, blocker, "running");
    // Queued behind the blocker: 8,000 progress events (~250 bytes each) over about 8 s, on one topic.
    const auto id = submit_sleep(port, 8000, 8000);
    std::vector<std::unique_ptr<NonReader>> subscribers;
    for (int i = 0; i < 1000; ++i) {
      subscribers.push_back(std::make_unique<NonReader>(port, "/ws/events?topic=job:" + id));
      REQUIRE(subscribers.back()->upgraded());
    }
    REQUIRE(api(port, "POST", "/api/v1/jobs/" + blocker + "/cancel").status < 300);
    const auto until = std::chrono::steady_clock::now() + 60s;
    bool finished = false;
    while (std::chrono::steady_clock::now() < until) {
      peak = std::max(peak, rss_mib(pid));
      if (!finished) finished = get_job(port, id)["state"] == "succeeded";
      if (finished && metric(port, "tyto_stream_connections{kind=\"websocket\"}") == 0) break;
      std::this_thread::sleep_for(200ms);
    }
    INFO("peak " << peak << " MiB");
    REQUIRE(finished);
    // Every subscriber was cut off for not reading (none of them ever closed its side).
    CHECK(metric(port, "tyto_stream_connections{kind=\"websocket\"}") == 0);
    CHECK(metric(port, "tyto_stream_too_slow_total") >= 1000.0 * round);
    CHECK(peak - baseline < 150);
    subscribers.clear();
  }

  // The memory they held goes back to the OS, not just to the allocator (without malloc_trim RSS stays
  // at its peak, about baseline + 50 MiB).
  double after = 0;
  eventually(
      [&] {
        after = rss_mib(pid);
        return after - baseline <= 30;
      },
      20s);
  INFO("baseline " << baseline << " MiB, peak " << peak << " MiB, after " << after << " MiB");
  CHECK(after - baseline <= 30);
  CHECK(request(port, "GET", "/health").status == 200);
  WARN("non-reading subscribers: RSS baseline " << baseline << " MiB, peak " << peak << " MiB, after " << after
                                                << " MiB");
}
