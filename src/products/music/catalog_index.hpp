// The catalog's fingerprint index: per tenant, an in-memory AudioIndex of its ready songs, rebuilt from the
// database when the catalog's generation (MusicStore::generation) moved — a song added, changed or archived by
// this instance or another one on the same database. Thread-safe: lookups of a tenant share its index; a
// rebuild swaps it in whole.
#pragma once

#include "store.hpp"
#include "tyto/fingerprint/audio_match.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tyto::products::music {

struct CatalogMatch {
  std::string song_id;
  fingerprint::Alignment alignment;
};

class CatalogIndex {
 public:
  explicit CatalogIndex(MusicStore& store) : store_(store) {}

  // The songs a query fingerprint matches, best first (at most `max`), and the generation they were found in.
  std::pair<std::vector<CatalogMatch>, std::int64_t> match(const std::string& tenant_id,
                                                           const std::vector<std::uint32_t>& query,
                                                           std::size_t max = 5);
  // The raw fingerprint of a ready song (its reference recording), for aligning a map's audio with an upload.
  std::shared_ptr<const std::vector<std::uint32_t>> reference(const std::string& tenant_id, const std::string& song_id);

 private:
  struct Snapshot {
    std::int64_t generation = -1;
    fingerprint::AudioIndex index;
  };
  std::shared_ptr<const Snapshot> current(const std::string& tenant_id);

  MusicStore& store_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Snapshot>> tenants_;  // GUARDED_BY(mutex_)
};

}  // namespace tyto::products::music
