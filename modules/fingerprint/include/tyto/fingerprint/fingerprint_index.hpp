// Named, persisted fingerprint indexes and the cache of hashes by content.
//
// Both keep everything in memory and append each change to a JSON-lines log on local disk (opened, and
// its folder made, on the first change), which is replayed when they are opened: the index is rebuilt
// at start from its own log. A log's last line
// torn by a crash is skipped; any other unreadable line throws tyto::Error (internal) so a damaged file
// is noticed rather than silently shortened. A later line for the same key replaces an earlier one.
//
// Thread-safe: readers share, writers are exclusive. Writes throw tyto::Error(unavailable) when the
// log cannot be written; memory is then left unchanged.
#pragma once

#include "tyto/fingerprint/hamming_index.hpp"
#include "tyto/fingerprint/image_hash.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace tyto::fingerprint {

enum class HashKind { kAhash, kDhash, kPhash, kPdq };
std::optional<HashKind> parse_hash_kind(std::string_view name);  // "ahash", "dhash", "phash", "pdq"
std::string_view hash_kind_name(HashKind kind);
// The radius image.match uses when the input names none: for each hash about 70% of the smallest radius
// that kept precision at or above 99% on any of the transforms measured in docs/quality.md ("Image
// fingerprints"), the margin standing for collections larger than the 59 photos measured.
int default_match_radius(HashKind kind);

struct IndexEntry {
  std::string key;  // the caller's name for the image: an object id, a URL
  std::string sha256;
  std::uint64_t ahash = 0;
  std::uint64_t dhash = 0;
  std::uint64_t phash = 0;
  Hash256 pdq;
};

struct IndexMatch {
  std::string key;
  std::string sha256;
  int distance = 0;
};

// One query: the kind and its value (h64 for the 64-bit kinds, h256 for PDQ).
struct HashQuery {
  HashKind kind = HashKind::kPhash;
  std::uint64_t h64 = 0;
  Hash256 h256;
};

class FingerprintIndex {
 public:
  // An empty path keeps the index in memory only.
  explicit FingerprintIndex(std::filesystem::path log_path = {});
  void put(const IndexEntry& entry);
  std::size_t size() const;
  std::optional<IndexEntry> find(std::string_view key) const;
  std::vector<IndexMatch> within(const HashQuery& query, int radius) const;
  std::vector<IndexMatch> nearest(const HashQuery& query, std::size_t k) const;

 private:
  void apply(const IndexEntry& entry);  // callers hold mutex_ exclusively
  std::vector<IndexMatch> named(const std::vector<HammingMatch>& matches) const;

  std::filesystem::path path_;
  mutable std::shared_mutex mutex_;
  std::ofstream log_;
  std::vector<IndexEntry> entries_;
  std::unordered_map<std::string, std::uint32_t> slots_;
  MultiIndexHash64 ahash_, dhash_, phash_;
  Hash256Index pdq_;
};

// Hashes by content sha256, so the same bytes are never hashed twice.
class HashCache {
 public:
  explicit HashCache(std::filesystem::path log_path = {});
  std::optional<ImageHashes> get(std::string_view sha256) const;
  void put(const std::string& sha256, const ImageHashes& hashes);
  std::size_t size() const;

 private:
  std::filesystem::path path_;
  mutable std::shared_mutex mutex_;
  std::ofstream log_;
  std::unordered_map<std::string, ImageHashes> hashes_;
};

// The JSON form of hashes used by the stages, the CLI and the logs: lower-case hex.
nlohmann::json hashes_json(const ImageHashes& h);
ImageHashes hashes_from_json(const nlohmann::json& j);  // throws std::invalid_argument

}  // namespace tyto::fingerprint
