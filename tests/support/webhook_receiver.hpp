// A tiny HTTP server on 127.0.0.1 that records every request it gets and answers with a status the
// test chooses (e.g. 500 for the first N requests, then 200): the far end of webhook tests.
// One connection at a time, each answered and closed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tyto::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::chrono::system_clock::time_point at;
  std::string header(const std::string& name) const;
};

class WebhookReceiver {
 public:
  WebhookReceiver();  // fails the test if it cannot listen
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://<host>:<port><path>"; host 127.0.0.1 unless told (e.g. "localhost").
  std::string url(const std::string& path = "/hook", const std::string& host = "127.0.0.1") const;

  // The next n requests get `status`; after them, the default status.
  void fail_next(int n, int status = 500);
  void set_default_status(int status);
  void set_response_body(std::string body);
  void set_delay(std::chrono::milliseconds delay);  // before answering

  std::vector<ReceivedRequest> requests() const;
  std::size_t count() const;
  // Waits until at least n requests arrived; false on timeout.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  void serve();
  void handle(int fd);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<int> scripted_;               // guarded by mutex_
  int default_status_ = 200;               // guarded by mutex_
  std::string response_body_ = "ok";       // guarded by mutex_
  std::chrono::milliseconds delay_{0};     // guarded by mutex_
  std::vector<ReceivedRequest> received_;  // guarded by mutex_
};

}  // namespace tyto::test
