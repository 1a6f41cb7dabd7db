#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tyto::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

Client::Client(std::uint16_t port, const std::string& host, const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::try_send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void Client::send(const std::string& bytes) { REQUIRE(try_send(bytes)); }

bool Client::fill(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<HttpResponse> Client::read_response(std::chrono::milliseconds timeout, bool head) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  HttpResponse res;
  const std::string head_text = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  res.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  while (line_end != std::string::npos) {
    const std::size_t next = head_text.find("\r\n", line_end + 2);
    const std::string line =
        head_text.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      res.headers[lower(line.substr(0, colon))] = value;
    }
    line_end = next;
  }
  if (head || res.status == 204 || res.status == 304 || res.status == 101) return res;
  if (auto it = res.headers.find("content-length"); it != res.headers.end()) {
    const std::size_t length = std::stoul(it->second);
    while (buffer_.size() < length) {
      if (!fill(deadline)) return std::nullopt;
    }
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  } else {
    while (fill(deadline)) {
    }
    res.body.swap(buffer_);
  }
  return res;
}

bool Client::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

bool Client::websocket_upgrade(const std::string& path, const std::string& authorization) {
  send("GET " + path +
       " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
       (authorization.empty() ? std::string() : "Authorization: " + authorization + "\r\n") + "\r\n");
  auto res = read_response();
  return res && res->status == 101 && res->header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
}

void Client::websocket_send_text(const std::string& text) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));  // FIN + text
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (text.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | text.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(text.size() >> 8));
    frame.push_back(static_cast<char>(text.size() & 0xff));
  }
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < text.size(); ++i) frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
  send(frame);
}

bool Client::websocket_send_binary(const std::string& bytes) {
  std::string frame;
  frame.push_back(static_cast<char>(0x82));  // FIN + binary
  const unsigned char mask[4] = {0x9a, 0x4c, 0x21, 0xe7};
  if (bytes.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | bytes.size()));
  } else if (bytes.size() <= 0xffff) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(bytes.size() >> 8));
    frame.push_back(static_cast<char>(bytes.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((bytes.size() >> shift) & 0xff));
  }
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < bytes.size(); ++i) frame.push_back(static_cast<char>(bytes[i] ^ mask[i % 4]));
  return try_send(frame);
}

std::optional<std::string> Client::websocket_read_text(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (buffer_.size() < 2) {
      if (!fill(deadline)) return std::nullopt;
    }
    const auto opcode = static_cast<unsigned char>(buffer_[0]) & 0x0f;
    std::size_t length = static_cast<unsigned char>(buffer_[1]) & 0x7f;
    std::size_t offset = 2;
    if (length == 126) {
      while (buffer_.size() < 4) {
        if (!fill(deadline)) return std::nullopt;
      }
      length = (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
      offset = 4;
    }
    while (buffer_.size() < offset + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    std::string payload = buffer_.substr(offset, length);
    buffer_.erase(0, offset + length);
    if (opcode == 0x1 || opcode == 0x2) return payload;
    if (opcode == 0x8) return std::nullopt;  // close
    // ping/pong: ignore and read on
  }
}

HttpResponse request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers) {
  Client c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!headers.count("Authorization")) req += std::string("Authorization: Bearer ") + kAdminKey + "\r\n";
  for (const auto& [k, v] : headers) {
    if (!v.empty() || k != "Authorization") req += k + ": " + v + "\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  c.send(req);
  auto res = c.read_response(std::chrono::seconds(30), method == "HEAD");
  REQUIRE(res);
  return *res;
}

}  // namespace tyto::test
