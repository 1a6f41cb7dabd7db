// Connection limits: how many connections the server serves at once, in all and per client address,
// decided when a connection is accepted. Private to tyto_http.
#pragma once

#include "tyto/http/request.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tyto::http::detail {

// Counts open connections and admits or refuses new ones. Thread-safe: admit() runs on the accept
// loop, a Ticket is released on whichever I/O thread its connection ended on.
//
// Up to max_total connections are served normally. kMonitoringReserve more are served for
// monitoring routes only (RouteOptions::monitoring), so health checks answer when the server is
// full; past that, and past max_per_address for one address, a connection is refused.
class ConnectionLimiter {
 public:
  static constexpr std::size_t kMonitoringReserve = 16;

  enum class Verdict { kServe, kMonitoringOnly, kRefuseServer, kRefuseAddress };

  // Releases its connection's count when destroyed. Move-only; empty for a refused connection.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class ConnectionLimiter;
    ConnectionLimiter* limiter_ = nullptr;
    std::string key_;  // the address key, empty when addresses are not counted
  };

  struct Admission {
    Verdict verdict;
    Ticket ticket;
  };

  // max_per_address 0: addresses are not counted. The limiter must outlive every ticket.
  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address);

  Admission admit(const boost::asio::ip::address& address);

  std::size_t open() const noexcept { return open_.load(std::memory_order_relaxed); }
  std::size_t max_total() const noexcept { return max_total_; }
  std::size_t max_per_address() const noexcept { return max_per_address_; }

  // What addresses are counted by: an IPv4 address (also IPv4-mapped IPv6) or an IPv6 /64, since one
  // IPv6 client usually holds a whole /64.
  static std::string address_key(const boost::asio::ip::address& address);

 private:
  void release(const std::string& key) noexcept;

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::atomic<std::size_t> open_{0};
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint32_t> per_address_;  // guarded by mutex_
};

// Raises the soft limit on open files to the hard limit (sockets are files) and returns the soft
// limit now in force.
std::size_t raise_open_file_limit() noexcept;

// http.max_connections = 0: the open-file limit less what the database, object files, logs and the
// monitoring reserve need.
std::size_t automatic_max_connections(std::size_t open_file_limit) noexcept;

// The 503 `overloaded` answer (envelope, Retry-After), for a limit named "connections",
// "connections_per_address" or "monitoring_reserve".
Response overloaded_response(std::string_view limit);

// The same answer as raw HTTP/1.1 bytes with Connection: close, for refusing at accept time.
std::string overloaded_http_response(std::string_view limit);

}  // namespace tyto::http::detail
