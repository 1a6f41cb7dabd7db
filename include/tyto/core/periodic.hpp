// A thread that runs a task now and then every `interval` until stopped. For housekeeping loops
// (event retention, schedules); the task's exceptions are logged and the loop goes on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tyto {

class PeriodicThread {
 public:
  PeriodicThread(std::string name, std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicThread();  // stops
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start();
  // Waits for a run in progress to end. Idempotent.
  void stop();

 private:
  void run();

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace tyto
