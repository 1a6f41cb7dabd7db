#include "tyto/modules/fingerprint.hpp"

#include "tyto/fingerprint/audio_wiring.hpp"

#include "cli/components.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/fingerprint/fingerprint_index.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <regex>

namespace tyto {
std::span<const EmbeddedFile> embedded_fingerprint_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;
using namespace tyto::fingerprint;

constexpr std::size_t kMaxImageBytes = std::size_t{256} << 20;

const std::regex& index_name_pattern() {
  static const std::regex pattern("[a-z0-9_.-]{1,64}");
  return pattern;
}

json hash_schema() { return {{"type", "string"}, {"pattern", "^[0-9a-f]{16}$"}}; }

json input_schema_hash() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", {{"type", "string"}, {"minLength", 1}}},
            {"index", {{"type", "string"}, {"pattern", "^[a-z0-9_.-]{1,64}$"}}},
            {"key", {{"type", "string"}, {"minLength", 1}, {"maxLength", 500}}},
            {"add", {{"type", "boolean"}, {"default", false}}},
            {"hash", {{"type", "string"}, {"enum", {"ahash", "dhash", "phash", "pdq"}}}},
            {"radius", {{"type", "integer"}, {"minimum", 0}, {"maximum", 256}}},
            {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}}}};
}

json output_schema_hash() {
  return {
      {"type", "object"},
      {"required", {"object_id", "sha256", "ahash", "dhash", "phash", "pdq", "pdq_quality", "colour", "cached"}},
      {"properties",
       {{"object_id", {{"type", "string"}}},
        {"sha256", {{"type", "string"}}},
        {"ahash", hash_schema()},
        {"dhash", hash_schema()},
        {"phash", hash_schema()},
        {"pdq", {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}},
        {"pdq_quality", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
        {"colour",
         {{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", kColourBins}, {"maxItems", kColourBins}}},
        {"width", {{"type", "integer"}}},
        {"height", {{"type", "integer"}}},
        {"cached", {{"type", "boolean"}}},
        {"index", {{"type", "string"}}},
        {"hash", {{"type", "string"}}},
        {"radius", {{"type", "integer"}}},
        {"k", {{"type", "integer"}}}}}};
}

json input_schema_match() {
  return {{"type", "object"},
          {"required", {"index"}},
          {"properties",
           {{"index", {{"type", "string"}, {"pattern", "^[a-z0-9_.-]{1,64}$"}}},
            {"ahash", hash_schema()},
            {"dhash", hash_schema()},
            {"phash", hash_schema()},
            {"pdq", {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}},
            {"hash", {{"type", "string"}, {"enum", {"ahash", "dhash", "phash", "pdq"}}}},
            {"radius", {{"type", "integer"}, {"minimum", 0}, {"maximum", 256}}},
            {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 10}}}}}};
}

json output_schema_match() {
  return {{"type", "object"},
          {"required", {"index", "hash", "radius", "matches"}},
          {"properties",
           {{"index", {{"type", "string"}}},
            {"hash", {{"type", "string"}}},
            {"radius", {{"type", "integer"}}},
            {"matches",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"key", {{"type", "string"}}},
                  {"sha256", {{"type", "string"}}},
                  {"distance", {{"type", "integer"}}}}}}}}}}}};
}

}  // namespace

std::vector<ComponentOption> FingerprintModule::options() {
  return {{"dir", "string", "", "Folder of the image indexes and the hash cache (empty: <data_dir>/fingerprint)"},
          {"max_pixels", "integer", 100'000'000, "Largest image (width x height, as declared) that is decoded"}};
}

FingerprintModule::FingerprintModule(const cli::ModuleServices& services) {
  const auto& dir = services.config.option("modules.fingerprint.dir");
  options_.dir = dir.is_string() && !dir.get<std::string>().empty()
                     ? std::filesystem::path(dir.get<std::string>())
                     : std::filesystem::path(services.config.data_dir) / "fingerprint";
  const auto& max_pixels = services.config.option("modules.fingerprint.max_pixels");
  if (max_pixels.is_number_integer() && max_pixels.get<std::int64_t>() > 0)
    options_.max_pixels = max_pixels.get<std::uint64_t>();
}

FingerprintModule::FingerprintModule(FingerprintOptions options) : options_(std::move(options)) {}

FingerprintModule::~FingerprintModule() = default;

void FingerprintModule::start() {
  cache();
  const auto root = options_.dir / "indexes";
  std::error_code ec;
  if (options_.dir.empty() || !std::filesystem::is_directory(root, ec)) return;
  for (const auto& tenant : std::filesystem::directory_iterator(root))
    for (const auto& file : std::filesystem::directory_iterator(tenant.path()))
      if (file.path().extension() == ".jsonl") index(tenant.path().filename().string(), file.path().stem().string());
}

HashCache& FingerprintModule::cache() {
  std::lock_guard lock(mutex_);
  if (!cache_)
    cache_ =
        std::make_unique<HashCache>(options_.dir.empty() ? std::filesystem::path() : options_.dir / "hash-cache.jsonl");
  return *cache_;
}

FingerprintIndex& FingerprintModule::index(const std::string& tenant_id, const std::string& name) {
  if (!std::regex_match(name, index_name_pattern()) || !std::regex_match(tenant_id, index_name_pattern()))
    throw validation_error("invalid index name", {{"index", "must match [a-z0-9_.-]{1,64}"}});
  std::lock_guard lock(mutex_);
  const std::string id = tenant_id + "/" + name;
  auto it = indexes_.find(id);
  if (it == indexes_.end()) {
    const auto path =
        options_.dir.empty() ? std::filesystem::path() : options_.dir / "indexes" / tenant_id / (name + ".jsonl");
    it = indexes_.emplace(id, std::make_unique<FingerprintIndex>(path)).first;
  }
  return *it->second;
}

json FingerprintModule::hash(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  const pipeline::Artifact object = ctx.artifacts().stat(object_id);
  std::string sha256 = object.sha256;
  std::optional<ImageHashes> hashes = sha256.empty() ? std::nullopt : cache().get(sha256);
  const bool cached = hashes.has_value();
  if (!hashes) {
    const std::string bytes = ctx.artifacts().get(object_id, kMaxImageBytes);
    if (sha256.empty()) sha256 = sha256_hex(bytes);
    ctx.check_cancelled();
    try {
      hashes = hash_image(decode_image(bytes, DecodeOptions{.max_pixels = options_.max_pixels}));
    } catch (const Error& e) {
      throw pipeline::StageError(std::string(error_code_name(e.code())), e.what(), false);
    }
    cache().put(sha256, *hashes);
  }
  json out = hashes_json(*hashes);
  out["object_id"] = object_id;
  out["sha256"] = sha256;
  out["cached"] = cached;
  for (const char* passed : {"index", "hash", "radius", "k"})
    if (input.contains(passed)) out[passed] = input[passed];
  if (input.value("add", false)) {
    if (!input.contains("index")) throw pipeline::StageError("validation_failed", "add needs an index", false);
    const std::string key = input.value("key", object_id);
    index(ctx.tenant_id(), input.at("index").get<std::string>())
        .put({key, sha256, hashes->ahash, hashes->dhash, hashes->phash, hashes->pdq});
  }
  return out;
}

json FingerprintModule::match(pipeline::StageContext& ctx, const json& input) {
  const std::string name = input.at("index").get<std::string>();
  const std::string kind_name = input.value("hash", input.contains("pdq") ? "pdq" : "phash");
  const auto kind = parse_hash_kind(kind_name);
  if (!kind || !input.contains(kind_name))
    throw pipeline::StageError("validation_failed", fmt::format("the input has no {} to match", kind_name), false);
  HashQuery query{*kind, 0, {}};
  const std::string value = input.at(kind_name).get<std::string>();
  if (*kind == HashKind::kPdq) {
    const auto h = parse_hash256(value);
    if (!h) throw pipeline::StageError("validation_failed", "pdq is not 64 hex digits", false);
    query.h256 = *h;
  } else {
    const auto h = parse_hash64(value);
    if (!h) throw pipeline::StageError("validation_failed", kind_name + " is not 16 hex digits", false);
    query.h64 = *h;
  }
  const int radius = input.value("radius", default_match_radius(*kind));
  const auto k = static_cast<std::size_t>(input.value("k", 10));
  auto found = index(ctx.tenant_id(), name).within(query, radius);
  if (found.size() > k) found.resize(k);
  json matches = json::array();
  for (const auto& m : found) matches.push_back({{"key", m.key}, {"sha256", m.sha256}, {"distance", m.distance}});
  return {{"index", name}, {"hash", kind_name}, {"radius", radius}, {"matches", matches}};
}

void FingerprintModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add({"image.hash",
                "Perceptual hashes (aHash, dHash, pHash, PDQ) and colour signature of an image object; "
                "optionally adds them to a named index",
                input_schema_hash(), output_schema_hash(),
                [this](pipeline::StageContext& ctx, const json& input) { return hash(ctx, input); }});
  registry.add({"image.match", "Entries of a named index within a Hamming radius of a hash, nearest first",
                input_schema_match(), output_schema_match(),
                [this](pipeline::StageContext& ctx, const json& input) { return match(ctx, input); }});
  // The audio half (modules/fingerprint/audio/): audio.fingerprint and audio.match.
  fingerprint::register_audio_stages(registry);
}

std::vector<pipeline::PipelineFile> FingerprintModule::pipelines() const {
  return pipeline::pipeline_files(embedded_fingerprint_pipelines(), "modules/fingerprint/pipelines");
}

}  // namespace tyto::modules
