#include "tyto/pipeline/pipeline.hpp"

#include "tyto/core/json_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace tyto::pipeline {
namespace {

using nlohmann::json;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::set<std::string> schema_types(const json& schema) {
  std::set<std::string> out;
  if (!schema.is_object() || !schema.contains("type")) return out;
  const auto& t = schema["type"];
  if (t.is_string()) out.insert(t.get<std::string>());
  if (t.is_array()) {
    for (const auto& x : t) {
      if (x.is_string()) out.insert(x.get<std::string>());
    }
  }
  return out;
}

// Can every value matching `produced` feed a stage expecting `expected`? Checks what can be known
// statically: the declared types overlap, and every property the consumer requires is declared or
// required by the producer. Schemas that say nothing are compatible with anything.
std::optional<std::string> incompatibility(const json& produced, const json& expected) {
  const auto out_types = schema_types(produced);
  const auto in_types = schema_types(expected);
  if (!out_types.empty() && !in_types.empty()) {
    bool overlap = false;
    for (const auto& t : out_types) {
      if (in_types.count(t) || (t == "integer" && in_types.count("number"))) overlap = true;
    }
    if (!overlap) {
      return fmt::format("produces type {} but the next stage expects {}", *out_types.begin(), *in_types.begin());
    }
  }
  if (expected.is_object() && expected.contains("required") && expected["required"].is_array() &&
      produced.is_object() && produced.contains("properties")) {
    const json defaults = expected.value("properties", json::object());
    for (const auto& name : expected["required"]) {
      if (!name.is_string()) continue;
      const auto key = name.get<std::string>();
      if (!produced["properties"].contains(key) && !(defaults.contains(key) && defaults[key].contains("default"))) {
        return fmt::format("does not produce the property \"{}\" that the next stage requires", key);
      }
    }
  }
  return std::nullopt;
}

// Orders stages so that each comes after its dependencies, keeping file order among the ready ones.
std::vector<PipelineStage> topological_order(std::vector<PipelineStage> stages, const std::string& source) {
  std::vector<PipelineStage> ordered;
  std::set<std::string> placed;
  while (!stages.empty()) {
    auto ready = std::find_if(stages.begin(), stages.end(), [&](const PipelineStage& s) {
      return std::all_of(s.after.begin(), s.after.end(), [&](const std::string& d) { return placed.count(d) > 0; });
    });
    if (ready == stages.end()) {
      std::string ids;
      for (const auto& s : stages) ids += (ids.empty() ? "" : ", ") + s.id;
      throw PipelineError(fmt::format("{}: the stages {} form a cycle", source, ids));
    }
    placed.insert(ready->id);
    ordered.push_back(std::move(*ready));
    stages.erase(ready);
  }
  return ordered;
}

PipelineStage parse_stage(const json& s, const StageRegistry& registry, const std::string& where) {
  if (!s.is_object()) throw PipelineError(where + ": each stage must be an object");
  PipelineStage stage;
  stage.id = s.value("id", "");
  const std::string name = s.value("stage", "");
  if (!valid_name(stage.id)) throw PipelineError(where + ": a stage needs an \"id\" of letters, digits, . _ -");
  stage.def = registry.find(name);
  if (!stage.def)
    throw PipelineError(fmt::format("{}: stage \"{}\" uses unknown stage type \"{}\"", where, stage.id, name));
  if (s.contains("after")) {
    if (!s["after"].is_array()) throw PipelineError(fmt::format("{}: \"after\" of {} must be a list", where, stage.id));
    for (const auto& d : s["after"]) {
      if (!d.is_string()) throw PipelineError(fmt::format("{}: \"after\" of {} must list ids", where, stage.id));
      stage.after.push_back(d.get<std::string>());
    }
  }
  return stage;
}

void check_edges(const Pipeline& p) {
  for (const auto& stage : p.stages) {
    if (stage.after.size() == 1) {
      const PipelineStage* from = p.stage(stage.after.front());
      if (auto why = incompatibility(from->def->output_schema, stage.def->input_schema)) {
        throw PipelineError(fmt::format("{}: stage \"{}\" ({}) {} (\"{}\", {})", p.source, from->id, from->def->name,
                                        *why, stage.id, stage.def->name));
      }
    } else if (stage.after.empty() && !stage.def->input_schema.empty()) {
      if (auto why = incompatibility(p.input_schema, stage.def->input_schema)) {
        throw PipelineError(
            fmt::format("{}: the pipeline's input_schema {} (\"{}\", {})", p.source, *why, stage.id, stage.def->name));
      }
    }
  }
}

}  // namespace

const PipelineStage* Pipeline::stage(std::string_view id) const {
  for (const auto& s : stages) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<std::string> Pipeline::sinks() const {
  std::vector<std::string> out;
  for (const auto& s : stages) {
    const bool used = std::any_of(stages.begin(), stages.end(), [&](const PipelineStage& other) {
      return std::find(other.after.begin(), other.after.end(), s.id) != other.after.end();
    });
    if (!used) out.push_back(s.id);
  }
  return out;
}

json Pipeline::stage_input(const PipelineStage& stage, const json& job_input,
                           const std::map<std::string, json>& outputs) const {
  if (stage.after.empty()) return job_input;
  if (stage.after.size() == 1) return outputs.at(stage.after.front());
  json merged = json::object();
  for (const auto& d : stage.after) merged[d] = outputs.at(d);
  return merged;
}

json Pipeline::result(const std::map<std::string, json>& outputs) const {
  const auto ends = sinks();
  if (ends.size() == 1) return outputs.at(ends.front());
  json merged = json::object();
  for (const auto& id : ends) merged[id] = outputs.at(id);
  return merged;
}

json Pipeline::describe() const {
  json stage_list = json::array();
  for (const auto& s : stages) {
    stage_list.push_back(
        {{"id", s.id}, {"stage", s.def->name}, {"after", s.after}, {"description", s.def->description}});
  }
  return {{"name", name},
          {"version", version},
          {"description", description},
          {"stages", stage_list},
          {"input_schema", input_schema}};
}

Pipeline parse_pipeline(const json& d, const StageRegistry& registry, const std::string& source) {
  if (!d.is_object()) throw PipelineError(source + ": a pipeline definition must be a JSON object");
  Pipeline p;
  p.source = source;
  p.name = d.value("name", "");
  if (!valid_name(p.name)) throw PipelineError(source + ": \"name\" must be letters, digits, . _ - (1-100 chars)");
  if (!d.contains("version") || !d["version"].is_number_integer() || d["version"].get<int>() < 1) {
    throw PipelineError(source + ": \"version\" must be a positive integer");
  }
  p.version = d["version"].get<int>();
  p.description = d.value("description", "");
  if (d.contains("internal") && !d["internal"].is_boolean())
    throw PipelineError(source + ": \"internal\" must be true or false");
  p.internal = d.value("internal", false);
  if (!d.contains("stages") || !d["stages"].is_array() || d["stages"].empty()) {
    throw PipelineError(source + ": \"stages\" must be a non-empty list");
  }
  std::vector<PipelineStage> stages;
  std::set<std::string> ids;
  for (const auto& s : d["stages"]) {
    stages.push_back(parse_stage(s, registry, source));
    if (!ids.insert(stages.back().id).second) {
      throw PipelineError(fmt::format("{}: two stages have the id \"{}\"", source, stages.back().id));
    }
  }
  for (const auto& s : stages) {
    for (const auto& dep : s.after) {
      if (!ids.count(dep))
        throw PipelineError(fmt::format("{}: stage \"{}\" runs after unknown stage \"{}\"", source, s.id, dep));
    }
  }
  p.stages = topological_order(std::move(stages), source);

  // The input schema: declared, else that of the first entry stage.
  p.input_schema = d.contains("input_schema") ? d["input_schema"] : p.stages.front().def->input_schema;
  if (auto problems = check_schema(p.input_schema); !problems.empty()) {
    throw PipelineError(fmt::format("{}: input_schema: {}", source, problems.front()));
  }
  check_edges(p);
  return p;
}

std::map<std::string, Pipeline, std::less<>> load_pipelines(const std::filesystem::path& dir,
                                                            const StageRegistry& registry) {
  std::map<std::string, Pipeline, std::less<>> out;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) throw PipelineError(fmt::format("cannot read pipelines from {}: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    json definition;
    try {
      definition = json::parse(ss.str(), nullptr, true, true);
    } catch (const json::parse_error& e) {
      throw PipelineError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
    }
    Pipeline p = parse_pipeline(definition, registry, file.string());
    if (out.count(p.name))
      throw PipelineError(fmt::format("{}: a second pipeline named \"{}\"", file.string(), p.name));
    out.emplace(p.name, std::move(p));
  }
  return out;
}

std::vector<PipelineFile> pipeline_files(std::span<const EmbeddedFile> files, std::string_view origin) {
  std::vector<PipelineFile> out;
  for (const auto& f : files) {
    if (f.path.ends_with(".json")) out.push_back({fmt::format("{}/{}", origin, f.path), f.data});
  }
  return out;
}

void load_owned_pipelines(const std::vector<PipelineFile>& files, std::string_view owner, const StageRegistry& registry,
                          std::map<std::string, Pipeline, std::less<>>& out) {
  for (const auto& f : files) {
    json definition;
    try {
      definition = json::parse(f.text, nullptr, true, true);
    } catch (const json::parse_error& e) {
      throw PipelineError(fmt::format("{}: {}", f.path, e.what()));
    }
    auto p = parse_pipeline(definition, registry, f.path);
    // The platform's areas with pipelines of their own keep their names (webhooks.deliver, mail.send).
    const bool owned = p.name.starts_with(std::string(owner) + ".") ||
                       (owner == "platform" && (p.name.starts_with("webhooks.") || p.name.starts_with("mail.")));
    if (!owned)
      throw PipelineError(fmt::format("{}: pipeline \"{}\" must be named {}.<something>", f.path, p.name, owner));
    if (auto it = out.find(p.name); it != out.end()) {
      throw PipelineError(fmt::format("{}: pipeline \"{}\" is also defined by {}", f.path, p.name, it->second.source));
    }
    out.emplace(p.name, std::move(p));
  }
}

}  // namespace tyto::pipeline
