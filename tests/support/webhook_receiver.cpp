#include "support/webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace tyto::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads into buf until pred(buf) or the peer stops; false on timeout or error.
template <class Pred>
bool read_until(int fd, std::string& buf, Pred pred) {
  char chunk[16384];
  while (!pred(buf)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return false;
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

WebhookReceiver::WebhookReceiver() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd_, 64) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string WebhookReceiver::url(const std::string& path, const std::string& host) const {
  return "http://" + host + ":" + std::to_string(port_) + path;
}

void WebhookReceiver::fail_next(int n, int status) {
  std::lock_guard lock(mutex_);
  for (int i = 0; i < n; ++i) scripted_.push_back(status);
}

void WebhookReceiver::set_default_status(int status) {
  std::lock_guard lock(mutex_);
  default_status_ = status;
}

void WebhookReceiver::set_response_body(std::string body) {
  std::lock_guard lock(mutex_);
  response_body_ = std::move(body);
}

void WebhookReceiver::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

std::vector<ReceivedRequest> WebhookReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t WebhookReceiver::count() const {
  std::lock_guard lock(mutex_);
  return received_.size();
}

bool WebhookReceiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (count() < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void WebhookReceiver::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) continue;
    handle(client);
    ::close(client);
  }
}

void WebhookReceiver::handle(int fd) {
  std::string buf;
  if (!read_until(fd, buf, [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; })) return;
  const auto head_end = buf.find("\r\n\r\n");
  ReceivedRequest r;
  r.at = std::chrono::system_clock::now();
  std::size_t line_end = buf.find("\r\n");
  const std::string request_line = buf.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  r.method = request_line.substr(0, sp1);
  r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t pos = line_end + 2;
  while (pos < head_end) {
    const auto end = buf.find("\r\n", pos);
    const std::string line = buf.substr(pos, end - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers[lower(line.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  const std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  if (!read_until(fd, buf, [&](const std::string& b) { return b.size() >= head_end + 4 + length; })) return;
  r.body = buf.substr(head_end + 4, length);

  int status;
  std::string body;
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    received_.push_back(r);
    status = default_status_;
    if (!scripted_.empty()) {
      status = scripted_.front();
      scripted_.pop_front();
    }
    body = response_body_;
    delay = delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  const std::string response = "HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Type: text/plain\r\n" +
                               (status / 100 == 3 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : "") +
                               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                               body;
  ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

}  // namespace tyto::test
