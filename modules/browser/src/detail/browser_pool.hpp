// The supervised pool of Chromium processes: a fixed number of slots, each holding at most one running
// browser, each lent to one caller at a time.
//
// A browser is started when a slot is first lent (or by warm_up), and replaced when it is lent next
// after it died (crash, killed) or was marked broken (a command it did not answer: a hung browser).
// A broken browser is killed as soon as its lease ends, so a hung process never lingers.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include "detail/cdp_connection.hpp"
#include "detail/chromium_process.hpp"
#include "detail/guard_proxy.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace tyto::browser::detail {

struct Browser {
  std::unique_ptr<GuardProxy> proxy;  // every connection of this browser goes through it
  std::unique_ptr<ChromiumProcess> process;
  std::shared_ptr<CdpConnection> cdp;  // shared with guard tasks still running for a page
  std::atomic<bool> broken{false};

  bool healthy() { return !broken && cdp->open() && process->running(); }
};

class BrowserPool {
 public:
  // The policy must outlive the pool.
  BrowserPool(ChromiumLaunch launch, int size, const http::OutboundPolicy& policy);
  ~BrowserPool();

  class Lease {
   public:
    Lease(BrowserPool* pool, int slot) : pool_(pool), slot_(slot) {}
    Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Browser& browser() const;

   private:
    BrowserPool* pool_;
    int slot_;
  };

  // Waits until a slot is free (Error(kUnavailable) "every browser is busy" at the deadline), then
  // returns it with a healthy browser, starting one if needed (Error(kUnavailable) if Chromium fails).
  Lease acquire(std::chrono::steady_clock::time_point deadline);
  // Starts a browser in every free slot that has none.
  void warm_up();
  int size() const noexcept { return static_cast<int>(slots_.size()); }
  // The main process of each running browser (tests kill them to prove the restart).
  std::vector<pid_t> pids();
  // Browsers replaced because they died or hung.
  int restarts() const noexcept { return restarts_; }

 private:
  struct Slot {
    std::unique_ptr<Browser> browser;
    bool busy = false;
  };
  void release(int slot);
  std::unique_ptr<Browser> start() const;

  const ChromiumLaunch launch_;
  const http::OutboundPolicy& policy_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<Slot> slots_;  // guarded by mutex_ (a busy slot's browser belongs to its lease)
  std::atomic<int> restarts_{0};
};

}  // namespace tyto::browser::detail
