// The fingerprint module: perceptual hashes of images and the indexes that find near-duplicates.
//   image.hash   {object_id, index?, key?, add?}: decodes the object (an upload or artifact of the
//                job's tenant), returns its aHash, dHash, pHash, PDQ + quality and colour signature;
//                the same content (by sha256) is hashed once and then served from the cache. With
//                add, the hashes join the tenant's index `index` under `key` (default: object_id).
//   image.match  {index, ahash|dhash|phash|pdq…, hash?, radius?, k?}: the entries of the tenant's index
//                within `radius` bits of the chosen hash (default pdq when given, else phash), nearest
//                first, at most k of them.
// Options (modules.fingerprint.*): dir (indexes and cache; default <data_dir>/fingerprint), max_pixels.
// Command: `tyto hash [--json] FILE…` (docs/modules/fingerprint.md).
// The audio half (modules/fingerprint/audio/) registers its own stages and commands beside these.
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

namespace tyto::cli {
struct ModuleServices;
}

namespace tyto::fingerprint {
class FingerprintIndex;
class HashCache;
}  // namespace tyto::fingerprint

namespace tyto::modules {

struct FingerprintOptions {
  std::filesystem::path dir;  // empty: memory only (tests)
  std::uint64_t max_pixels = 100'000'000;
};

class FingerprintModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "fingerprint";
  static std::vector<ComponentOption> options();
  static std::vector<CliCommand> commands();

  explicit FingerprintModule(const cli::ModuleServices& services);
  explicit FingerprintModule(FingerprintOptions options);
  ~FingerprintModule() override;

  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/fingerprint/pipelines/
  // Opens the hash cache and rebuilds every index from its log.
  void start() override;

  // The stages' work, callable without a job (tests).
  nlohmann::json hash(pipeline::StageContext& ctx, const nlohmann::json& input);
  nlohmann::json match(pipeline::StageContext& ctx, const nlohmann::json& input);
  // A tenant's index, opened (and rebuilt from its log) on first use. Throws tyto::Error
  // (validation_failed) for a name outside [a-z0-9_.-]{1,64}.
  fingerprint::FingerprintIndex& index(const std::string& tenant_id, const std::string& name);

 private:
  FingerprintOptions options_;
  std::mutex mutex_;  // guards indexes_ and cache_'s creation
  std::unique_ptr<fingerprint::HashCache> cache_;
  std::map<std::string, std::unique_ptr<fingerprint::FingerprintIndex>, std::less<>> indexes_;
  fingerprint::HashCache& cache();
};

}  // namespace tyto::modules
