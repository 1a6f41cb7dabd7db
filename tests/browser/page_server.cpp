#include "browser/page_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace tyto::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

PageServer::PageServer(const std::string& address) : address_(address) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  ::inet_pton(AF_INET, address.c_str(), &where.sin_addr);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 || ::listen(listener_, 64) != 0)
    throw std::runtime_error("cannot listen on " + address);
  socklen_t length = sizeof where;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&where), &length);
  port_ = ntohs(where.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

PageServer::~PageServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  released_cv_.notify_all();
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void PageServer::route(const std::string& path, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_[path] = std::move(handler);
}

void PageServer::page(const std::string& path, std::string html) {
  route(path, [html = std::move(html)](const PageRequest&) { return PageResponse{.body = html}; });
}

std::string PageServer::origin() const { return "http://" + address_ + ":" + std::to_string(port_); }

int PageServer::hits(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = seen_.find(path);
  return it == seen_.end() ? 0 : static_cast<int>(it->second.size());
}

int PageServer::total_hits() const {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& [path, list] : seen_) n += static_cast<int>(list.size());
  return n;
}

std::vector<PageRequest> PageServer::requests(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = seen_.find(path);
  return it == seen_.end() ? std::vector<PageRequest>{} : it->second;
}

void PageServer::hold(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  released_cv_.wait_for(lock, timeout, [&] { return released_ || stopping_; });
}

void PageServer::release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  released_cv_.notify_all();
}

void PageServer::accept_loop() {
  for (;;) {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void PageServer::serve(int fd) {
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc, net::ip::tcp::v4(), fd);
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) break;
    PageRequest seen{std::string(request.method_string()), std::string(request.target()), "", request.body(), {}};
    seen.path = seen.target.substr(0, seen.target.find('?'));
    for (const auto& field : request)
      seen.headers[lowercase(std::string(field.name_string()))] = std::string(field.value());
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      seen_[seen.path].push_back(seen);
      if (auto it = routes_.find(seen.path); it != routes_.end()) handler = it->second;
    }
    PageResponse answer = handler ? handler(seen) : PageResponse{.status = 404, .body = "not found"};
    http::response<http::string_body> response{static_cast<http::status>(answer.status), request.version()};
    response.set(http::field::content_type, answer.content_type);
    response.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : answer.headers) response.insert(name, value);
    response.body() = std::move(answer.body);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    http::write(socket, response, ec);
    if (ec || !request.keep_alive()) break;
  }
  boost::system::error_code ignored;
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  // The fd is closed by the socket; forget it first so that the destructor does not shut down a reused number.
  std::lock_guard lock(mutex_);
  connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
  socket.close(ignored);
}

}  // namespace tyto::test
