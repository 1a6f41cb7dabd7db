#include "tyto/jobs/runner.hpp"

#include "jobs/detail/stage_context.hpp"
#include "jobs/detail/worker_pool.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <iterator>
#include <random>
#include <set>
#include <thread>

namespace tyto::jobs {
namespace {

using nlohmann::json;
using pipeline::CancellationToken;
using Reason = CancellationToken::Reason;
using SteadyClock = std::chrono::steady_clock;

json error_json(std::string_view code, std::string_view message, bool retryable) {
  return {{"code", code}, {"message", message}, {"retryable", retryable}};
}

// Finished attempts the dispatcher gathers (for at most a millisecond) before it records them in one transaction.
constexpr std::size_t kFinishBatch = 32;

double random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

class Runner::Impl {
 public:
  Impl(RunnerOptions options, JobStore& store, const Pipelines& pipelines, metrics::Registry& registry)
      : options_(std::move(options)),
        store_(store),
        pipelines_(pipelines),
        registry_(registry),
        owner_(options_.owner.empty() ? new_uuid_v7() : options_.owner),
        workers_(options_.workers > 0 ? options_.workers
                                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        finished_total_(registry.counter("tyto_jobs_finished_total", "Job attempts finished, by pipeline and outcome",
                                         {"pipeline", "outcome"})),
        job_duration_(
            registry.histogram("tyto_job_duration_seconds", "Time from claim to finish of an attempt", {"pipeline"})),
        stage_duration_(registry.histogram("tyto_stage_duration_seconds", "Stage run time", {"stage"})),
        retries_(registry.counter("tyto_jobs_retries_total", "Attempts scheduled for retry").with({})),
        deferred_(
            registry.counter("tyto_jobs_deferred_total", "Jobs a stage sent back to wait for a shared limit").with({})),
        rescues_(registry.counter("tyto_jobs_rescued_total", "Jobs re-queued after their lease expired").with({})),
        timeouts_(registry.counter("tyto_jobs_timeouts_total", "Jobs stopped by their timeout").with({})),
        running_gauge_(registry.gauge("tyto_jobs_running", "Jobs running in this process").with({})) {}

  ~Impl() { stop(); }

  void start() {
    pool_ = std::make_unique<detail::WorkerPool>(workers_);
    running_flag_ = true;
    dispatcher_ = std::thread([this] { dispatch_loop(); });
    watchdog_ = std::thread([this] { watchdog_loop(); });
    if (auto listener = store_.db().listen({"tyto_jobs"})) {
      listener_ = std::move(listener);
      listen_thread_ = std::thread([this] { listen_loop(); });
    }
    log::info("job runner started", {{"owner", owner_}, {"workers", workers_}});
  }

  void stop() {
    if (!running_flag_.exchange(false)) return;
    {
      std::lock_guard lock(mutex_);
      claiming_ = false;
    }
    cv_.notify_all();
    // Let running jobs finish until the deadline, then cancel the rest (their leases are released).
    const auto deadline = SteadyClock::now() + options_.shutdown_timeout;
    while (running() > 0 && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, r] : running_) r.token->cancel(Reason::kShutdown);
    }
    pool_->join();
    stopping_ = true;
    cv_.notify_all();
    watchdog_cv_.notify_all();
    if (listener_) listener_->interrupt();
    if (dispatcher_.joinable()) dispatcher_.join();
    if (watchdog_.joinable()) watchdog_.join();
    if (listen_thread_.joinable()) listen_thread_.join();
    flush_finished();
    log::info("job runner stopped", {{"owner", owner_}});
  }

  void wake() {
    {
      std::lock_guard lock(mutex_);
      wake_ = true;
    }
    cv_.notify_all();
  }

  void cancel_local(const std::string& job_id) {
    std::lock_guard lock(mutex_);
    if (auto it = running_.find(job_id); it != running_.end()) it->second.token->cancel(Reason::kCancelled);
  }

  const std::string& owner() const { return owner_; }

  int running() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(running_.size());
  }

 private:
  struct Running {
    Job job;
    std::shared_ptr<CancellationToken> token;
    SteadyClock::time_point claimed_at;
    std::optional<SteadyClock::time_point> deadline;
  };

  void dispatch_loop() {
    auto next_rescue = SteadyClock::now();
    while (!stopping_) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, options_.poll_interval, [&] { return wake_ || !finished_.empty() || stopping_; });
        // Let finished attempts gather for a moment so one transaction records many.
        if (!wake_ && !stopping_ && finished_.size() < kFinishBatch && !running_.empty()) {
          cv_.wait_for(lock, std::chrono::milliseconds(1),
                       [&] { return finished_.size() >= kFinishBatch || running_.empty() || stopping_.load(); });
        }
        wake_ = false;
      }
      try {
        flush_finished();
        if (SteadyClock::now() >= next_rescue) {
          next_rescue = SteadyClock::now() + options_.rescue_interval;
          rescue();
        }
        claim();
      } catch (const std::exception& e) {
        log::warn("job dispatcher: database error; retrying", {{"error", e.what()}});
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  void rescue() {
    const auto ids = store_.rescue();
    if (ids.empty()) return;
    rescues_.inc(static_cast<double>(ids.size()));
    log::warn("rescued jobs whose lease expired", {{"count", static_cast<std::int64_t>(ids.size())}});
    wake();
  }

  void claim() {
    int free;
    {
      std::lock_guard lock(mutex_);
      if (!claiming_) return;
      free = workers_ + options_.prefetch - static_cast<int>(running_.size());
    }
    if (free <= 0) return;
    // A fresh attempt of a single-stage pipeline starts that stage at once: say so in the claim.
    auto announce = [this](const Job& j, std::vector<events::NewEvent>& out) {
      auto it = pipelines_.find(j.pipeline);
      if (it == pipelines_.end() || it->second.stages.size() != 1) return;
      out.push_back({j.tenant_id,
                     job_topic(j.id),
                     "stage_started",
                     {{"stage", it->second.stages.front().id}, {"attempt", j.attempts}}});
    };
    // Pipelines with a concurrency limit are claimed one by one under their cap; the rest together.
    std::vector<Job> jobs;
    std::vector<std::string> limited;
    for (const auto& [pipeline, limit] : options_.pipeline_concurrency) {
      limited.push_back(pipeline);
      const int room = free - static_cast<int>(jobs.size());
      if (room <= 0) break;
      for (auto& j : store_.claim_limited(owner_, pipeline, limit, room, options_.lease, announce))
        jobs.push_back(std::move(j));
    }
    const int room = free - static_cast<int>(jobs.size());
    auto rest = room > 0 ? store_.claim(owner_, room, options_.lease, limited, announce, options_.tenant_concurrency)
                         : std::vector<Job>{};
    for (auto& job : jobs) start_job(std::move(job));
    for (auto& job : rest) start_job(std::move(job));
    if (room > 0 && static_cast<int>(rest.size()) == room) wake();  // there may be more
  }

  void start_job(Job job) {
    Running r{job, std::make_shared<CancellationToken>(), SteadyClock::now(), std::nullopt};
    {
      std::lock_guard lock(mutex_);
      running_.emplace(job.id, r);
    }
    running_gauge_.inc();
    pool_->submit([this, job = std::move(job), token = r.token, claimed = r.claimed_at]() mutable {
      run_job(job, *token, claimed);
    });
  }

  // Runs every unfinished stage of the job's pipeline and queues the attempt's outcome.
  void run_job(const Job& job, CancellationToken& token, SteadyClock::time_point claimed) {
    JobStore::Finish finish{job.id, job.attempts, {}, {}, job.tenant_id, job.pipeline};
    if (job.timeout_s && *job.timeout_s > 0) {
      // The timeout counts from the start of the run, not from the claim (prefetched jobs wait).
      std::lock_guard lock(mutex_);
      if (auto it = running_.find(job.id); it != running_.end()) {
        it->second.deadline = SteadyClock::now() + std::chrono::seconds(*job.timeout_s);
      }
    }
    try {
      finish.outcome =
          token.cancelled() ? interrupted(job, token.reason()) : run_pipeline(job, token, finish.extra_events);
    } catch (const std::exception& e) {
      log::error("job failed unexpectedly", {{"job_id", job.id}, {"error", e.what()}});
      finish.outcome = failure(job, error_json("internal", e.what(), true));
    }
    const bool lost = token.reason() == Reason::kLeaseLost;
    if (lost) {
      log::warn("job lost its lease; another runner owns it now", {{"job_id", job.id}});
    } else {
      job_duration_.with({job.pipeline}).observe(std::chrono::duration<double>(SteadyClock::now() - claimed).count());
      finished_total_.with({job.pipeline, outcome_name(finish.outcome.kind)}).inc();
    }
    bool wake_dispatcher = false;
    {
      std::lock_guard lock(mutex_);
      if (!lost) finished_.push_back(std::move(finish));
      running_.erase(job.id);
      // The dispatcher records finished attempts in batches: it wakes for the first of a batch, a full batch
      // or the last running job, not for every job (a thread switch per job cost about a tenth of the CPU
      // of a no-op job).
      wake_dispatcher = finished_.size() == 1 || finished_.size() >= kFinishBatch || running_.empty();
    }
    running_gauge_.dec();
    if (wake_dispatcher) cv_.notify_one();
  }

  Outcome run_pipeline(const Job& job, CancellationToken& token, std::vector<events::NewEvent>& extra) {
    auto it = pipelines_.find(job.pipeline);
    if (it == pipelines_.end()) {
      return failure(job, error_json("unknown_pipeline", "this server has no pipeline " + job.pipeline, false));
    }
    const pipeline::Pipeline& p = it->second;
    auto outputs = p.stages.size() > 1 ? store_.stage_outputs(job.id) : std::map<std::string, json>{};
    const auto topic = job_topic(job.id);
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
      const auto& stage = p.stages[i];
      if (outputs.count(stage.id)) continue;  // finished in an earlier attempt
      const bool last = i + 1 == p.stages.size();
      if (p.stages.size() > 1) {  // single-stage pipelines announced it in the claim
        store_.emit({{job.tenant_id, topic, "stage_started", {{"stage", stage.id}, {"attempt", job.attempts}}}});
      }
      const auto started = now_micros();
      detail::RunnerStageContext ctx(job, stage.id, static_cast<int>(i), static_cast<int>(p.stages.size()), token,
                                     store_, owner_, registry_, options_);
      json output;
      try {
        output = stage.def->run(ctx, p.stage_input(stage, job.input, outputs));
      } catch (const pipeline::Cancelled&) {
      } catch (const pipeline::Deferred& e) {
        if (!token.cancelled()) {
          deferred_.inc();
          return {Outcome::Kind::kRelease, nullptr, error_json("deferred", e.what(), true),
                  now_micros() + std::chrono::duration_cast<std::chrono::microseconds>(e.delay()).count()};
        }
      } catch (const pipeline::StageError& e) {
        if (!token.cancelled()) return failure(job, error_json(e.code(), e.what(), e.retryable()), stage.id);
      } catch (const std::exception& e) {
        if (!token.cancelled()) return failure(job, error_json("stage_failed", e.what(), true), stage.id);
      }
      if (token.cancelled()) return interrupted(job, token.reason());
      const double seconds = static_cast<double>(now_micros() - started) / 1e6;
      stage_duration_.with({stage.def->name}).observe(seconds);
      outputs[stage.id] = std::move(output);
      events::NewEvent done{job.tenant_id,
                            topic,
                            "stage_finished",
                            {{"stage", stage.id}, {"attempt", job.attempts}, {"duration_ms", seconds * 1000}}};
      if (last) {
        extra.push_back(std::move(done));
      } else {
        store_.save_stage(job.id, job.attempts, owner_, stage.id, outputs[stage.id], started, {std::move(done)});
      }
    }
    return {Outcome::Kind::kSucceeded, p.result(outputs), nullptr, 0};
  }

  Outcome failure(const Job& job, json error, const std::string& stage = {}) {
    if (!stage.empty()) error["stage"] = stage;
    const bool retryable = error.value("retryable", false);
    if (retryable && job.attempts < job.max_attempts) {
      retries_.inc();
      const auto delay = retry_delay(job.attempts, options_.backoff, random01());
      return {Outcome::Kind::kRetry, nullptr, std::move(error), now_micros() + delay.count()};
    }
    return {Outcome::Kind::kFailed, nullptr, std::move(error), 0};
  }

  Outcome interrupted(const Job& job, Reason reason) {
    switch (reason) {
      case Reason::kCancelled:
        return {Outcome::Kind::kCancelled, nullptr, nullptr, 0};
      case Reason::kTimeout:
        timeouts_.inc();
        return {
            Outcome::Kind::kFailed, nullptr,
            error_json("timeout", fmt::format("the job ran longer than its timeout of {} s", job.timeout_s.value_or(0)),
                       false),
            0};
      case Reason::kShutdown:
        return {Outcome::Kind::kRelease, nullptr, nullptr, 0};
      default:
        return {Outcome::Kind::kRelease, nullptr, nullptr, 0};  // lease lost: not applied anyway
    }
  }

  void flush_finished() {
    std::vector<JobStore::Finish> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(finished_);
    }
    if (batch.empty()) return;
    std::vector<bool> applied;
    for (int tries = 0;; ++tries) {
      try {
        applied = store_.finish(owner_, batch);
        break;
      } catch (const std::exception& e) {
        // The outcomes stay with us until the database takes them; the lease keeps others away.
        if (stopping_) {
          log::error("could not record finished jobs; their leases will expire and they will run again",
                     {{"error", e.what()}, {"count", static_cast<std::int64_t>(batch.size())}});
          return;
        }
        if (tries >= 50) {
          // Not dropped: the heartbeat renews every lease this runner holds in the database, so a dropped
          // outcome would leave its job running forever. The dispatcher tries again on its next round.
          log::error("could not record finished jobs; keeping them to try again",
                     {{"error", e.what()}, {"count", static_cast<std::int64_t>(batch.size())}});
          std::lock_guard lock(mutex_);
          finished_.insert(finished_.begin(), std::make_move_iterator(batch.begin()),
                           std::make_move_iterator(batch.end()));
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!applied[i])
        log::warn("finished attempt no longer held the job; result discarded", {{"job_id", batch[i].id}});
    }
  }

  static std::string_view outcome_name(Outcome::Kind k) {
    switch (k) {
      case Outcome::Kind::kSucceeded:
        return "succeeded";
      case Outcome::Kind::kFailed:
        return "failed";
      case Outcome::Kind::kRetry:
        return "retry";
      case Outcome::Kind::kCancelled:
        return "cancelled";
      case Outcome::Kind::kRelease:
        return "released";
    }
    return "unknown";
  }

  // Timeouts every tick; lease renewal and cancel requests every heartbeat interval.
  void watchdog_loop() {
    auto next_heartbeat = SteadyClock::now() + options_.heartbeat_interval;
    while (!stopping_) {
      {
        std::unique_lock lock(mutex_);
        watchdog_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_.load(); });
        const auto now = SteadyClock::now();
        for (auto& [id, r] : running_) {
          if (r.deadline && now >= *r.deadline) r.token->cancel(Reason::kTimeout);
        }
      }
      if (SteadyClock::now() < next_heartbeat) continue;
      next_heartbeat = SteadyClock::now() + options_.heartbeat_interval;
      heartbeat();
    }
  }

  void heartbeat() {
    const auto started = SteadyClock::now();
    std::vector<std::pair<std::string, bool>> held;
    try {
      held = store_.heartbeat(owner_, options_.lease);
    } catch (const std::exception& e) {
      log::warn("lease renewal failed; retrying", {{"error", e.what()}});
      return;
    }
    std::map<std::string, bool> by_id(held.begin(), held.end());
    std::lock_guard lock(mutex_);
    for (auto& [id, r] : running_) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        if (r.claimed_at < started) r.token->cancel(Reason::kLeaseLost);
      } else if (it->second) {
        r.token->cancel(Reason::kCancelled);
      }
    }
  }

  void listen_loop() {
    while (!stopping_) {
      for (const auto& n : listener_->wait(std::chrono::seconds(1))) {
        if (n.payload == "enqueue") {
          wake();
        } else if (n.payload.rfind("cancel:", 0) == 0) {
          cancel_local(n.payload.substr(7));
        }
      }
      if (listener_->reconnected()) wake();
    }
  }

  const RunnerOptions options_;
  JobStore& store_;
  const Pipelines& pipelines_;
  metrics::Registry& registry_;
  const std::string owner_;
  const int workers_;

  metrics::Family<metrics::Counter>& finished_total_;
  metrics::Family<metrics::Histogram>& job_duration_;
  metrics::Family<metrics::Histogram>& stage_duration_;
  metrics::Counter& retries_;
  metrics::Counter& deferred_;
  metrics::Counter& rescues_;
  metrics::Counter& timeouts_;
  metrics::Gauge& running_gauge_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;              // the dispatcher's: woken, finished attempts to record, stopping
  std::condition_variable watchdog_cv_;     // the watchdog's: stopping
  std::map<std::string, Running> running_;  // guarded by mutex_
  std::vector<JobStore::Finish> finished_;  // guarded by mutex_
  bool wake_ = false;                       // guarded by mutex_
  bool claiming_ = true;                    // guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_flag_{false};

  std::unique_ptr<detail::WorkerPool> pool_;
  std::unique_ptr<storage::Listener> listener_;
  std::thread dispatcher_;
  std::thread watchdog_;
  std::thread listen_thread_;
};

Runner::Runner(RunnerOptions options, JobStore& store, const Pipelines& pipelines, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), store, pipelines, registry)) {}
Runner::~Runner() = default;
void Runner::start() { impl_->start(); }
void Runner::stop() { impl_->stop(); }
void Runner::wake() { impl_->wake(); }
void Runner::cancel_local(const std::string& job_id) { impl_->cancel_local(job_id); }
const std::string& Runner::owner() const { return impl_->owner(); }
int Runner::running() const { return impl_->running(); }

}  // namespace tyto::jobs
