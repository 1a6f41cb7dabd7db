#include "catalog_index.hpp"

#include "tyto/core/logging.hpp"
#include "tyto/fingerprint/audio.hpp"

namespace tyto::products::music {

std::shared_ptr<const CatalogIndex::Snapshot> CatalogIndex::current(const std::string& tenant_id) {
  const auto generation = store_.generation(tenant_id);
  {
    std::lock_guard lock(mutex_);
    if (auto it = tenants_.find(tenant_id); it != tenants_.end() && it->second->generation == generation)
      return it->second;
  }
  // Built outside the lock: another tenant's lookups go on meanwhile. Two threads may build the same
  // generation; the later one simply replaces an equal index.
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->generation = generation;
  for (const auto& song : store_.indexed_songs(tenant_id)) {
    try {
      snapshot->index.add(
          {song.id, song.duration_s.value_or(0), fingerprint::decompress_fingerprint(*song.fingerprint)});
    } catch (const std::exception& e) {
      log::warn("music: a song's fingerprint is unreadable and left out of the index",
                {{"song_id", song.id}, {"error", e.what()}});
    }
  }
  std::lock_guard lock(mutex_);
  tenants_[tenant_id] = snapshot;
  return snapshot;
}

std::pair<std::vector<CatalogMatch>, std::int64_t> CatalogIndex::match(const std::string& tenant_id,
                                                                       const std::vector<std::uint32_t>& query,
                                                                       std::size_t max) {
  const auto snapshot = current(tenant_id);
  std::vector<CatalogMatch> out;
  for (auto& m : snapshot->index.lookup_all(query, max)) out.push_back({m.track, m.alignment});
  // Another recording played faster or slower (a remaster, a live cut) drifts out of step with the reference
  // within seconds: when nothing matched as it is, the query's items are resampled to a few tempo ratios
  // (±8 % in 2 % steps, nearest first) and looked up again.
  for (const double ratio : {1.02, 0.98, 1.04, 0.96, 1.06, 0.94, 1.08, 0.92}) {
    if (!out.empty()) break;
    std::vector<std::uint32_t> scaled;
    scaled.reserve(static_cast<std::size_t>(static_cast<double>(query.size()) / ratio) + 1);
    for (double i = 0; i < static_cast<double>(query.size()); i += ratio) {
      scaled.push_back(query[static_cast<std::size_t>(i)]);
    }
    for (auto& m : snapshot->index.lookup_all(scaled, max)) {
      // Offsets of a resampled query are in the reference's items: the upload's start is where it says.
      out.push_back({m.track, m.alignment});
    }
  }
  return {std::move(out), snapshot->generation};
}

std::shared_ptr<const std::vector<std::uint32_t>> CatalogIndex::reference(const std::string& tenant_id,
                                                                          const std::string& song_id) {
  const auto snapshot = current(tenant_id);
  for (const auto& t : snapshot->index.tracks()) {
    if (t.key == song_id) return std::shared_ptr<const std::vector<std::uint32_t>>(snapshot, &t.raw);
  }
  return nullptr;
}

}  // namespace tyto::products::music
