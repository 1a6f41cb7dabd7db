// The supervised pool of Chromium processes: a fixed number of slots, each holding at most one running
// browser, each lent to one caller at a time.
//
// The slot free for the longest time is lent first, which gives its browser the most time to prepare the
// next page (Browser::spare). A browser is started when a slot is first lent (or by warm_up), and replaced when it is
// lent next after it died (crash, killed) or was marked broken (a command it did not answer: a hung browser). A broken
// browser is killed as soon as its lease ends, so a hung process never lingers.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include "detail/cdp_connection.hpp"
#include "detail/chromium_process.hpp"
#include "detail/guard_proxy.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

namespace tyto::browser::detail {

// A fresh browser context with one blank page, attached, its events subscribed and the guard on, whose
// renderer process already answers: what a render starts from.
struct PreparedPage {
  std::string context_id;
  std::string session;
  std::shared_ptr<PageState> state;
};

// Prepares a page in a new context (page.cpp). Throws like CdpConnection::call.
PreparedPage prepare_page(const std::shared_ptr<CdpConnection>& cdp, Guard guard, std::chrono::milliseconds timeout);

struct Browser {
  std::unique_ptr<GuardProxy> proxy;  // every connection of this browser goes through it
  std::unique_ptr<ChromiumProcess> process;
  std::shared_ptr<CdpConnection> cdp;  // shared with guard tasks still running for a page
  std::atomic<bool> broken{false};
  // The next render's page, prepared in the background after the last one ended (touched only by the lease
  // holder). Declared last, so that destroying the browser waits for it before the connection closes.
  std::future<PreparedPage> spare;

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
    std::uint64_t released = 0;  // when it was last released (a counter): the longest-free goes first
  };
  void release(int slot);
  std::unique_ptr<Browser> start() const;

  const ChromiumLaunch launch_;
  const http::OutboundPolicy& policy_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<Slot> slots_;  // guarded by mutex_ (a busy slot's browser belongs to its lease)
  std::atomic<int> restarts_{0};
  std::uint64_t releases_ = 0;  // guarded by mutex_
};

}  // namespace tyto::browser::detail
