// The accessibility auditor's core, end to end on one page with the browser pool warm: render (load, network
// idle, full-page screenshot, DOM snapshot) and axe-core with every rule, one scan at a time, then scans per
// minute with every browser busy. The scan's persistence (SQLite rows, evidence PNGs) is not in these figures.
//   tyto_bench_accessibility URL [ROUNDS]
#include "products/accessibility/axe.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace tyto;
using namespace tyto::products::accessibility;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One scan's browser work; returns the issues axe reported.
std::size_t scan(browser::Renderer& renderer, const browser::RenderRequest& request, const std::string& script,
                 bool capture) {
  auto page = renderer.open(request);
  if (capture) page->capture();
  const auto found = issues_from_axe(page->evaluate(script));
  return found.issues.size() + found.contrast_incomplete.size();  // as axe counts violations and incomplete
}

void sequential(browser::Renderer& renderer, const browser::RenderRequest& request, const std::string& script,
                bool capture, int rounds, const char* what) {
  std::vector<double> times;
  std::size_t issues = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    issues = scan(renderer, request, script, capture);
    times.push_back(ms_since(start));
  }
  std::sort(times.begin(), times.end());
  fmt::print("{:<52} median {:7.1f} ms   p90 {:7.1f} ms   min {:7.1f} ms   ({} scans, {} issues)\n", what,
             times[times.size() / 2], times[times.size() * 9 / 10], times.front(), rounds, issues);
}

void throughput(browser::Renderer& renderer, const browser::RenderRequest& request, const std::string& script,
                std::chrono::seconds span, const char* what) {
  std::atomic<int> done{0};
  const auto until = Clock::now() + span;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < renderer.pool_size(); ++t)
    threads.emplace_back([&] {
      while (Clock::now() < until) {
        scan(renderer, request, script, true);
        ++done;
      }
    });
  for (auto& t : threads) t.join();
  const double seconds = ms_since(start) / 1000;
  fmt::print("{:<52} {:7.1f} scans/min ({} in {:.1f} s, {} browsers)\n", what, done * 60 / seconds, done.load(),
             seconds, renderer.pool_size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: tyto_bench_accessibility URL [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
  const http::OutboundPolicy policy({"127.0.0.1/32"});
  browser::Renderer renderer({.pool_size = 2}, policy);
  renderer.warm_up();
  const std::string all = axe_run_script({});
  const std::string aa = axe_run_script({{"wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"}, {}});
  browser::RenderRequest request{.url = argv[1]};
  request.accessibility = false;                                   // as the scan asks
  for (int i = 0; i < 2; ++i) scan(renderer, request, all, true);  // each browser's first renderer process
  fmt::print("== Tyto (C++ over CDP), axe-core {}\n", axe_version());
  sequential(renderer, request, all, true, rounds, "scan: render + capture + axe (all rules), idle 500 ms");
  browser::RenderRequest quick = request;
  quick.network_idle = std::chrono::milliseconds(0);
  sequential(renderer, quick, all, true, rounds, "scan: render + capture + axe (all rules), no idle");
  sequential(renderer, quick, all, false, rounds, "load + axe (all rules), no capture");
  sequential(renderer, quick, aa, false, rounds, "load + axe (WCAG A/AA tags), no capture");
  throughput(renderer, request, all, std::chrono::seconds(10), "throughput: full scans, idle 500 ms");
  throughput(renderer, quick, all, std::chrono::seconds(10), "throughput: full scans, no idle");
  return 0;
}
