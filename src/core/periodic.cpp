#include "tyto/core/periodic.hpp"

#include "tyto/core/logging.hpp"

namespace tyto {

PeriodicThread::PeriodicThread(std::string name, std::chrono::milliseconds interval, std::function<void()> task)
    : name_(std::move(name)), interval_(interval), task_(std::move(task)) {}

PeriodicThread::~PeriodicThread() { stop(); }

void PeriodicThread::start() {
  thread_ = std::thread([this] { run(); });
}

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      task_();
    } catch (const std::exception& e) {
      log::warn("periodic task failed; it runs again next time", {{"task", name_}, {"error", e.what()}});
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [&] { return stop_; });
  }
}

}  // namespace tyto
