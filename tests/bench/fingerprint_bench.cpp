// Image fingerprints: hashes per second on real JPEGs (decode included), and Hamming search over
// 1,000,000 random 64-bit hashes (radius 8 and 10-nearest, per-query p50/p99).
//
//   build/tests/bench/tyto_bench_fingerprint [ROUNDS] FILE.jpg…
#include "tyto/fingerprint/hamming_index.hpp"
#include "tyto/fingerprint/image_hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include <time.h>

using namespace tyto::fingerprint;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// CPU time of this thread: under a busy machine it leaves out the time other processes had the core.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void bench_hashes(int rounds, const std::vector<std::string>& files) {
  std::vector<std::string> bytes;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    bytes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::uint64_t sink = 0;
  auto t = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& b : bytes) {
      const auto gray = to_luma(decode_image(b));
      sink += average_hash(gray) ^ difference_hash(gray) ^ perceptual_hash(gray);
    }
  const double three = seconds_since(t);
  t = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& b : bytes) sink += hash_image(decode_image(b)).pdq.words[0];
  const double all = seconds_since(t);
  t = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& b : bytes) {
      const auto gray = to_luma(decode_image(b, {.min_side = 0}));
      sink += average_hash(gray) ^ difference_hash(gray) ^ perceptual_hash(gray);
    }
  const double full = seconds_since(t);
  // The server hashes on its job pool, one image per thread: the same on every core.
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  t = Clock::now();
  std::vector<std::thread> pool;
  std::atomic<std::uint64_t> shared_sink{0};
  for (unsigned w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      std::uint64_t local = 0;
      for (int r = 0; r < rounds; ++r)
        for (std::size_t i = w; i < bytes.size(); i += threads) {
          const auto gray = to_luma(decode_image(bytes[i]));
          local += average_hash(gray) ^ difference_hash(gray) ^ perceptual_hash(gray);
        }
      shared_sink += local;
    });
  for (auto& th : pool) th.join();
  const double parallel = seconds_since(t);
  sink += shared_sink;
  const double n = static_cast<double>(rounds) * bytes.size();
  fmt::print("== image hashes, {} JPEGs x {} rounds, one thread, decode included (checksum {:x})\n", bytes.size(),
             rounds, sink & 0xff);
  fmt::print("aHash+dHash+pHash, scaled decode: {:.0f} images/s\n", n / three);
  fmt::print("aHash+dHash+pHash, full-size decode (bit-exact with imagehash): {:.0f} images/s\n", n / full);
  fmt::print("all (aHash, dHash, pHash, PDQ, colour), scaled decode: {:.0f} images/s\n", n / all);
  fmt::print("aHash+dHash+pHash, scaled decode, {} threads: {:.0f} images/s\n", threads, n / parallel);
}

void bench_search() {
  constexpr std::size_t kSize = 1'000'000;
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> hashes(kSize);
  for (auto& h : hashes) h = rng();
  auto t = Clock::now();
  MultiIndexHash64 index;
  for (std::uint32_t i = 0; i < kSize; ++i) index.set(i, hashes[i]);
  index.compact();
  fmt::print("== Hamming search over {} random 64-bit hashes (index built in {:.2f} s)\n", kSize, seconds_since(t));
  auto near = [&] {  // a stored hash with 0..8 bits flipped: queries that have an answer
    std::uint64_t q = hashes[rng() % kSize];
    for (int b = static_cast<int>(rng() % 9); b > 0; --b) q ^= 1ull << (rng() % 64);
    return q;
  };
  std::vector<double> radius_ms, knn_ms, radius_cpu, knn_cpu;
  std::size_t found = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t q = i % 2 ? rng() : near();
    t = Clock::now();
    const double c = thread_cpu_ms();
    found += index.within(q, 8).size();
    radius_cpu.push_back(thread_cpu_ms() - c);
    radius_ms.push_back(seconds_since(t) * 1e3);
  }
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t q = i % 2 ? rng() : near();
    t = Clock::now();
    const double c = thread_cpu_ms();
    found += index.nearest(q, 10).size();
    knn_cpu.push_back(thread_cpu_ms() - c);
    knn_ms.push_back(seconds_since(t) * 1e3);
  }
  fmt::print(
      "radius 8 (10,000 queries, half near a stored hash): wall p50 {:.4f} ms, p99 {:.4f} ms; thread CPU p50 "
      "{:.4f} ms, p99 {:.4f} ms\n",
      percentile(radius_ms, 0.5), percentile(radius_ms, 0.99), percentile(radius_cpu, 0.5),
      percentile(radius_cpu, 0.99));
  fmt::print(
      "10-nearest (1,000 queries): wall p50 {:.3f} ms, p99 {:.3f} ms; thread CPU p50 {:.3f} ms, p99 {:.3f} ms "
      "(results {})\n",
      percentile(knn_ms, 0.5), percentile(knn_ms, 0.99), percentile(knn_cpu, 0.5), percentile(knn_cpu, 0.99), found);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (i == 1 && std::all_of(argv[i], argv[i] + std::char_traits<char>::length(argv[i]), ::isdigit))
      rounds = std::stoi(argv[i]);
    else
      files.emplace_back(argv[i]);
  }
  if (!files.empty()) bench_hashes(rounds, files);
  bench_search();
}
