// The one way jobs are submitted: the jobs routes, schedules, the personal-data export, the platform's
// housekeeping and every product go through a JobSubmitter, so quotas, the enqueue and the runner's
// wake-up happen the same way everywhere.
//
// submit() checks the tenant's quotas (jobs of internal pipelines are not counted), inserts the jobs
// in a transaction of its own and wakes the runner when one was created. Concurrent submit() and
// submit_async() calls share transactions (group commit): one committing thread of the submitter's own
// takes every call that arrived while its last commit was in flight into the next one, and each call is
// answered only after the commit that holds its jobs. A call whose jobs fail to insert
// fails alone; the others in its group are retried without it, each in its own transaction. A failed
// commit (whose outcome may be unknown) is not retried: every call in the group gets its error.
// Within a group, calls see each other as sequential calls in arrival order would: the second use of an
// Idempotency-Key replays the first, a unique_key taken by an earlier call conflicts. Quotas are checked
// by the committing thread with the group's earlier calls counted, so one instance never overshoots
// them; several instances on one database may, by the calls each has in flight.
//
// submit_in() enqueues inside the caller's write transaction (a product that records its own row and
// the job that processes it atomically); the caller commits the returned events with the transaction
// (Events::commit) and calls wake() after the commit.
//
// Thread-safety: every method may be called from any thread; all but submit_async() and queued() block on
// the database, so not from an HTTP I/O thread.
#pragma once

#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tyto::jobs {

class JobSubmitter {
 public:
  // Throws Error(kQuotaExceeded) when `tenant` may not submit `n` more jobs now. Empty: no quotas.
  using Admission = std::function<void(const std::string& tenant, std::size_t n)>;
  using WakeFn = std::function<void()>;

  // Everything passed in must outlive the submitter.
  JobSubmitter(JobStore& store, const Runner::Pipelines& pipelines, Admission admission, WakeFn wake);
  ~JobSubmitter();
  JobSubmitter(const JobSubmitter&) = delete;
  JobSubmitter& operator=(const JobSubmitter&) = delete;

  // A spec for the current version of `pipeline`. Throws Error(kNotFound) for an unknown pipeline.
  JobSpec spec(std::string_view pipeline, std::string tenant_id, nlohmann::json input) const;

  // Quota, enqueue (group-committed with concurrent calls), wake. One result per spec, in order.
  // Throws Error(kQuotaExceeded), or the storage error of its own specs.
  std::vector<EnqueueResult> submit(const std::vector<JobSpec>& specs);
  EnqueueResult submit(const JobSpec& spec);

  // As submit(), without waiting: `done` gets the results (error empty) or the error submit() would throw,
  // once, on the submitter's committing thread after the commit. It must be quick and must not block (it
  // holds up the next group): hand the outcome to another thread. For an HTTP handler answering from an
  // I/O thread (POST /api/v1/jobs).
  using Done = std::function<void(std::vector<EnqueueResult> results, std::exception_ptr error)>;
  void submit_async(std::vector<JobSpec> specs, Done done);

  // Quota and enqueue inside the caller's write transaction; the "queued" events go to `pending`. Call
  // wake() once the transaction committed.
  std::vector<EnqueueResult> submit_in(storage::Session& tx, const std::vector<JobSpec>& specs,
                                       std::vector<events::NewEvent>& pending);
  void wake();

  // Calls waiting for the commit after the one in flight (for tests and metrics).
  std::size_t queued() const;

  const Runner::Pipelines& pipelines() const noexcept { return pipelines_; }

 private:
  class Group;
  JobStore& store_;
  const Runner::Pipelines& pipelines_;
  Admission admission_;
  WakeFn wake_;
  std::unique_ptr<Group> group_;
};

}  // namespace tyto::jobs
