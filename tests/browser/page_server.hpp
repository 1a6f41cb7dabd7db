// A small HTTP/1.1 server for the browser tests: the test pages, served on one loopback address, with
// handlers that can hold a request open (to make a page hang) and counters of what was requested.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tyto::test {

struct PageRequest {
  std::string method;
  std::string target;  // path and query
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
};

struct PageResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class PageServer {
 public:
  using Handler = std::function<PageResponse(const PageRequest&)>;

  // Listens on address (a loopback address: 127.0.0.1, 127.0.0.2…), port chosen by the kernel.
  explicit PageServer(const std::string& address = "127.0.0.1");
  ~PageServer();  // releases held requests, closes every connection

  // Serves a path (without query); unknown paths get 404.
  void route(const std::string& path, Handler handler);
  void page(const std::string& path, std::string html);

  std::string origin() const;  // "http://127.0.0.1:PORT"
  std::string url(const std::string& path) const { return origin() + path; }
  int hits(const std::string& path) const;
  int total_hits() const;
  std::vector<PageRequest> requests(const std::string& path) const;

  // For handlers: blocks until release() or the server stops, or the timeout passes.
  void hold(std::chrono::milliseconds timeout);
  void release();

 private:
  void accept_loop();
  void serve(int fd);

  std::string address_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  bool stopping_ = false;
  std::map<std::string, Handler> routes_;
  std::map<std::string, std::vector<PageRequest>> seen_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
};

}  // namespace tyto::test
