#include "tyto/core/json_schema.hpp"
#include "tyto/pipeline/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace tyto::pipeline {

void StageRegistry::add(StageDef stage) {
  const auto dot = stage.name.find('.');
  const bool well_formed = dot != std::string::npos && dot > 0 && dot + 1 < stage.name.size() &&
                           std::all_of(stage.name.begin(), stage.name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
                           });
  if (!well_formed) throw std::logic_error("stage name must be module.stage: " + stage.name);
  if (!stage.run) throw std::logic_error("stage " + stage.name + " has no run function");
  for (const auto* schema : {&stage.input_schema, &stage.output_schema}) {
    if (auto problems = check_schema(*schema); !problems.empty()) {
      throw std::logic_error(fmt::format("stage {}: bad schema: {}", stage.name, problems.front()));
    }
  }
  const std::string name = stage.name;
  if (!stages_.emplace(name, std::move(stage)).second) throw std::logic_error("duplicate stage " + name);
}

const StageDef* StageRegistry::find(std::string_view name) const {
  auto it = stages_.find(name);
  return it == stages_.end() ? nullptr : &it->second;
}

}  // namespace tyto::pipeline
