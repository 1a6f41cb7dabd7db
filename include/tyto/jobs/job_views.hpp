// The rendered JSON of finished jobs, kept in memory so that `GET /api/v1/jobs/{id}` of a job that
// will not change again is answered on the I/O thread without a database read or a thread hop.
//
// What may be cached: only a job in a final state (succeeded, failed, cancelled). Such a row changes
// again only by retry() or by deletion (erasure of its creator), and both call invalidate() after their
// commit. A reader takes a ticket() before it reads the row and passes it to put(); an invalidate()
// between the two makes the put() a no-op, so a view read before a commit cannot outlive it.
//
// Several processes on one database: another instance's retry or erasure is not seen here, so an
// entry also expires kTtl after it was read: a view is at most that old, as principals are at most
// api::kPrincipalCacheTtl old.
//
// Memory: views larger than kMaxViewBytes are not kept; entries live in two generations of at most
// kGenerationBytes each (the older is dropped when the newer fills), so the cache holds at most twice
// that, and a view read often is read again from the newer one after its first miss.
//
// Thread-safety: every method may be called from any thread; none blocks on anything but a short mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tyto::jobs {

class JobViews {
 public:
  static constexpr std::chrono::milliseconds kTtl{5000};  // as long as api::kPrincipalCacheTtl
  static constexpr std::size_t kMaxViewBytes = 16 * 1024;
  static constexpr std::size_t kGenerationBytes = 8 * 1024 * 1024;

  using Ticket = std::uint64_t;

  explicit JobViews(std::chrono::milliseconds ttl = kTtl) : ttl_micros_(ttl.count() * 1000) {}

  // Take before reading the row that put() will store.
  Ticket ticket() const { return generation_.load(std::memory_order_acquire); }
  // Keeps the view of a finished job of tenant_id, unless invalidate() ran since the ticket was taken.
  void put(Ticket ticket, std::string_view tenant_id, std::string_view id, std::string view);
  // The view of job `id` if it is kept for this tenant and younger than kTtl.
  std::optional<std::string> find(std::string_view tenant_id, std::string_view id) const;
  // Forgets every view. Call after committing a change to a finished job (a retry, a deletion).
  void invalidate();

  std::size_t size() const;

 private:
  struct Entry {
    std::string tenant_id;
    std::string view;
    std::int64_t read_at;  // steady clock, microseconds
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  static std::int64_t now_micros();

  const std::int64_t ttl_micros_;
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> generation_{0};
  Map newer_, older_;
  std::size_t newer_bytes_ = 0;
};

}  // namespace tyto::jobs
