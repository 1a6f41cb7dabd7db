#include "tyto/modules/antivirus.hpp"

#include "cli/components.hpp"
#include "tyto/pipeline/pipeline.hpp"

namespace tyto {
std::span<const EmbeddedFile> embedded_antivirus_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;

const json& option(const Config& config, const char* key) {
  return config.option(std::string("modules.antivirus.") + key);
}

}  // namespace

std::vector<ComponentOption> AntivirusModule::options() {
  return {
      {"database_dir", "string", "/var/lib/clamav",
       "Folder of ClamAV signature databases (Debian's clamav-freshclam keeps /var/lib/clamav current); without any, "
       "scans answer not_scanned"},
      {"max_file_size", "integer", 100 << 20, "Largest input scanned (bytes); larger is not_scanned"},
      {"max_scan_size", "integer", 400 << 20, "Bytes scanned per input, archive members included"},
      {"max_recursion", "integer", 16, "Deepest archive nesting unpacked"},
      {"max_files", "integer", 10000, "Most files scanned inside one archive"},
      {"max_scan_time_ms", "duration_ms", 120000, "Longest one scan may take"},
      {"alert_exceeds_max", "boolean", true,
       "Report input whose contents pass a limit as infected (Heuristics.Limits.Exceeded.*): zip bombs"},
      {"reload_interval_ms", "duration_ms", 60000, "How often scans look for changed signature databases"},
      {"required", "boolean", false, "/ready fails while no signature database is loaded"}};
}

AntivirusModule::AntivirusModule(const cli::ModuleServices& services) {
  const auto& c = services.config;
  antivirus::ScannerOptions o;
  o.database_dir = option(c, "database_dir").get<std::string>();
  o.max_file_size = option(c, "max_file_size").get<std::uint64_t>();
  o.max_scan_size = option(c, "max_scan_size").get<std::uint64_t>();
  o.max_recursion = option(c, "max_recursion").get<int>();
  o.max_files = option(c, "max_files").get<int>();
  o.max_scan_time = std::chrono::milliseconds(option(c, "max_scan_time_ms").get<std::int64_t>());
  o.alert_exceeds_max = option(c, "alert_exceeds_max").get<bool>();
  o.reload_interval = std::chrono::milliseconds(option(c, "reload_interval_ms").get<std::int64_t>());
  required_ = option(c, "required").get<bool>();
  scanner_ = std::make_unique<antivirus::Scanner>(std::move(o));
}

AntivirusModule::AntivirusModule(antivirus::ScannerOptions options, bool required)
    : scanner_(std::make_unique<antivirus::Scanner>(std::move(options))), required_(required) {}

AntivirusModule::~AntivirusModule() = default;

std::vector<std::pair<std::string, std::string>> AntivirusModule::readiness() const {
  if (scanner_->available()) return {{"signatures", "ok"}};
  const std::string problem = scanner_->problem();
  if (required_) return {{"signatures", problem}};
  return {{"signatures", "ok: " + problem + "; scans answer not_scanned"}};
}

json AntivirusModule::scan(pipeline::StageContext& ctx, const json& input) {
  const auto object_id = input.at("object_id").get<std::string>();
  // One byte past the limit is enough to know the object is too large to scan.
  const std::string bytes = ctx.artifacts().get(object_id, scanner_->options().max_file_size + 1);
  ctx.check_cancelled();
  const auto result = scanner_->scan(bytes);
  json out = {{"object_id", object_id},
              {"result", antivirus::verdict_name(result.verdict)},
              {"signatures", scanner_->signatures()},
              {"engine", antivirus::Scanner::engine_version()}};
  if (!result.signature.empty()) out["signature"] = result.signature;
  if (!result.reason.empty()) out["reason"] = result.reason;
  if (result.verdict == antivirus::Verdict::kInfected) {
    ctx.log(log::Level::kWarn, "antivirus: infected object",
            {{"object_id", object_id}, {"signature", result.signature}});
  }
  return out;
}

void AntivirusModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add(
      {"antivirus.scan",
       "Scans an object for malware with libclamav: clean, infected (with the signature), not_scanned or error",
       {{"type", "object"},
        {"required", {"object_id"}},
        {"properties", {{"object_id", {{"type", "string"}, {"minLength", 1}}}}}},
       {{"type", "object"},
        {"properties",
         {{"object_id", {{"type", "string"}}},
          {"result", {{"type", "string"}, {"enum", {"clean", "infected", "not_scanned", "error"}}}},
          {"signature", {{"type", "string"}}},
          {"reason", {{"type", "string"}}},
          {"signatures", {{"type", "integer"}}},
          {"engine", {{"type", "string"}}}}}},
       [this](pipeline::StageContext& ctx, const json& input) { return scan(ctx, input); }});
}

std::vector<pipeline::PipelineFile> AntivirusModule::pipelines() const {
  return pipeline::pipeline_files(embedded_antivirus_pipelines(), "modules/antivirus/pipelines");
}

}  // namespace tyto::modules
