#include "tyto/jobs/submitter.hpp"

#include "tyto/core/error.hpp"

namespace tyto::jobs {

class JobSubmitter::Group {};

JobSubmitter::JobSubmitter(JobStore& store, const Runner::Pipelines& pipelines, Admission admission, WakeFn wake)
    : store_(store), pipelines_(pipelines), admission_(std::move(admission)), wake_(std::move(wake)) {}

JobSubmitter::~JobSubmitter() = default;

JobSpec JobSubmitter::spec(std::string_view pipeline, std::string tenant_id, nlohmann::json input) const {
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end()) throw Error(ErrorCode::kNotFound, "no such pipeline", {{"pipeline", std::string(pipeline)}});
  JobSpec spec;
  spec.tenant_id = std::move(tenant_id);
  spec.pipeline = it->second.name;
  spec.pipeline_version = it->second.version;
  spec.input = std::move(input);
  return spec;
}

namespace {

// Jobs the tenant is charged for: not those of internal pipelines.
std::size_t counted(const Runner::Pipelines& pipelines, const std::vector<JobSpec>& specs) {
  std::size_t n = 0;
  for (const auto& s : specs) {
    auto it = pipelines.find(s.pipeline);
    if (it == pipelines.end() || !it->second.internal) ++n;
  }
  return n;
}

}  // namespace

std::vector<EnqueueResult> JobSubmitter::submit(const std::vector<JobSpec>& specs) {
  if (specs.empty()) return {};
  if (admission_) {
    if (auto n = counted(pipelines_, specs)) admission_(specs.front().tenant_id, n);
  }
  auto results = store_.enqueue(specs);
  for (const auto& r : results) {
    if (r.outcome == EnqueueResult::Outcome::kCreated) {
      wake();
      break;
    }
  }
  return results;
}

EnqueueResult JobSubmitter::submit(const JobSpec& spec) { return submit(std::vector<JobSpec>{spec}).front(); }

std::vector<EnqueueResult> JobSubmitter::submit_in(storage::Session& tx, const std::vector<JobSpec>& specs,
                                                   std::vector<events::NewEvent>& pending) {
  if (specs.empty()) return {};
  if (admission_) {
    if (auto n = counted(pipelines_, specs)) admission_(specs.front().tenant_id, n);
  }
  return store_.enqueue_in(tx, specs, pending);
}

void JobSubmitter::wake() {
  if (wake_) wake_();
}

}  // namespace tyto::jobs
