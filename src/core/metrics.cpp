#include "tyto/core/metrics.hpp"

#include "tyto/core/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

namespace tyto::metrics {
namespace {

void append_number(std::string& out, double v) {
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out.append(names[i]);
    out.append("=\"");
    append_label_value(out, values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out.append(extra_name);
    out.append("=\"");
    out.append(extra_value);
    out.push_back('"');
  }
  out.push_back('}');
}

void append_header(std::string& out, const std::string& name, const std::string& help, std::string_view type) {
  out.append("# HELP ").append(name).push_back(' ');
  for (char c : help) {
    if (c == '\\')
      out.append("\\\\");
    else if (c == '\n')
      out.append("\\n");
    else
      out.push_back(c);
  }
  out.append("\n# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

template <class M>
void render_simple(std::string& out, const std::string& name, const Family<M>& family) {
  family.for_each([&](const std::vector<std::string>& labels, const M& m) {
    out.append(name);
    append_labels(out, family.label_names(), labels);
    out.push_back(' ');
    append_number(out, m.value());
    out.push_back('\n');
  });
}

void render_histograms(std::string& out, const std::string& name, const Family<Histogram>& family) {
  family.for_each([&](const std::vector<std::string>& labels, const Histogram& h) {
    const auto counts = h.cumulative_counts();
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::string le = "+Inf";
      if (i < h.bounds().size()) {
        char buf[48];
        auto r = std::to_chars(buf, buf + sizeof buf, h.bounds()[i], std::chars_format::fixed);
        le.assign(buf, r.ptr);
        if (le.find('.') != std::string::npos) {
          while (le.back() == '0') le.pop_back();
          if (le.back() == '.') le.pop_back();
        }
      }
      out.append(name).append("_bucket");
      append_labels(out, family.label_names(), labels, "le", le);
      out.push_back(' ');
      out.append(std::to_string(counts[i])).push_back('\n');
    }
    out.append(name).append("_sum");
    append_labels(out, family.label_names(), labels);
    out.push_back(' ');
    append_number(out, h.sum());
    out.append("\n").append(name).append("_count");
    append_labels(out, family.label_names(), labels);
    out.push_back(' ');
    out.append(std::to_string(h.count())).push_back('\n');
  });
}

std::int64_t count_open_fds() {
  std::error_code ec;
  std::int64_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    ++n;
  }
  return n > 0 ? n - 1 : 0;  // the directory iterator's own descriptor
}

double process_start_time_seconds() {
  // Field 22 of /proc/self/stat is the start time in clock ticks after boot.
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = content.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  const double ticks = std::strtod(field.c_str(), nullptr);
  std::ifstream uptime_file("/proc/uptime");
  double uptime = 0;
  uptime_file >> uptime;
  const double boot = static_cast<double>(std::time(nullptr)) - uptime;
  return boot + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) noexcept {
  const auto idx = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[idx].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> default_latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Entry* Registry::find(const std::string& name) {
  for (auto& e : entries_) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  if (Entry* e = find(name); e && e->counters) return *e->counters;
  auto e = std::make_unique<Entry>(Entry{std::move(name), std::move(help), Kind::kCounter, {}, {}, {}});
  e->counters = std::make_unique<Family<Counter>>(std::move(labels), [] { return std::make_unique<Counter>(); });
  entries_.push_back(std::move(e));
  return *entries_.back()->counters;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  if (Entry* e = find(name); e && e->gauges) return *e->gauges;
  auto e = std::make_unique<Entry>(Entry{std::move(name), std::move(help), Kind::kGauge, {}, {}, {}});
  e->gauges = std::make_unique<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
  entries_.push_back(std::move(e));
  return *entries_.back()->gauges;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  if (Entry* e = find(name); e && e->histograms) return *e->histograms;
  auto e = std::make_unique<Entry>(Entry{std::move(name), std::move(help), Kind::kHistogram, {}, {}, {}});
  e->histograms = std::make_unique<Family<Histogram>>(
      std::move(labels), [buckets = std::move(buckets)] { return std::make_unique<Histogram>(buckets); });
  entries_.push_back(std::move(e));
  return *entries_.back()->histograms;
}

void Registry::add_collector(std::function<void(std::string&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    switch (e->kind) {
      case Kind::kCounter:
        append_header(out, e->name, e->help, "counter");
        render_simple(out, e->name, *e->counters);
        break;
      case Kind::kGauge:
        append_header(out, e->name, e->help, "gauge");
        render_simple(out, e->name, *e->gauges);
        break;
      case Kind::kHistogram:
        append_header(out, e->name, e->help, "histogram");
        render_histograms(out, e->name, *e->histograms);
        break;
    }
  }
  for (const auto& c : collectors_) c(out);
  return out;
}

void add_process_collector(Registry& registry) {
  const double start_time = process_start_time_seconds();
  registry.add_collector([start_time](std::string& out) {
    long pages_total = 0, pages_resident = 0;
    if (std::ifstream statm("/proc/self/statm"); statm) statm >> pages_total >> pages_resident;
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    rlimit fds{};
    getrlimit(RLIMIT_NOFILE, &fds);
    const auto& build = build_info();
    out += fmt::format(
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
        "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}\n"
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}\n"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\nprocess_open_fds {}\n"
        "# HELP process_max_fds Maximum number of open file descriptors.\n"
        "# TYPE process_max_fds gauge\nprocess_max_fds {}\n"
        "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {:.2f}\n"
        "# HELP tyto_build_info Build facts of this binary; the value is always 1.\n"
        "# TYPE tyto_build_info gauge\n",
        static_cast<double>(pages_resident) * page, static_cast<double>(pages_total) * page, cpu, count_open_fds(),
        static_cast<double>(fds.rlim_cur), start_time);
    out += "tyto_build_info{version=\"";
    append_label_value(out, build.version);
    out += "\",commit=\"";
    append_label_value(out, build.commit);
    out += "\",compiler=\"";
    append_label_value(out, build.compiler);
    out += "\",build_type=\"";
    append_label_value(out, build.build_type);
    out += "\"} 1\n";
  });
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out.append("\\\\");
    else if (c == '"')
      out.append("\\\"");
    else if (c == '\n')
      out.append("\\n");
    else
      out.push_back(c);
  }
}

}  // namespace tyto::metrics
