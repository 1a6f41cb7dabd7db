// In-process job queue benchmark: no-op jobs per second end to end (enqueued in batches straight
// through JobStore), and enqueue-to-start latency on an idle runner.
//
//   build/tests/bench/tyto_bench_jobs sqlite:/tmp/bench.db [jobs]
//   build/tests/bench/tyto_bench_jobs postgres://… [jobs]
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/modules/builtin.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/storage/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <thread>

using namespace tyto;
using Clock = std::chrono::steady_clock;

namespace {

// The latency probe: a stage that records when a job actually begins to run.
std::mutex g_mark_mutex;
std::condition_variable g_mark_cv;
std::optional<Clock::time_point> g_mark;

nlohmann::json mark(pipeline::StageContext&, const nlohmann::json&) {
  std::lock_guard lock(g_mark_mutex);
  g_mark = Clock::now();
  g_mark_cv.notify_all();
  return nlohmann::json::object();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Jobs finished so far, counted by an on_finish subscriber: waiting on it costs the queue nothing, where
// polling the depth query every few milliseconds took a quarter of the CPU from what it measures.
std::mutex g_done_mutex;
std::condition_variable g_done_cv;
std::int64_t g_done = 0;

std::int64_t unfinished(jobs::JobStore& store) {
  std::int64_t n = 0;
  for (const auto& [state, pipeline, count] : store.depth()) n += count;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tyto_bench_jobs DATABASE_URL [JOBS]\n";
    return 2;
  }
  const int total = argc > 2 ? std::stoi(argv[2]) : 20000;
  log::set_level(log::Level::kWarn);
  auto db = storage::open_database({argv[1], 8});
  storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
  db->execute("DELETE FROM events");
  db->execute("DELETE FROM job_stages");
  db->execute("DELETE FROM jobs");

  metrics::Registry registry;
  pipeline::StageRegistry stages;
  modules::BuiltinModule().register_stages(stages);
  jobs::Runner::Pipelines pipelines;
  auto noop = pipeline::parse_pipeline(
      {{"name", "builtin.noop"}, {"version", 1}, {"stages", {{{"id", "noop"}, {"stage", "builtin.noop"}}}}}, stages,
      "bench");
  pipelines.emplace(noop.name, noop);
  stages.add({"bench.mark", "records when it runs", nlohmann::json::object(), nlohmann::json::object(), mark});
  auto probe = pipeline::parse_pipeline(
      {{"name", "bench.mark"}, {"version", 1}, {"stages", {{{"id", "mark"}, {"stage", "bench.mark"}}}}}, stages,
      "bench");
  pipelines.emplace(probe.name, probe);
  events::Events events(*db, registry);
  events.start();
  jobs::JobStore store(*db, events);
  store.on_finish([](storage::Session&, const std::vector<jobs::FinishedJob>& finished, auto&) {
    std::lock_guard lock(g_done_mutex);
    g_done += static_cast<std::int64_t>(finished.size());
    g_done_cv.notify_all();
  });
  jobs::RunnerOptions options;
  jobs::Runner runner(options, store, pipelines, registry);
  runner.start();

  // Throughput: enqueue everything in batches of 1,000, then wait for the queue to drain.
  const auto start = Clock::now();
  for (int done = 0; done < total;) {
    std::vector<jobs::JobSpec> batch;
    for (int i = 0; i < 1000 && done < total; ++i, ++done)
      batch.push_back({"default", "builtin.noop", 1, nlohmann::json::object()});
    store.enqueue(batch);
    runner.wake();
  }
  const double enqueue_s = std::chrono::duration<double>(Clock::now() - start).count();
  {
    std::unique_lock lock(g_done_mutex);
    g_done_cv.wait(lock, [&] { return g_done >= total; });
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  // The hook runs just before each finish commits: the depth query confirms that they all did.
  while (unfinished(store) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  fmt::print("== {} no-op jobs in-process on {}: enqueue {:.2f} s, all finished after {:.2f} s: {:.0f} jobs/s\n", total,
             storage::dialect_name(db->dialect()), enqueue_s, total_s, total / total_s);

  // Latency: one job at a time on an idle runner, from enqueue() returning (committed) to its stage
  // beginning to run on a job thread.
  std::vector<double> latencies_ms;
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(g_mark_mutex);
      g_mark.reset();
    }
    store.enqueue({jobs::JobSpec{"default", "bench.mark", 1, nlohmann::json::object()}});
    const auto t0 = Clock::now();
    runner.wake();
    std::unique_lock lock(g_mark_mutex);
    if (!g_mark_cv.wait_for(lock, std::chrono::seconds(5), [] { return g_mark.has_value(); })) {
      std::cerr << "a probe job did not start within 5 s\n";
      return 1;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(*g_mark - t0).count());
    lock.unlock();
    while (unfinished(store) > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  fmt::print("== enqueue-to-start on an idle runner ({} jobs): p50 {:.3f} ms, p99 {:.3f} ms\n", latencies_ms.size(),
             percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99));
  runner.stop();
  events.stop();
  return 0;
}
