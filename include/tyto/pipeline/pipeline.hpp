// Pipelines: named, versioned DAGs of stages, declared in config/pipelines/*.json.
//
//   {
//     "name": "builtin.sleep", "version": 1, "description": "…",
//     "internal": false,                  // optional: true for pipelines only the server submits
//     "input_schema": {…},                // optional: defaults to the entry stages' input schema
//     "stages": [
//       {"id": "wait", "stage": "builtin.sleep"},
//       {"id": "done", "stage": "builtin.noop", "after": ["wait"]}
//     ]
//   }
//
// A stage with no "after" receives the job's input; a stage after exactly one other receives that
// stage's output; a stage after several receives {"<id>": output, …}. The job's result is the
// output of the single stage nothing depends on (or {"<id>": output, …} when there are several).
// Stages run one at a time in a topological order that keeps the file's order where it can.
//
// load_pipelines validates everything up front: unknown stage names, duplicate ids, unknown "after"
// references, cycles, malformed schemas, and an output schema that cannot satisfy the next stage's
// input schema ("type" mismatch or a required property the producer does not declare). Any problem
// throws PipelineError naming the file and the stage; the server refuses to start.
#pragma once

#include "tyto/core/error.hpp"
#include "tyto/pipeline/stage.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tyto::pipeline {

struct PipelineStage {
  std::string id;
  const StageDef* def = nullptr;
  std::vector<std::string> after;
};

struct Pipeline {
  std::string name;
  int version = 1;
  std::string description;
  // Run by the platform or a product for itself ("internal": true in the file): not listed, not
  // submittable through the jobs API, not counted against a tenant's job quotas.
  bool internal = false;
  nlohmann::json input_schema;
  std::vector<PipelineStage> stages;  // topologically ordered
  std::string source;                 // the file it came from, for messages

  const PipelineStage* stage(std::string_view id) const;
  // Ids of the stages no other stage depends on.
  std::vector<std::string> sinks() const;
  // The input of `stage` given the job input and the outputs of the stages before it.
  nlohmann::json stage_input(const PipelineStage& stage, const nlohmann::json& job_input,
                             const std::map<std::string, nlohmann::json>& outputs) const;
  // The job result from the outputs of all stages.
  nlohmann::json result(const std::map<std::string, nlohmann::json>& outputs) const;
  nlohmann::json describe() const;  // for GET /api/v1/pipelines
};

class PipelineError : public Error {
 public:
  explicit PipelineError(std::string message) : Error(ErrorCode::kInternal, std::move(message)) {}
};

// Parses and validates one definition. `source` names it in messages.
Pipeline parse_pipeline(const nlohmann::json& definition, const StageRegistry& registry, const std::string& source);

// The *.json files of an embedded folder, named "<origin>/<file>" in messages.
std::vector<PipelineFile> pipeline_files(std::span<const EmbeddedFile> files, std::string_view origin);

// Parses the files of one owner ("builtin", "platform", a product's name) into `out`. Every pipeline
// name must start with "<owner>." (the platform's own may also start with "webhooks." or "mail."), and no two
// files of the build may share a name. Throws PipelineError naming the file.
void load_owned_pipelines(const std::vector<PipelineFile>& files, std::string_view owner, const StageRegistry& registry,
                          std::map<std::string, Pipeline, std::less<>>& out);

// Every *.json file in dir (sorted), validated. Two pipelines with one name are an error.
std::map<std::string, Pipeline, std::less<>> load_pipelines(const std::filesystem::path& dir,
                                                            const StageRegistry& registry);

}  // namespace tyto::pipeline
