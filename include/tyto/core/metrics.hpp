// Metrics in the Prometheus text exposition format (version 0.0.4).
//
// A Registry owns metric families; a family owns one metric per distinct set of label values.
// Updating a metric is lock-free (atomics); looking one up by labels takes a shared lock, so hot
// paths look a metric up once and keep the reference, which stays valid for the registry's life.
//
//   auto& requests = registry.counter("tyto_http_requests_total", "HTTP requests", {"route", "status"});
//   requests.with({"/health", "200"}).inc();
//
// Collectors are callbacks run at scrape time for values read from elsewhere (process RSS, queue
// depth); they append complete exposition lines.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::metrics {

class Counter {
 public:
  void inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) noexcept { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // ascending; +Inf is implicit
  void observe(double v) noexcept;

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  std::vector<std::uint64_t> cumulative_counts() const;  // one per bound, then +Inf
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

// Latency buckets in seconds, from 100 µs to 10 s.
std::vector<double> default_latency_buckets();

enum class Kind { kCounter, kGauge, kHistogram };

template <class M>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<M>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  // The metric for these label values (one per label name, in order), created on first use.
  M& with(std::initializer_list<std::string_view> values) {
    std::vector<std::string> key(values.begin(), values.end());
    {
      std::shared_lock lock(mutex_);
      if (auto it = metrics_.find(key); it != metrics_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    auto& slot = metrics_[std::move(key)];
    if (!slot) slot = make_();
    return *slot;
  }

  const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  template <class Fn>
  void for_each(Fn&& fn) const {
    std::shared_lock lock(mutex_);
    for (const auto& [labels, metric] : metrics_) fn(labels, *metric);
  }

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<M>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> metrics_;  // guarded by mutex_
};

class Registry {
 public:
  // Registering a name twice returns the first family (the kinds and labels must match).
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> buckets = default_latency_buckets());

  void add_collector(std::function<void(std::string& out)> collector);

  // The whole exposition, families in registration order, then collectors.
  std::string render() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    Kind kind;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  Entry* find(const std::string& name);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;                // guarded by mutex_
  std::vector<std::function<void(std::string&)>> collectors_;  // guarded by mutex_
};

// Adds process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
// process_open_fds, process_max_fds, process_start_time_seconds and tyto_build_info.
void add_process_collector(Registry& registry);

// Appends a label value escaped for the exposition format.
void append_label_value(std::string& out, std::string_view value);

}  // namespace tyto::metrics
