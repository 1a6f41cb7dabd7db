// The builtin module: stages for tests, benchmarks and trying the queue out.
//   builtin.noop   returns {"ok": true} at once
//   builtin.sleep  {ms, steps}: sleeps ms in `steps` equal steps, one progress event per step;
//                  returns its input plus {"slept_ms"}; stops early when cancelled
//   builtin.fail   {times, permanent?, message?}: fails attempts 1..times (retryable unless
//                  permanent), then returns its input plus {"attempt"}
#pragma once

#include "tyto/pipeline/stage.hpp"

#include <string_view>

namespace tyto::modules {

class BuiltinModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "builtin";
  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/builtin/pipelines/
};

}  // namespace tyto::modules
