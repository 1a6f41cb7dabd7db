// A deliberately small HTTP/1.1 and WebSocket client over plain sockets, so tests can send exactly
// the bytes they mean (malformed lines, oversize headers, nothing at all).
#pragma once

#include "support/test_support.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tyto::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& name) const;
};

class Client {
 public:
  // Connects to host:port; from `source` (another local address, such as 127.0.0.2) when given.
  explicit Client(std::uint16_t port, const std::string& host = "127.0.0.1", const std::string& source = "");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(const std::string& bytes);  // fails the test if the connection is gone
  bool try_send(const std::string& bytes);

  // Reads one response (Content-Length or close-delimited body). nullopt on timeout or close.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                            bool head = false);

  // True once the server closed the connection (EOF or reset) within the timeout.
  bool closed_within(std::chrono::milliseconds timeout);

  // WebSocket: upgrade on this connection (authenticated as the admin key unless authorization is
  // given; "" for none), then exchange text frames.
  bool websocket_upgrade(const std::string& path,
                         const std::string& authorization = std::string("Bearer ") + kAdminKey);
  void websocket_send_text(const std::string& text);
  // One binary frame of any length (a webcam's JPEG). Returns false when the connection is gone.
  bool websocket_send_binary(const std::string& bytes);
  std::optional<std::string> websocket_read_text(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // reads more into buffer_
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection, as the admin key unless headers name an Authorization ("": none).
HttpResponse request(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = "", const std::map<std::string, std::string>& headers = {});

}  // namespace tyto::test
