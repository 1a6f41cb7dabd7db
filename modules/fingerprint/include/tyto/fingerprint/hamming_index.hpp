// Nearest-neighbour search in Hamming space.
//
// MultiIndexHash64 is multi-index hashing (Norouzi, Punjani and Fleet, 2012) over 64-bit hashes: each
// hash is cut into four 16-bit substrings, each with a table of 65,536 buckets. Two hashes within
// distance r agree to within floor(r / 4) bits on at least one substring (pigeonhole), so a radius
// query probes, in each table, the buckets within that many bits of the query's substring, and checks
// the candidates' full distance: exact, not approximate. k-nearest grows the probe radius until k
// hashes are known to be nearest. Small indexes (under 4,096 hashes) are scanned linearly instead.
//
// Hash256Index is a linear popcount scan (for PDQ's 256 bits; ~1 ms per million entries).
//
// Ids are the caller's dense slot numbers (0, 1, 2…). Not thread-safe: the caller serialises writers
// against readers (FingerprintIndex does).
#pragma once

#include "tyto/fingerprint/image_hash.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace tyto::fingerprint {

struct HammingMatch {
  std::uint32_t id = 0;
  int distance = 0;
  bool operator==(const HammingMatch&) const = default;
};

class MultiIndexHash64 {
 public:
  // Sets slot `id` to `hash` (replacing what it held); slots between the last one and id stay empty.
  void set(std::uint32_t id, std::uint64_t hash);
  void erase(std::uint32_t id);
  std::size_t size() const noexcept { return live_; }
  // Folds recent changes into the tables now (set and erase do it when enough have gathered); call
  // after a bulk load so queries need not scan the changes.
  void compact();

  // Every hash within `radius` bits, ordered by distance then id.
  std::vector<HammingMatch> within(std::uint64_t query, int radius) const;
  // The k nearest hashes (ties at the k-th distance broken by lower id), ordered by distance then id.
  std::vector<HammingMatch> nearest(std::uint64_t query, std::size_t k) const;

 private:
  static constexpr int kTables = 4;
  // One table per 16-bit substring, in compressed-row form: the entries of bucket b are
  // [offsets[b], offsets[b + 1]) of hashes and ids, so a probe reads contiguous memory.
  struct Table {
    std::vector<std::uint32_t> offsets;
    std::vector<std::uint64_t> hashes;
    std::vector<std::uint32_t> ids;
  };
  std::array<Table, kTables> tables_;
  std::vector<std::uint64_t> hashes_;
  std::vector<bool> present_;
  std::vector<bool> in_tables_;        // the tables hold this id with its current hash
  std::vector<std::uint32_t> recent_;  // ids set since the last compaction, scanned linearly
  std::size_t live_ = 0;

  bool valid_in_tables(std::uint32_t id, std::uint64_t hash) const {
    return present_[id] && in_tables_[id] && hashes_[id] == hash;
  }
  template <class Visit>
  void probe(std::uint64_t query, int substring_distance, Visit&& visit) const;
  template <class Visit>
  void scan_recent(std::uint64_t query, Visit&& visit) const;
  std::vector<HammingMatch> scan(std::uint64_t query, int radius) const;
};

class Hash256Index {
 public:
  void set(std::uint32_t id, const Hash256& hash);
  void erase(std::uint32_t id);
  std::size_t size() const noexcept { return live_; }
  std::vector<HammingMatch> within(const Hash256& query, int radius) const;
  std::vector<HammingMatch> nearest(const Hash256& query, std::size_t k) const;

 private:
  std::vector<Hash256> hashes_;
  std::vector<bool> present_;
  std::size_t live_ = 0;
};

}  // namespace tyto::fingerprint
