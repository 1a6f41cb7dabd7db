#include "tyto/jobs/submitter.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace tyto::jobs {
namespace {

// A group holds at least one call and stops taking more past this many jobs, so a commit stays short.
constexpr std::size_t kMaxGroupJobs = 5000;

using Counts = std::map<std::string, std::size_t, std::less<>>;  // tenant → jobs counted against its quotas

Counts counted(const Runner::Pipelines& pipelines, const std::vector<JobSpec>& specs) {
  Counts out;
  for (const auto& s : specs) {
    if (auto it = pipelines.find(s.pipeline); it != pipelines.end() && it->second.internal) continue;
    ++out[s.tenant_id];
  }
  return out;
}

}  // namespace

// Group commit on a thread of its own: calls queue themselves; the committer takes the whole queue, checks
// its quotas, commits it in one transaction and hands every call its outcome, while the calls that arrive
// meanwhile gather for the next round. A waiting submit() and an HTTP handler's submit_async() are served
// alike, so neither holds a thread per call while its commit is pending.
class JobSubmitter::Group {
 public:
  struct Call {
    const std::vector<JobSpec>* specs = nullptr;  // the waiting caller's, or `owned`
    std::vector<JobSpec> owned;                   // submit_async()'s
    std::vector<EnqueueResult> results;
    std::exception_ptr error;
    Done done;                      // submit_async(); a waiting submit() leaves it empty
    bool answered = false;          // a waiting submit(): GUARDED_BY(mutex_)
    std::condition_variable woken;  // a waiting submit()'s own, so a commit wakes only the calls it answered
  };

  explicit Group(JobSubmitter& owner) : owner_(owner), thread_([this] { run(); }) {}

  // Commits what is queued, then stops.
  ~Group() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_.notify_one();
    thread_.join();
  }

  std::vector<EnqueueResult> submit(const std::vector<JobSpec>& specs) {
    auto call = std::make_shared<Call>();
    call->specs = &specs;
    std::unique_lock lock(mutex_);
    queue_.push_back(call);
    work_.notify_one();
    call->woken.wait(lock, [&] { return call->answered; });
    lock.unlock();
    if (call->error) std::rethrow_exception(call->error);
    return std::move(call->results);
  }

  void submit_async(std::vector<JobSpec> specs, Done done) {
    auto call = std::make_shared<Call>();
    call->owned = std::move(specs);
    call->specs = &call->owned;
    call->done = std::move(done);
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(call));
    work_.notify_one();
  }

  std::size_t queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  using CallPtr = std::shared_ptr<Call>;

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      work_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued is answered
      auto group = take_group();
      lock.unlock();
      std::vector<Call*> calls;
      calls.reserve(group.size());
      for (const auto& c : group) calls.push_back(c.get());
      commit(calls);
      for (auto& c : group) {
        if (!c->done) continue;
        try {
          c->done(std::move(c->results), c->error);
        } catch (const std::exception& e) {
          log::error("a job submission's completion failed", {{"error", e.what()}});
        }
      }
      lock.lock();
      for (auto& c : group) {
        if (c->done) continue;
        c->answered = true;
        c->woken.notify_one();
      }
    }
  }

  std::vector<CallPtr> take_group() {
    std::vector<CallPtr> calls;
    std::size_t jobs = 0;
    auto it = queue_.begin();
    for (; it != queue_.end() && (calls.empty() || jobs + (*it)->specs->size() <= kMaxGroupJobs); ++it) {
      jobs += (*it)->specs->size();
      calls.push_back(std::move(*it));
    }
    queue_.erase(queue_.begin(), it);
    return calls;
  }

  // Never throws: every failure lands in the calls it belongs to.
  void commit(const std::vector<Call*>& calls) {
    admit(calls);
    std::vector<Call*> admitted;
    for (auto* c : calls) {
      if (!c->error) admitted.push_back(c);
    }
    if (admitted.empty()) return;
    try {
      insert(admitted);
    } catch (const CommitFailed&) {
      // insert() handed every call the commit's error
    } catch (...) {
      if (admitted.size() == 1) {
        admitted.front()->error = std::current_exception();
      } else {
        // One call's jobs failed; find it by giving each call a transaction of its own.
        for (auto* c : admitted) {
          try {
            insert({c});
          } catch (...) {
            c->error = std::current_exception();
          }
        }
      }
    }
    const bool created = std::any_of(admitted.begin(), admitted.end(), [](const Call* c) {
      return !c->error && std::any_of(c->results.begin(), c->results.end(), [](const EnqueueResult& r) {
        return r.outcome == EnqueueResult::Outcome::kCreated;
      });
    });
    if (created) owner_.wake();
  }

  // Quotas for the group's calls in arrival order, each counting the calls admitted before it. The common
  // case (the whole group fits) costs one check per tenant.
  void admit(const std::vector<Call*>& calls) {
    if (!owner_.admission_) return;
    std::vector<Counts> wants;
    Counts total;
    for (const auto* c : calls) {
      wants.push_back(counted(owner_.pipelines_, *c->specs));
      for (const auto& [tenant, n] : wants.back()) total[tenant] += n;
    }
    if (calls.size() > 1) {
      try {
        for (const auto& [tenant, n] : total) owner_.admission_(tenant, n);
        return;
      } catch (...) {
        // someone in the group is over a quota: find out who below
      }
    }
    Counts granted;
    for (std::size_t i = 0; i < calls.size(); ++i) {
      try {
        for (const auto& [tenant, n] : wants[i]) owner_.admission_(tenant, granted[tenant] + n);
        for (const auto& [tenant, n] : wants[i]) granted[tenant] += n;
      } catch (...) {
        calls[i]->error = std::current_exception();
      }
    }
  }

  // Thrown when the commit itself failed: its outcome may be unknown, so nothing is retried.
  struct CommitFailed : std::exception {};

  void insert(const std::vector<Call*>& calls) {
    auto tx = owner_.store_.db().begin();
    std::vector<events::NewEvent> pending;
    for (auto* c : calls) c->results = owner_.store_.enqueue_in(*tx, *c->specs, pending);
    try {
      owner_.store_.events().commit(*tx, pending);
    } catch (...) {
      for (auto* c : calls) c->error = std::current_exception();
      throw CommitFailed();
    }
  }

  JobSubmitter& owner_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // the committer's: calls queued, or stopping
  std::vector<CallPtr> queue_;    // GUARDED_BY(mutex_)
  bool stopping_ = false;         // GUARDED_BY(mutex_)
  std::thread thread_;            // last: started once the members above exist
};

JobSubmitter::JobSubmitter(JobStore& store, const Runner::Pipelines& pipelines, Admission admission, WakeFn wake)
    : store_(store),
      pipelines_(pipelines),
      admission_(std::move(admission)),
      wake_(std::move(wake)),
      group_(std::make_unique<Group>(*this)) {}

JobSubmitter::~JobSubmitter() = default;

JobSpec JobSubmitter::spec(std::string_view pipeline, std::string tenant_id, nlohmann::json input) const {
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end())
    throw Error(ErrorCode::kNotFound, "no such pipeline", {{"pipeline", std::string(pipeline)}});
  JobSpec s;
  s.tenant_id = std::move(tenant_id);
  s.pipeline = it->second.name;
  s.pipeline_version = it->second.version;
  s.input = std::move(input);
  return s;
}

std::vector<EnqueueResult> JobSubmitter::submit(const std::vector<JobSpec>& specs) {
  if (specs.empty()) return {};
  return group_->submit(specs);
}

EnqueueResult JobSubmitter::submit(const JobSpec& spec) { return submit(std::vector<JobSpec>{spec}).front(); }

void JobSubmitter::submit_async(std::vector<JobSpec> specs, Done done) {
  if (specs.empty()) {
    done({}, nullptr);
    return;
  }
  group_->submit_async(std::move(specs), std::move(done));
}

std::vector<EnqueueResult> JobSubmitter::submit_in(storage::Session& tx, const std::vector<JobSpec>& specs,
                                                   std::vector<events::NewEvent>& pending) {
  if (admission_) {
    for (const auto& [tenant, n] : counted(pipelines_, specs)) admission_(tenant, n);
  }
  return store_.enqueue_in(tx, specs, pending);
}

void JobSubmitter::wake() {
  if (!wake_) return;
  try {
    wake_();
  } catch (const std::exception& e) {
    // The jobs are committed; the runner's poll picks them up.
    log::warn("could not wake the job runner", {{"error", e.what()}});
  }
}

std::size_t JobSubmitter::queued() const { return group_->queued(); }

}  // namespace tyto::jobs
