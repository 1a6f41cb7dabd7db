// The antivirus module: malware scanning of objects with libclamav (tyto/antivirus/scanner.hpp).
//   antivirus.scan  {object_id}
//                   → {object_id, result: clean | infected | not_scanned | error, signature?, reason?,
//                      signatures, engine}
// Options (modules.antivirus.*): database_dir (default /var/lib/clamav, which Debian's clamav-freshclam keeps
// current), max_file_size, max_scan_size, max_recursion, max_files, max_scan_time_ms, alert_exceeds_max,
// reload_interval_ms, required (docs/modules/antivirus.md).
// /ready shows "antivirus.signatures": "ok" with a loaded database; without one, "ok: …" (ready, scans answer
// not_scanned), or a failure when `required` is set.
// Products that scan uploads themselves (in their own stage, before accepting a file) call scanner().
#pragma once

#include "tyto/antivirus/scanner.hpp"
#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

#include <memory>

namespace tyto::cli {
struct ModuleServices;
}

namespace tyto::modules {

class AntivirusModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "antivirus";
  static std::vector<ComponentOption> options();

  explicit AntivirusModule(const cli::ModuleServices& services);
  // `required`: /ready fails while no signature database is loaded.
  AntivirusModule(antivirus::ScannerOptions options, bool required);
  ~AntivirusModule() override;

  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/antivirus/pipelines/
  std::vector<std::pair<std::string, std::string>> readiness() const override;

  // The stage's work, callable without a job (tests).
  nlohmann::json scan(pipeline::StageContext& ctx, const nlohmann::json& input);

  // The shared scanner; thread-safe; lives as long as the module.
  antivirus::Scanner& scanner() { return *scanner_; }

 private:
  std::unique_ptr<antivirus::Scanner> scanner_;
  bool required_ = false;
};

}  // namespace tyto::modules
