#include "tyto/fingerprint/fingerprint_index.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <mutex>
#include <stdexcept>

namespace tyto::fingerprint {
namespace {

using nlohmann::json;

std::uint64_t hex64(const json& j, const char* field) {
  const auto v = parse_hash64(j.at(field).get<std::string>());
  if (!v) throw std::invalid_argument(fmt::format("{} is not 16 hex digits", field));
  return *v;
}

Hash256 hex256(const json& j, const char* field) {
  const auto v = parse_hash256(j.at(field).get<std::string>());
  if (!v) throw std::invalid_argument(fmt::format("{} is not 64 hex digits", field));
  return *v;
}

// Replays a JSON-lines log into `apply`; a torn last line (no newline) is skipped.
template <class Apply>
void replay(const std::filesystem::path& path, Apply&& apply) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t at = 0, line = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string::npos) break;
    ++line;
    try {
      apply(json::parse(std::string_view(text).substr(at, end - at)));
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kInternal, fmt::format("{} line {} is damaged: {}", path.string(), line, e.what()));
    }
    at = end + 1;
  }
}

std::ofstream open_log(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) throw Error(ErrorCode::kUnavailable, fmt::format("cannot open {}", path.string()));
  return out;
}

// Opens the log on the first write, so a start with nothing to add writes nothing (a read-only data
// folder still serves queries).
void append(std::ofstream& log, const std::filesystem::path& path, const json& record) {
  if (path.empty()) return;
  if (!log.is_open()) log = open_log(path);
  log << record.dump() << '\n';
  log.flush();
  if (!log) throw Error(ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string()));
}

json entry_json(const IndexEntry& e) {
  return {{"key", e.key},
          {"sha256", e.sha256},
          {"ahash", to_hex(e.ahash)},
          {"dhash", to_hex(e.dhash)},
          {"phash", to_hex(e.phash)},
          {"pdq", to_hex(e.pdq)}};
}

IndexEntry entry_from_json(const json& j) {
  return {j.at("key").get<std::string>(),
          j.value("sha256", ""),
          hex64(j, "ahash"),
          hex64(j, "dhash"),
          hex64(j, "phash"),
          hex256(j, "pdq")};
}

}  // namespace

std::optional<HashKind> parse_hash_kind(std::string_view name) {
  if (name == "ahash") return HashKind::kAhash;
  if (name == "dhash") return HashKind::kDhash;
  if (name == "phash") return HashKind::kPhash;
  if (name == "pdq") return HashKind::kPdq;
  return std::nullopt;
}

int default_match_radius(HashKind kind) {
  switch (kind) {
    case HashKind::kAhash:
      return 6;
    case HashKind::kDhash:
      return 10;
    case HashKind::kPhash:
      return 12;
    case HashKind::kPdq:
      return 64;
  }
  return 0;
}

std::string_view hash_kind_name(HashKind kind) {
  switch (kind) {
    case HashKind::kAhash:
      return "ahash";
    case HashKind::kDhash:
      return "dhash";
    case HashKind::kPhash:
      return "phash";
    case HashKind::kPdq:
      return "pdq";
  }
  return "";
}

json hashes_json(const ImageHashes& h) {
  json colour = json::array();
  for (float v : h.colour) colour.push_back(std::round(static_cast<double>(v) * 1e4) / 1e4);  // 4 places are plenty
  return {
      {"ahash", to_hex(h.ahash)},     {"dhash", to_hex(h.dhash)}, {"phash", to_hex(h.phash)}, {"pdq", to_hex(h.pdq)},
      {"pdq_quality", h.pdq_quality}, {"colour", colour},         {"width", h.width},         {"height", h.height}};
}

ImageHashes hashes_from_json(const json& j) {
  ImageHashes h;
  try {
    h.ahash = hex64(j, "ahash");
    h.dhash = hex64(j, "dhash");
    h.phash = hex64(j, "phash");
    h.pdq = hex256(j, "pdq");
    h.pdq_quality = j.at("pdq_quality").get<int>();
    h.colour = j.at("colour").get<ColourSignature>();
    h.width = j.value("width", 0);
    h.height = j.value("height", 0);
  } catch (const json::exception& e) {
    throw std::invalid_argument(e.what());
  }
  return h;
}

FingerprintIndex::FingerprintIndex(std::filesystem::path log_path) : path_(std::move(log_path)) {
  if (path_.empty()) return;
  replay(path_, [&](const json& j) { apply(entry_from_json(j)); });
  ahash_.compact();
  dhash_.compact();
  phash_.compact();
}

void FingerprintIndex::apply(const IndexEntry& e) {
  auto [it, inserted] = slots_.try_emplace(e.key, static_cast<std::uint32_t>(entries_.size()));
  const std::uint32_t slot = it->second;
  if (inserted) entries_.push_back(e);
  entries_[slot] = e;
  ahash_.set(slot, e.ahash);
  dhash_.set(slot, e.dhash);
  phash_.set(slot, e.phash);
  pdq_.set(slot, e.pdq);
}

void FingerprintIndex::put(const IndexEntry& entry) {
  std::unique_lock lock(mutex_);
  append(log_, path_, entry_json(entry));
  apply(entry);
}

std::size_t FingerprintIndex::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

std::optional<IndexEntry> FingerprintIndex::find(std::string_view key) const {
  std::shared_lock lock(mutex_);
  const auto it = slots_.find(std::string(key));
  if (it == slots_.end()) return std::nullopt;
  return entries_[it->second];
}

std::vector<IndexMatch> FingerprintIndex::named(const std::vector<HammingMatch>& matches) const {
  std::vector<IndexMatch> out;
  out.reserve(matches.size());
  for (const auto& m : matches) out.push_back({entries_[m.id].key, entries_[m.id].sha256, m.distance});
  return out;
}

std::vector<IndexMatch> FingerprintIndex::within(const HashQuery& q, int radius) const {
  std::shared_lock lock(mutex_);
  switch (q.kind) {
    case HashKind::kAhash:
      return named(ahash_.within(q.h64, radius));
    case HashKind::kDhash:
      return named(dhash_.within(q.h64, radius));
    case HashKind::kPhash:
      return named(phash_.within(q.h64, radius));
    case HashKind::kPdq:
      return named(pdq_.within(q.h256, radius));
  }
  return {};
}

std::vector<IndexMatch> FingerprintIndex::nearest(const HashQuery& q, std::size_t k) const {
  std::shared_lock lock(mutex_);
  switch (q.kind) {
    case HashKind::kAhash:
      return named(ahash_.nearest(q.h64, k));
    case HashKind::kDhash:
      return named(dhash_.nearest(q.h64, k));
    case HashKind::kPhash:
      return named(phash_.nearest(q.h64, k));
    case HashKind::kPdq:
      return named(pdq_.nearest(q.h256, k));
  }
  return {};
}

HashCache::HashCache(std::filesystem::path log_path) : path_(std::move(log_path)) {
  if (path_.empty()) return;
  replay(path_, [&](const json& j) { hashes_[j.at("sha256").get<std::string>()] = hashes_from_json(j.at("hashes")); });
}

std::optional<ImageHashes> HashCache::get(std::string_view sha256) const {
  std::shared_lock lock(mutex_);
  const auto it = hashes_.find(std::string(sha256));
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

void HashCache::put(const std::string& sha256, const ImageHashes& hashes) {
  std::unique_lock lock(mutex_);
  if (hashes_.contains(sha256)) return;
  append(log_, path_, {{"sha256", sha256}, {"hashes", hashes_json(hashes)}});
  hashes_[sha256] = hashes;
}

std::size_t HashCache::size() const {
  std::shared_lock lock(mutex_);
  return hashes_.size();
}

}  // namespace tyto::fingerprint
