#include "http/detail/connection_limits.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <sys/resource.h>

namespace tyto::http::detail {

ConnectionLimiter::Ticket::Ticket(Ticket&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), key_(std::move(other.key_)) {}

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (limiter_) limiter_->release(key_);
    limiter_ = std::exchange(other.limiter_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

ConnectionLimiter::Ticket::~Ticket() {
  if (limiter_) limiter_->release(key_);
}

ConnectionLimiter::ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

std::string ConnectionLimiter::address_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return address_key(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto b = v6.to_bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), 8);  // the /64
}

ConnectionLimiter::Admission ConnectionLimiter::admit(const boost::asio::ip::address& address) {
  // Only the accept loop admits, so reading then adding cannot overshoot.
  const std::size_t open = open_.load(std::memory_order_relaxed);
  if (open >= max_total_ + kMonitoringReserve) return {Verdict::kRefuseServer, {}};
  Ticket ticket;
  if (max_per_address_ > 0) {
    std::string key = address_key(address);
    {
      std::lock_guard lock(mutex_);
      auto& n = per_address_[key];
      if (n >= max_per_address_) return {Verdict::kRefuseAddress, {}};
      ++n;
    }
    ticket.key_ = std::move(key);
  }
  open_.fetch_add(1, std::memory_order_relaxed);
  ticket.limiter_ = this;
  return {open >= max_total_ ? Verdict::kMonitoringOnly : Verdict::kServe, std::move(ticket)};
}

void ConnectionLimiter::release(const std::string& key) noexcept {
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(key);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::size_t raise_open_file_limit() noexcept {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    // An unlimited hard limit is not accepted as a soft limit for open files; 2^20 is the kernel's default nr_open.
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 1 << 20) : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? static_cast<std::size_t>(1) << 20 : static_cast<std::size_t>(lim.rlim_cur);
}

std::size_t automatic_max_connections(std::size_t open_file_limit) noexcept {
  // Database connections, object and upload files, logs, refused connections waiting to close.
  const std::size_t reserve = std::max<std::size_t>(128, open_file_limit / 10) + ConnectionLimiter::kMonitoringReserve;
  return open_file_limit > reserve + 16 ? open_file_limit - reserve : 16;
}

namespace {

constexpr std::string_view kOverloadedMessage = "the server is at its connection limit; retry later";

}  // namespace

Response overloaded_response(std::string_view limit) {
  Response res = Response::json(error_envelope(ErrorCode::kOverloaded, kOverloadedMessage, {{"limit", limit}}),
                                error_status(ErrorCode::kOverloaded));
  res.headers.set("Retry-After", "1");
  return res;
}

std::string overloaded_http_response(std::string_view limit) {
  const std::string body = error_envelope(ErrorCode::kOverloaded, kOverloadedMessage, {{"limit", limit}}).dump();
  return fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nServer: tyto\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Cache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      body.size(), body);
}

}  // namespace tyto::http::detail
