#include "detail/browser_pool.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <fmt/format.h>

namespace tyto::browser::detail {

BrowserPool::BrowserPool(ChromiumLaunch launch, int size, const http::OutboundPolicy& policy)
    : launch_(std::move(launch)), policy_(policy), slots_(static_cast<std::size_t>(std::max(1, size))) {}

BrowserPool::~BrowserPool() = default;

std::unique_ptr<Browser> BrowserPool::start() const {
  auto browser = std::make_unique<Browser>();
  browser->proxy = std::make_unique<GuardProxy>(policy_);
  ChromiumLaunch launch = launch_;
  // Every connection through the guard's proxy, loopback included (Chromium bypasses proxies for it by default).
  launch.extra_args.push_back(fmt::format("--proxy-server=socks5://127.0.0.1:{}", browser->proxy->port()));
  launch.extra_args.push_back("--proxy-bypass-list=<-loopback>");
  browser->process = std::make_unique<ChromiumProcess>(launch);
  browser->cdp = std::make_shared<CdpConnection>(browser->process->port(), browser->process->websocket_path(),
                                                 launch_.startup_timeout);
  return browser;
}

BrowserPool::Lease BrowserPool::acquire(std::chrono::steady_clock::time_point deadline) {
  int index = -1;
  std::unique_ptr<Browser> current;
  {
    std::unique_lock lock(mutex_);
    auto free_slot = [&] {
      int best = -1;
      for (std::size_t i = 0; i < slots_.size(); ++i)
        if (!slots_[i].busy && (best < 0 || slots_[i].released < slots_[best].released)) best = static_cast<int>(i);
      return best;
    };
    if (!freed_.wait_until(lock, deadline, [&] { return (index = free_slot()) >= 0; }))
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("every browser is busy ({} of {} in use)", slots_.size(), slots_.size()));
    slots_[index].busy = true;
    current = std::move(slots_[index].browser);
  }
  Lease lease(this, index);  // frees the slot again if starting a browser fails
  if (current && !current->healthy()) {
    log::warn("restarting a dead or hung browser", {{"pid", current->process->pid()}});
    current.reset();
    ++restarts_;
  }
  if (!current) current = start();
  std::lock_guard lock(mutex_);
  slots_[index].browser = std::move(current);
  return lease;
}

void BrowserPool::warm_up() {
  for (;;) {
    int index = -1;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < slots_.size() && index < 0; ++i)
        if (!slots_[i].busy && !slots_[i].browser) index = static_cast<int>(i);
      if (index < 0) return;
      slots_[index].busy = true;
    }
    Lease lease(this, index);
    auto browser = start();
    std::lock_guard lock(mutex_);
    slots_[index].browser = std::move(browser);
  }
}

std::vector<pid_t> BrowserPool::pids() {
  std::lock_guard lock(mutex_);
  std::vector<pid_t> out;
  for (auto& slot : slots_)
    if (slot.browser) out.push_back(slot.browser->process->pid());
  return out;
}

void BrowserPool::release(int index) {
  std::unique_ptr<Browser> doomed;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[index];
    if (slot.browser && slot.browser->broken) {
      doomed = std::move(slot.browser);
      ++restarts_;
    }
    slot.busy = false;
    slot.released = ++releases_;
  }
  freed_.notify_one();
  doomed.reset();  // kills the hung process outside the lock
}

BrowserPool::Lease::~Lease() {
  if (pool_) pool_->release(slot_);
}

Browser& BrowserPool::Lease::browser() const {
  std::lock_guard lock(pool_->mutex_);
  return *pool_->slots_[slot_].browser;
}

}  // namespace tyto::browser::detail
