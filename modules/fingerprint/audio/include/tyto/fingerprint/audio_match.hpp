// Aligning fingerprints, and an index over a catalog of tracks that finds where a short query (a
// 10-second clip) sits in hours of audio.
//
// Alignment: for each offset o of the query against the reference, the bit-error rate (BER) is the
// fraction of differing bits over the overlapping sub-fingerprints; the best offset is the one with
// the lowest BER over at least `min_overlap` items. score = max(0, 1 - 2·BER): 1 for identical
// fingerprints, about 0 for unrelated audio (whose bits agree half the time).
//
// The index: every sub-fingerprint of every track is filed under kKeys keys (disjoint slices of its
// bits), so a query item whose slice survived the noise votes for (track, track item − query item).
// The best-voted offsets are then aligned exactly (± a few items) and the best score above the
// threshold wins. Thread-safety: const methods may run concurrently; add/remove need exclusive use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tyto::fingerprint {

struct Alignment {
  int offset = 0;       // reference item aligned with query item 0 (negative: query starts earlier)
  double offset_s = 0;  // offset · kItemSeconds
  double ber = 1;       // bit-error rate at that offset
  double score = 0;     // max(0, 1 − 2·ber)
  int overlap = 0;      // items compared
};

struct MatchParams {
  int min_overlap = 40;     // items (≈ 5 s) that must overlap for an offset to count
  double min_score = 0.50;  // below it there is no match (unrelated music scored ≤ 0.37, clips ≥ 0.74)
  int min_distinct = 8;     // a query with fewer distinct sub-fingerprints (silence) matches nothing
  int candidates = 24;      // best-voted (track, offset) pairs the index aligns exactly
  int refine = 3;           // ± items around a voted offset that are aligned exactly
};

// The best alignment of `query` against `reference` over every offset with enough overlap, or
// nullopt when the two are too short to overlap by min_overlap items.
std::optional<Alignment> align(const std::vector<std::uint32_t>& query, const std::vector<std::uint32_t>& reference,
                               const MatchParams& params = {});

// The alignment at one offset (nullopt when the overlap is under min_overlap).
std::optional<Alignment> align_at(const std::vector<std::uint32_t>& query, const std::vector<std::uint32_t>& reference,
                                  int offset, const MatchParams& params = {});

struct Track {
  std::string key;  // what the catalog calls it (the CLI: the file's path)
  double duration_s = 0;
  std::vector<std::uint32_t> raw;
};

struct IndexMatch {
  std::string track;
  Alignment alignment;
};

class AudioIndex {
 public:
  static constexpr int kKeys = 2;  // 16-bit slices per sub-fingerprint

  explicit AudioIndex(MatchParams params = {}) : params_(params) {}

  // Adds a track, replacing one of the same key.
  void add(Track track);
  bool remove(const std::string& key);
  std::size_t size() const noexcept { return tracks_.size(); }
  const std::vector<Track>& tracks() const noexcept { return tracks_; }
  double total_seconds() const noexcept;

  // The best match of a query above params.min_score, or nullopt (also for a query without content:
  // fewer than params.min_distinct distinct sub-fingerprints, as silence gives).
  std::optional<IndexMatch> lookup(const std::vector<std::uint32_t>& query) const;
  // The best match of each track above params.min_score, best first (ties by key), at most max_tracks: the
  // candidates of a lookup, for a catalog that holds several versions of one song.
  std::vector<IndexMatch> lookup_all(const std::vector<std::uint32_t>& query, std::size_t max_tracks) const;

  // The index file: "TYTOFPA1", then per track its key, duration and raw fingerprint (little-endian),
  // then a CRC-32 of everything before it. Written to a temporary file and renamed into place, so a
  // crash leaves the old file. load() of a missing file gives an empty index; of a damaged one throws
  // tyto::Error validation_failed.
  void save(const std::filesystem::path& path) const;
  static AudioIndex load(const std::filesystem::path& path, MatchParams params = {});

  const MatchParams& params() const noexcept { return params_; }

 private:
  struct Posting {
    std::uint32_t track;
    std::uint32_t item;
  };
  void rebuild();
  void post(std::uint32_t track_no);

  MatchParams params_;
  std::vector<Track> tracks_;
  // postings_[key · 65536 + slice]: where each 16-bit slice occurs.
  std::vector<std::vector<Posting>> postings_;
};

}  // namespace tyto::fingerprint
