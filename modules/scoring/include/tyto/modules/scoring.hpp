// The scoring module: text similarity, normalisation and the infringement combiner (scoring/*.hpp), and the
// stage that runs them on one listing.
//   score.listing   {brand, listing} → {probability, decision, signals (each with its contribution), evidence}
//                   input and output are documented in docs/modules/scoring.md; bad input fails permanently
//                   with code "invalid_input"
// Pipelines: scoring.listing (modules/scoring/pipelines/).
// Command: `tyto score-listing FILE|-` prints what score.listing returns for the {brand, listing} in FILE.
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/pipeline/stage.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace tyto::modules {

class ScoringModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "scoring";
  static std::vector<CliCommand> commands();
  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/scoring/pipelines/
};

namespace scoring_stage {
// The stage's schemas and its work without a StageContext (the stage is pure computation). score() throws
// pipeline::StageError("invalid_input", …, permanent) when the input does not match input_schema() or is
// inconsistent (thresholds out of order, a Hamming distance above its bit count).
const nlohmann::json& input_schema();
const nlohmann::json& output_schema();
nlohmann::json score(const nlohmann::json& input);
}  // namespace scoring_stage

}  // namespace tyto::modules
