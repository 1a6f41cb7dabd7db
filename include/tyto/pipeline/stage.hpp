// Stages: the units of work that modules contribute and pipelines chain.
//
// A module registers stages explicitly (in main, through its register_stages); a stage has a name,
// JSON schemas for its input and output, and a run function. The runner calls run on a job thread
// (never an I/O thread) with a StageContext, and persists the returned output, so a retried job
// resumes after its last finished stage.
//
// Errors: throw StageError to say whether the failure is worth retrying. Any other exception is
// treated as retryable with code "stage_failed". A stage that sees ctx.cancelled() should return
// (or throw Cancelled) promptly: cancellation and timeouts are cooperative.
#pragma once

#include "tyto/core/embedded.hpp"
#include "tyto/core/logging.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::metrics {
class Registry;
}

namespace tyto::pipeline {

// Shared between the runner (which cancels: user request, timeout, lost lease, shutdown) and the
// running stage (which checks). Thread-safe.
class CancellationToken {
 public:
  enum class Reason { kNone, kCancelled, kTimeout, kLeaseLost, kShutdown };

  bool cancelled() const noexcept { return reason_.load(std::memory_order_acquire) != Reason::kNone; }
  Reason reason() const noexcept { return reason_.load(std::memory_order_acquire); }
  // The first reason wins.
  void cancel(Reason r) noexcept {
    Reason expected = Reason::kNone;
    reason_.compare_exchange_strong(expected, r, std::memory_order_acq_rel);
  }

 private:
  std::atomic<Reason> reason_{Reason::kNone};
};

class StageError : public std::runtime_error {
 public:
  StageError(std::string code, std::string message, bool retryable)
      : std::runtime_error(std::move(message)), code_(std::move(code)), retryable_(retryable) {}
  const std::string& code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }

 private:
  std::string code_;
  bool retryable_;
};

// Thrown by a stage that cannot run yet (a limit shared with other jobs is reached: a provider's
// concurrency, a tenant's share): the job goes back to the queue to run again after `delay`, from this
// stage, without spending an attempt. A stage that defers forever keeps its job queued forever, so a
// stage defers only for limits that free up by themselves.
class Deferred : public std::runtime_error {
 public:
  Deferred(std::chrono::milliseconds delay, std::string reason)
      : std::runtime_error(std::move(reason)), delay_(delay) {}
  std::chrono::milliseconds delay() const noexcept { return delay_; }

 private:
  std::chrono::milliseconds delay_;
};

// Thrown (by StageContext::check_cancelled) to unwind a stage that noticed cancellation.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// An object a stage wrote or may read: bytes in the object store, a row in the object catalog.
struct Artifact {
  std::string id;
  std::string purpose;
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;
};

// What a new artifact is: its purpose (which sets its retention, see objects/purposes.hpp), name and
// content type, and optionally a retention of its own.
struct NewArtifact {
  std::string purpose;
  std::string filename;
  std::string content_type = "application/octet-stream";
  std::optional<std::chrono::hours> retention;  // default: the purpose's
};

// Objects read and written from inside a stage, through the object catalog, in the job's tenant and
// owned by the user who submitted the job (or by the tenant when the platform submitted it), so
// quotas, retention, export and erasure apply to them like to uploads. Blocking; call from run() only.
class Artifacts {
 public:
  virtual ~Artifacts() = default;
  // Stores bytes as a new object. Throws StageError("invalid_artifact", …, false) for an unknown
  // purpose, and StageError(retryable) when the store fails.
  virtual Artifact put(const NewArtifact& what, std::string_view bytes) = 0;
  // Reads an object of the job's tenant (at most max_bytes; larger throws StageError
  // "artifact_too_large"). Another tenant's id is "not_found", exactly like an unknown one.
  virtual std::string get(std::string_view object_id, std::size_t max_bytes = 64u << 20) = 0;
  virtual Artifact stat(std::string_view object_id) = 0;
};

// What a running stage can reach. Implemented by the runner; valid only during run().
class StageContext {
 public:
  virtual ~StageContext() = default;

  virtual const std::string& job_id() const = 0;
  virtual const std::string& tenant_id() const = 0;
  virtual int attempt() const = 0;
  // Whether this is the job's last attempt: a retryable failure now fails the job, so a stage that keeps
  // state of its own (a scan's row) records the failure instead of waiting for a retry that never comes.
  virtual bool last_attempt() const { return false; }

  // Progress of this stage, 0..1; the job's progress is derived from it. Rate-limited underneath,
  // so calling it often is cheap. `message` is shown in the event log.
  virtual void progress(double fraction, std::string_view message = {}) = 0;

  // A partial result, delivered to the job's stream as a "partial_result" event.
  virtual void partial_result(const nlohmann::json& data) = 0;

  virtual const CancellationToken& token() const = 0;
  bool cancelled() const { return token().cancelled(); }
  void check_cancelled() const {
    if (cancelled()) throw Cancelled();
  }
  // Sleeps up to `d`, waking early when cancelled. Returns false if cancelled.
  virtual bool sleep_for(std::chrono::milliseconds d) = 0;

  virtual void log(log::Level level, std::string_view msg, std::initializer_list<log::Field> fields = {}) = 0;
  virtual metrics::Registry& metrics() = 0;

  // Objects of the job's tenant. Throws std::logic_error where the runner was built without an object
  // catalog (some unit tests).
  virtual Artifacts& artifacts() = 0;
};

struct StageDef {
  std::string name;  // "module.stage", e.g. "builtin.sleep"
  std::string description;
  nlohmann::json input_schema = nlohmann::json::object();
  nlohmann::json output_schema = nlohmann::json::object();
  std::function<nlohmann::json(StageContext& ctx, const nlohmann::json& input)> run;
};

// The stages of every registered module. Filled at start-up, read-only afterwards.
class StageRegistry {
 public:
  // Throws std::logic_error on a duplicate or malformed name, or a missing run function.
  void add(StageDef stage);
  const StageDef* find(std::string_view name) const;
  const std::map<std::string, StageDef, std::less<>>& all() const noexcept { return stages_; }

 private:
  std::map<std::string, StageDef, std::less<>> stages_;
};

// A pipeline definition a module or product ships (embedded at build time), by file name.
struct PipelineFile {
  std::string path;  // for messages: "modules/builtin/pipelines/builtin.noop.json"
  std::string_view text;
};

// A pipeline module: a named set of stages with start/stop hooks. Listed explicitly in main
// (cli::Components::module), constructed with its options when the server starts. Knows nothing of HTTP.
//
// Its name prefixes its stages, pipelines, tables and options ("modules.<name>.*", declared by a static
// `options()` of the class, if any). It may ship migrations (its own numbered set, see
// storage/migrations.hpp) and pipeline files (each marked "internal" or not).
class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  virtual void register_stages(StageRegistry& registry) = 0;
  virtual std::vector<PipelineFile> pipelines() const { return {}; }
  // Files "sqlite/NNNN_*.sql" and "postgres/NNNN_*.sql": the module's own numbered set.
  virtual std::span<const EmbeddedFile> migrations() const { return {}; }
  virtual void start() {}
  virtual void stop() {}
  // What /ready reports for this module: check name -> "ok" or why it is not ready (a model that failed
  // its self-test, say). "ok: <note>" is ready with a note (an optional database that is absent); any other
  // value makes /ready answer 503. Called on an I/O-free worker
  // thread at any time after start(); must be cheap and thread-safe.
  virtual std::vector<std::pair<std::string, std::string>> readiness() const { return {}; }
};

}  // namespace tyto::pipeline
