// Detector latency per frame and per model on this machine: each model of a models file (the registry loads
// and self-tests it) on a 1280x720 frame, one call at a time after a warm-up, then two callers at once.
// Measures; never asserts. Usage: tyto_bench_detect MODELS_JSON MODELS_DIR FRAME_IMAGE [ROUNDS]
#include "tyto/vision/image.hpp"
#include "tyto/vision/models.hpp"
#include "tyto/vision/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace tyto::vision;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

void bench(const std::string& name, Detector& detector, const Image& frame, int rounds) {
  for (int i = 0; i < 2; ++i) detector.detect(frame);  // warm-up: first-call allocations, lazy init
  std::vector<double> times;
  std::size_t found = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto start = clock_type::now();
    found = detector.detect(frame).size();
    times.push_back(ms_since(start));
  }
  // Two callers at once: the registry's detectors serialise their forward pass; preprocessing overlaps.
  const auto start = clock_type::now();
  auto other = std::async(std::launch::async, [&] {
    for (int i = 0; i < rounds; ++i) detector.detect(frame);
  });
  for (int i = 0; i < rounds; ++i) detector.detect(frame);
  other.get();
  const double pair_fps = 2.0 * rounds / (ms_since(start) / 1000.0);
  fmt::print("{:<14} {:<12} p50 {:8.1f} ms  p95 {:8.1f} ms  ({:5.1f} fps one caller, {:5.1f} fps two)  {} found\n",
             name, detector.kind(), percentile(times, 0.5), percentile(times, 0.95), 1000.0 / percentile(times, 0.5),
             pair_fps, found);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: tyto_bench_detect MODELS_JSON MODELS_DIR FRAME_IMAGE [ROUNDS]\n";
    return 2;
  }
  const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 20;
  std::ifstream in(argv[3], std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  Image frame = decode(bytes.str());
  if (frame.width != 1280 || frame.height != 720) frame = resize(frame, 1280, 720);
  const auto load_start = clock_type::now();
  ModelRegistry registry({argv[1], argv[2], std::chrono::milliseconds(0)});
  fmt::print("registry loaded and self-tested in {:.0f} ms; frame 1280x720, {} rounds\n", ms_since(load_start), rounds);
  for (const auto& info : registry.list()) {
    if (info.state != "ok") {
      fmt::print("{:<14} not measured: {}\n", info.spec.name, info.error);
      continue;
    }
    bench(info.spec.name, *registry.get(info.spec.name), frame, rounds);
  }
  return 0;
}
