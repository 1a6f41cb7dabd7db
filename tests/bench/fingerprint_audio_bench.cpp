// Lookup latency of the audio index (issue "modules/fingerprint — audio"):
//   tyto_bench_fingerprint_audio INDEX_FILE QUERY…
// Loads an index made by `tyto fingerprint index`, fingerprints each query file once (not timed), then times
// AudioIndex::lookup over every query many times, and once end to end (decode + fingerprint + lookup).
#include "tyto/fingerprint/audio.hpp"
#include "tyto/fingerprint/audio_match.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace tyto::fingerprint;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} INDEX_FILE QUERY…\n", argv[0]);
    return 2;
  }
  auto t = Clock::now();
  const auto index = AudioIndex::load(argv[1]);
  fmt::print("index: {} tracks, {:.2f} h of audio, loaded (with its inverted index) in {:.0f} ms\n", index.size(),
             index.total_seconds() / 3600, ms_since(t));
  std::vector<std::vector<std::uint32_t>> queries;
  std::vector<double> end_to_end;
  int found = 0;
  for (int i = 2; i < argc; ++i) {
    t = Clock::now();
    auto fp = fingerprint_file(argv[i]);
    found += index.lookup(fp.raw).has_value();
    end_to_end.push_back(ms_since(t));
    queries.push_back(std::move(fp.raw));
  }
  std::vector<double> lookups;
  for (int round = 0; round < 50; ++round) {
    for (const auto& q : queries) {
      t = Clock::now();
      const auto m = index.lookup(q);
      lookups.push_back(ms_since(t));
      (void)m;
    }
  }
  fmt::print("lookup of a {}-query set ({} found), {} lookups: p50 {:.3f} ms, p95 {:.3f} ms, p99 {:.3f} ms\n",
             queries.size(), found, lookups.size(), percentile(lookups, 0.5), percentile(lookups, 0.95),
             percentile(lookups, 0.99));
  fmt::print("end to end (decode + fingerprint + lookup) per query: p50 {:.1f} ms, max {:.1f} ms\n",
             percentile(end_to_end, 0.5), percentile(end_to_end, 1.0));
}
