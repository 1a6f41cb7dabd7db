// The headless renderer (modules/browser): time to render a one-screen page with the pool warm
// (navigate, load, network idle, full-page screenshot, DOM snapshot, accessibility tree), one at a time,
// then renders per minute with every browser of the pool busy.
//   tyto_bench_browser URL [ROUNDS]
#include "tyto/browser/renderer.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace tyto;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void sequential(browser::Renderer& renderer, const browser::RenderRequest& request, int rounds, const char* what) {
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    renderer.render(request);
    times.push_back(ms_since(start));
  }
  std::sort(times.begin(), times.end());
  fmt::print("{:<44} median {:7.1f} ms   p90 {:7.1f} ms   min {:7.1f} ms   ({} renders)\n", what,
             times[times.size() / 2], times[times.size() * 9 / 10], times.front(), rounds);
}

void throughput(browser::Renderer& renderer, const browser::RenderRequest& request, std::chrono::seconds span) {
  std::atomic<int> done{0};
  const auto until = Clock::now() + span;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < renderer.pool_size(); ++t)
    threads.emplace_back([&] {
      while (Clock::now() < until) {
        renderer.render(request);
        ++done;
      }
    });
  for (auto& t : threads) t.join();
  const double seconds = ms_since(start) / 1000;
  fmt::print("{:<44} {:7.1f} renders/min ({} in {:.1f} s, {} browsers)\n", "throughput, every browser busy",
             done * 60 / seconds, done.load(), seconds, renderer.pool_size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: tyto_bench_browser URL [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
  const http::OutboundPolicy policy({"127.0.0.1/32"});
  browser::Renderer renderer({.pool_size = 2}, policy);
  const auto cold = Clock::now();
  renderer.warm_up();
  fmt::print("{:<44} {:7.1f} ms\n", "start 2 browsers (warm_up)", ms_since(cold));

  browser::RenderRequest request{.url = argv[1]};
  renderer.render(request);  // the first render of a browser pays for its first renderer process
  sequential(renderer, request, rounds, "render, network idle 500 ms (default)");
  browser::RenderRequest quick = request;
  quick.network_idle = std::chrono::milliseconds(0);
  sequential(renderer, quick, rounds, "render, no network-idle wait");
  browser::RenderRequest shot = quick;
  shot.dom = shot.accessibility = false;
  sequential(renderer, shot, rounds, "screenshot only, no network-idle wait");
  throughput(renderer, request, std::chrono::seconds(10));
  throughput(renderer, quick, std::chrono::seconds(10));
  return 0;
}
