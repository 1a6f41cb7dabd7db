// PDF and CSV export of the captures product's measurement sheets (src/products/captures/sheet): time per sheet
// (p50, p95) and sheets per second on one thread and on every core. Usage:
//   tyto_bench_captures_sheet [SECONDS] [--write DIR]   (DIR: also write the sheets measured, to look at)
#include "products/captures/sheet/sheet.hpp"
#include "products/captures_sheet/sample_sheet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace tyto::captures;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

// One thread: each export timed on its own.
template <class F>
void measure_one_thread(const std::string& name, double seconds, F render) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i < 3; ++i) bytes = render().size();  // warm the fonts and caches
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds || ms.size() < 20) {
    const auto t0 = Clock::now();
    bytes = render().size();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{:<44} 1 thread   p50 {:8.2f} ms  p95 {:8.2f} ms  {:8.1f} sheets/s  ({} sheets, {} bytes each)\n", name,
             percentile(ms, 0.5), percentile(ms, 0.95), ms.size() / total, ms.size(), bytes);
}

// Every core: throughput only.
template <class F>
void measure_all_threads(const std::string& name, double seconds, F render) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> done{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
        render();
        ++done;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{:<44} {} threads  {:8.1f} sheets/s  ({} sheets)\n", name, threads, done / total, done.load());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--write" && i + 1 < argc) {
      write_dir = argv[++i];
    } else {
      seconds = std::stod(arg);
    }
  }
  // A typical sheet: 20 measurements, 12 edits, front and side masks of 720 × 1280 at 0.6 px/mm (a person
  // 1,750 mm tall is 1,050 px); and a long one: 40 measurements, 60 edits, the same masks.
  Sheet typical = test::sample_sheet(20, 12, false);
  typical.front = test::person_silhouette(true, 0.6, 720, 1280, 100, 1150);
  typical.side = test::person_silhouette(false, 0.6, 720, 1280, 100, 1150);
  Sheet long_sheet = test::sample_sheet(40, 60, false);
  long_sheet.front = typical.front;
  long_sheet.side = typical.side;
  const Sheet bare = test::sample_sheet(20, 12, false);

  if (!write_dir.empty()) {
    std::ofstream(write_dir + "/typical.pdf", std::ios::binary) << render_pdf(typical);
    std::ofstream(write_dir + "/long.pdf", std::ios::binary) << render_pdf(long_sheet);
    std::ofstream(write_dir + "/typical.csv", std::ios::binary) << render_csv(typical);
  }

  fmt::print("== captures: measurement sheet export ({} s a figure)\n", seconds);
  measure_one_thread("PDF, 20 measurements, 12 edits, 2 masks", seconds, [&] { return render_pdf(typical); });
  measure_all_threads("PDF, 20 measurements, 12 edits, 2 masks", seconds, [&] { return render_pdf(typical); });
  measure_one_thread("PDF, 20 measurements, 12 edits, no masks", seconds, [&] { return render_pdf(bare); });
  measure_one_thread("PDF, 40 measurements, 60 edits, 2 masks", seconds, [&] { return render_pdf(long_sheet); });
  measure_one_thread("CSV, 20 measurements", seconds / 3, [&] { return render_csv(typical); });
  return 0;
}
