// The StageContext the runner gives a running stage. Private to tyto_jobs.
#pragma once

#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/pipeline/stage.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace tyto::jobs::detail {

class RunnerStageContext final : public pipeline::StageContext {
 public:
  RunnerStageContext(const Job& job, std::string stage_id, int stage_index, int stage_count,
                     const pipeline::CancellationToken& token, JobStore& store, const std::string& owner,
                     metrics::Registry& registry, const RunnerOptions& options)
      : job_(job),
        stage_id_(std::move(stage_id)),
        stage_index_(stage_index),
        stage_count_(stage_count),
        token_(token),
        store_(store),
        owner_(owner),
        registry_(registry),
        options_(options) {}

  const std::string& job_id() const override { return job_.id; }
  const std::string& tenant_id() const override { return job_.tenant_id; }
  int attempt() const override { return job_.attempts; }
  bool last_attempt() const override { return job_.attempts >= job_.max_attempts; }

  void progress(double fraction, std::string_view message) override {
    fraction = std::clamp(fraction, 0.0, 1.0);
    const double overall = (stage_index_ + fraction) / stage_count_;
    nlohmann::json data = {{"progress", overall}, {"stage", stage_id_}, {"stage_progress", fraction}};
    if (!message.empty()) data["message"] = std::string(message);
    store_.progress(job_.id, job_.attempts, owner_, overall,
                    {{job_.tenant_id, job_topic(job_.id), "progress", std::move(data)}});
  }

  void partial_result(const nlohmann::json& data) override {
    store_.emit({{job_.tenant_id, job_topic(job_.id), "partial_result", {{"stage", stage_id_}, {"data", data}}}});
  }

  const pipeline::CancellationToken& token() const override { return token_; }

  bool sleep_for(std::chrono::milliseconds d) override {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!token_.cancelled()) {
      const auto left = until - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return true;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(5)));
    }
    return false;
  }

  void log(log::Level level, std::string_view msg, std::initializer_list<log::Field> fields) override {
    log::ScopedContext ctx(job_.id, stage_id_);
    log::write(level, msg, fields);
  }

  metrics::Registry& metrics() override { return registry_; }

  pipeline::Artifacts& artifacts() override {
    if (!artifacts_) {
      if (!options_.artifacts) throw std::logic_error("this runner has no object catalog for artifacts");
      artifacts_ = options_.artifacts(job_);
    }
    return *artifacts_;
  }

 private:
  const Job& job_;
  std::string stage_id_;
  int stage_index_;
  int stage_count_;
  const pipeline::CancellationToken& token_;
  JobStore& store_;
  const std::string& owner_;
  metrics::Registry& registry_;
  const RunnerOptions& options_;
  std::unique_ptr<pipeline::Artifacts> artifacts_;
};

}  // namespace tyto::jobs::detail
