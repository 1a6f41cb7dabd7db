// The durable job queue: every state change of a job is one SQL statement in one transaction,
// with the job's events appended in the same transaction (see events/events.hpp).
//
// States: queued → running → succeeded | failed | cancelled; running → queued again on a retry, a
// rescue (lease expired) or a release (graceful shutdown); failed/cancelled → queued on retry().
//
// Never lost, never twice:
//  - claim() moves queued jobs to running with attempts + 1 and a lease (owner + expiry) in one
//    statement (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the single writer).
//  - The owner renews the lease with heartbeat(); rescue() re-queues running jobs whose lease
//    expired (a crashed process), so they run again.
//  - finish() is compare-and-set on (id, attempts, lease_owner, state = running): the late finisher
//    of a rescued attempt changes nothing and learns it lost the job.
//  - unique_key is enforced by a partial unique index among unfinished jobs; an Idempotency-Key by a
//    unique index on (tenant, key). Neither is a check-then-insert.
//
// Thread-safety: stateless apart from the database; every method may be called from any thread.
#pragma once

#include "tyto/events/events.hpp"
#include "tyto/jobs/job_views.hpp"
#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace tyto::jobs {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

std::string_view state_name(JobState s) noexcept;
std::optional<JobState> parse_state(std::string_view name) noexcept;
bool is_final(JobState s) noexcept;

struct Job {
  std::string id;
  std::string tenant_id;
  std::string pipeline;
  int pipeline_version = 1;
  nlohmann::json input;
  JobState state = JobState::kQueued;
  int priority = 0;
  std::int64_t run_at = 0;
  int attempts = 0;
  int max_attempts = 1;
  std::optional<std::string> lease_owner;
  std::optional<std::int64_t> lease_until;
  std::optional<std::int64_t> heartbeat_at;
  std::optional<int> timeout_s;
  std::optional<std::string> unique_key;
  bool cancel_requested = false;
  double progress = 0;
  nlohmann::json result;  // null until succeeded
  nlohmann::json error;   // null, or {code, message, retryable}
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;

  nlohmann::json to_json() const;  // the API form (times as RFC 3339)
};

std::string job_topic(std::string_view job_id);  // "job:<id>"

// The API form of a job, the members Job::to_json() gives, written straight as text: input, result and
// error are given as the JSON text of those members. `more` goes inside the object after them (members
// that each begin with a comma). Showing a job this way builds no JSON tree.
void append_job_json(std::string& out, const Job& job, std::string_view input, std::string_view result,
                     std::string_view error, std::string_view more = {});
// The same for a job whose input, result and error are JSON values.
std::string job_json_text(const Job& job, std::string_view more = {});

// A job read for display: input, result and error stay the JSON text stored ("null" when absent) and are
// not parsed; job.input, job.result and job.error are null.
struct JobText {
  Job job;
  std::string input;
  std::string result;
  std::string error;
};

struct JobSpec {
  std::string tenant_id;
  std::string pipeline;
  int pipeline_version = 1;
  nlohmann::json input;
  int priority = 0;
  std::optional<std::int64_t> run_at;  // default: now
  int max_attempts = 3;
  std::optional<int> timeout_s;
  std::optional<std::string> unique_key;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> created_by;  // the submitting user, for per-user export and deletion
};

struct EnqueueResult {
  Job job;
  enum class Outcome { kCreated, kIdempotentReplay, kUniqueConflict } outcome = Outcome::kCreated;
};

struct ListFilter {
  std::string tenant_id;
  std::optional<JobState> state;
  std::optional<std::string> pipeline;
  int limit = 50;
  std::optional<std::string> before_id;  // cursor: ids sort by creation time; newest first
};

// How a running attempt ended, for finish().
struct Outcome {
  enum class Kind { kSucceeded, kFailed, kRetry, kCancelled, kRelease } kind = Kind::kSucceeded;
  nlohmann::json result;      // kSucceeded
  nlohmann::json error;       // kFailed, kRetry: {code, message, retryable}
  std::int64_t retry_at = 0;  // kRetry; kRelease: when it may run again (0: at once)
};

// A job that finish(), rescue() or cancel() moved out of running (or a queued job that was cancelled),
// as an on_finish hook sees it.
struct FinishedJob {
  std::string id;
  std::string tenant_id;
  std::string pipeline;
  JobState state = JobState::kSucceeded;  // final, or kQueued for a retry or a rescue
  int attempt = 0;
  nlohmann::json result;  // kSucceeded
  nlohmann::json error;   // kFailed, and the failed attempt of a retry
  std::int64_t at = 0;    // when it finished; for kQueued, when it may run again
};

// Runs inside the transaction that changed the jobs, after the change and before the commit, with
// every job that transaction changed. Writes through tx commit or roll back with the change; events
// added to `pending` commit with the jobs' own. Because finish() is compare-and-set, a change is
// reported exactly once, whichever instance of several on one database made it. Throwing rolls the
// change back (the runner retries its finishes), so a hook must not throw for bad data of its own.
using FinishHook = std::function<void(storage::Session& tx, const std::vector<FinishedJob>& jobs,
                                      std::vector<events::NewEvent>& pending)>;

class JobStore {
 public:
  JobStore(storage::Database& db, events::Events& events) : db_(db), events_(events) {}

  // Adds a subscriber (webhooks, products); each sees every change, in the order they were added. Call
  // during start-up, before the runner starts; not thread-safe.
  // Releases at shutdown are not reported.
  void on_finish(FinishHook hook) { finish_hooks_.push_back(std::move(hook)); }

  // Inserts the jobs in one transaction and emits "queued" events. A unique_key held by an
  // unfinished job yields kUniqueConflict with that job; a repeated idempotency key kIdempotentReplay
  // with the first job. Nothing else is inserted for those entries.
  std::vector<EnqueueResult> enqueue(const std::vector<JobSpec>& specs);

  // The same inside the caller's write transaction; the "queued" events are added to `pending`
  // for the caller to commit through Events::commit.
  std::vector<EnqueueResult> enqueue_in(storage::Session& tx, const std::vector<JobSpec>& specs,
                                        std::vector<events::NewEvent>& pending);

  std::optional<Job> get(std::string_view tenant_id, std::string_view id);
  std::optional<JobText> get_text(std::string_view tenant_id, std::string_view id);
  std::vector<Job> list(const ListFilter& filter);

  // For quotas: the tenant's unfinished (queued or running) jobs, and the jobs it created since
  // since_micros (by the time in their UUIDv7 ids, so the count uses the (tenant_id, id) index), leaving
  // out the jobs of `uncounted` pipelines (the internal ones, which are not charged to the tenant).
  struct TenantCounts {
    std::int64_t unfinished = 0;
    std::int64_t created_since = 0;
  };
  TenantCounts tenant_counts(std::string_view tenant_id, std::int64_t since_micros,
                             const std::vector<std::string>& uncounted = {});
  // 1-based position among queued jobs that would be claimed before it; nullopt unless queued.
  std::optional<std::int64_t> queue_position(const Job& job);

  // Claims up to `limit` due queued jobs for `owner`, leased until now + lease. Jobs of pipelines in
  // `skip_pipelines` (at their concurrency limit) are left alone. Emits "started" events.
  // `also_emit` may add events per claimed job to the same transaction (the first stage_started).
  // With tenant_limit > 0 no tenant gets more than that many running jobs (all instances): the
  // claim then counts running jobs per tenant first (PostgreSQL: under an advisory lock).
  std::vector<Job> claim(const std::string& owner, int limit, std::chrono::milliseconds lease,
                         const std::vector<std::string>& skip_pipelines = {},
                         const std::function<void(const Job&, std::vector<events::NewEvent>&)>& also_emit = {},
                         int tenant_limit = 0);

  // Claims up to `max_claim` due jobs of one pipeline whose running jobs (all instances) are capped
  // at `limit`: counts and claims in one transaction (PostgreSQL: under an advisory lock per
  // pipeline), so the cap holds across instances.
  std::vector<Job> claim_limited(const std::string& owner, const std::string& pipeline, int limit, int max_claim,
                                 std::chrono::milliseconds lease,
                                 const std::function<void(const Job&, std::vector<events::NewEvent>&)>& also_emit = {});

  // Renews the leases of `owner`'s running jobs; returns, per job still held, whether a cancel was
  // requested. Jobs missing from the answer are no longer held (rescued elsewhere).
  std::vector<std::pair<std::string, bool>> heartbeat(const std::string& owner, std::chrono::milliseconds lease);

  // Applies the outcomes of several attempts in one transaction. For each, true if it applied,
  // false if the attempt no longer held the job (compare-and-set failed).
  struct Finish {
    std::string id;
    int attempt = 0;
    Outcome outcome;
    std::vector<events::NewEvent> extra_events;  // e.g. the last stage_finished
    std::string tenant_id;                       // the job's, when the caller knows them; otherwise looked up
    std::string pipeline;
  };
  std::vector<bool> finish(const std::string& owner, const std::vector<Finish>& finishes);

  // Re-queues running jobs whose lease expired (or fails them when out of attempts). Returns ids.
  std::vector<std::string> rescue();

  // queued → cancelled at once; running → cancel requested (the runner stops it); final: conflict.
  Job cancel(std::string_view tenant_id, std::string_view id);
  // failed/cancelled → queued with attempts reset; other states: conflict.
  Job retry(std::string_view tenant_id, std::string_view id);

  // Progress of a running attempt; ignored if the attempt no longer holds the job.
  void progress(const std::string& id, int attempt, const std::string& owner, double progress,
                std::vector<events::NewEvent> events);

  // Persists a finished stage's output (for resume) with its events.
  void save_stage(const std::string& id, int attempt, const std::string& owner, const std::string& stage,
                  const nlohmann::json& output, std::int64_t started_at, std::vector<events::NewEvent> events);
  std::map<std::string, nlohmann::json> stage_outputs(const std::string& id);

  // Emits events for a job without changing it (stage_started, partial_result).
  void emit(std::vector<events::NewEvent> events);

  // Counts by state and pipeline, for metrics.
  std::vector<std::tuple<std::string, std::string, std::int64_t>> depth();
  // Running jobs per pipeline, for concurrency limits.
  std::map<std::string, std::int64_t> running_by_pipeline();

  storage::Database& db() { return db_; }
  events::Events& events() { return events_; }
  // Finished jobs' views for GET (job_views.hpp); retry() invalidates them, and so must anything else that
  // changes or deletes a finished job outside this class.
  JobViews& views() { return views_; }

 private:
  using EmitFn = std::function<void(const Job&, std::vector<events::NewEvent>&)>;
  std::vector<Job> commit_claim(storage::Transaction& tx, const std::string& owner, std::vector<Job> jobs,
                                const EmitFn& also_emit);
  std::vector<Job> claim_per_tenant(storage::Session& tx, const std::string& owner, int limit,
                                    std::chrono::milliseconds lease, const std::vector<std::string>& skip_pipelines,
                                    int tenant_limit, std::int64_t now);

  void report(storage::Session& tx, const std::vector<FinishedJob>& jobs, std::vector<events::NewEvent>& pending) {
    if (jobs.empty()) return;
    for (const auto& hook : finish_hooks_) hook(tx, jobs, pending);
  }

  storage::Database& db_;
  events::Events& events_;
  std::vector<FinishHook> finish_hooks_;
  JobViews views_;
};

}  // namespace tyto::jobs
