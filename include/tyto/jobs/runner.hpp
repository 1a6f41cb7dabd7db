// The in-process job runner: claims jobs from the queue and runs their pipelines on its own
// thread pool, separate from the HTTP I/O threads and the blocking pool.
//
// One dispatcher thread claims (as many jobs as there are free workers), applies finished
// attempts in batches, rescues expired leases and fires schedules; one watchdog thread renews
// leases, applies timeouts and picks up cancel requests. A local enqueue wakes the dispatcher at
// once (wake()); on PostgreSQL, NOTIFY tyto_jobs wakes every instance; a slow poll is the fallback.
//
// Pipelines run stage by stage. Each finished stage's output is saved (with a stage_finished
// event), so a retried attempt skips the stages that already finished. A stage that throws
// StageError(retryable) or any other exception is retried with exponential backoff and jitter
// until max_attempts; StageError(permanent) fails the job at once. Timeouts and cancellation are
// cooperative: the job's token is cancelled and the stage is expected to notice.
//
// Shutdown (stop): stop claiming, let running jobs finish until the deadline, then cancel them and
// release their leases (back to queued, the attempt not counted) for another instance or the next
// start.
#pragma once

#include "tyto/core/backoff.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace tyto::metrics {
class Registry;
}

namespace tyto::jobs {

struct RunnerOptions {
  int workers = 0;    // 0: one per core
  int prefetch = 64;  // jobs claimed ahead of free workers, so one claim serves many short jobs
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds heartbeat_interval{10'000};
  std::chrono::milliseconds poll_interval{1'000};  // fallback when no wake-up arrives
  std::chrono::milliseconds rescue_interval{5'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  BackoffPolicy backoff;
  std::map<std::string, int> pipeline_concurrency;  // pipeline → most jobs running at once (all instances)
  int tenant_concurrency = 0;                       // most jobs running at once per tenant (all instances); 0: no limit
  std::string owner;                                // lease owner id; default: a new UUIDv7 per process
  // Makes a running job's StageContext::artifacts() (on first use, on the job's thread). Empty: stages
  // that ask for artifacts fail.
  std::function<std::unique_ptr<pipeline::Artifacts>(const Job&)> artifacts;
};

class Runner {
 public:
  using Pipelines = std::map<std::string, pipeline::Pipeline, std::less<>>;

  // Everything passed in must outlive the runner.
  Runner(RunnerOptions options, JobStore& store, const Pipelines& pipelines, metrics::Registry& registry);
  ~Runner();

  void start();
  void stop();

  // Something was enqueued: claim now rather than at the next poll.
  void wake();

  // A cancel was requested for a job that may run here: cancel its token now.
  void cancel_local(const std::string& job_id);

  const std::string& owner() const;
  int running() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::jobs
