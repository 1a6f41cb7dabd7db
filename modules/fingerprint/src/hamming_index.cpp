#include "tyto/fingerprint/hamming_index.hpp"

#include <algorithm>
#include <queue>

namespace tyto::fingerprint {
namespace {

constexpr int kBits = 16;
constexpr std::size_t kLinearBelow = 4096;

// The 16-bit masks of each weight 0..16, so a probe at substring distance s visits exactly the
// buckets s bits away.
const std::array<std::vector<std::uint16_t>, kBits + 1>& masks_by_weight() {
  static const auto masks = [] {
    std::array<std::vector<std::uint16_t>, kBits + 1> m;
    for (std::uint32_t v = 0; v < (1u << kBits); ++v) m[std::popcount(v)].push_back(static_cast<std::uint16_t>(v));
    return m;
  }();
  return masks;
}

std::uint16_t substring(std::uint64_t h, int t) { return static_cast<std::uint16_t>(h >> (kBits * t)); }

bool by_distance(const HammingMatch& a, const HammingMatch& b) {
  return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
}

template <class Bucket>
void remove_id(Bucket& bucket, std::uint32_t id) {
  const auto it = std::find_if(bucket.begin(), bucket.end(), [id](const auto& s) { return s.id == id; });
  if (it != bucket.end()) {
    *it = bucket.back();
    bucket.pop_back();
  }
}

// Keeps the k best matches seen so far; the worst is on top.
class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) {}
  void offer(HammingMatch m) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.push(m);
    } else if (by_distance(m, heap_.top())) {
      heap_.pop();
      heap_.push(m);
    }
  }
  bool full() const { return k_ > 0 && heap_.size() == k_; }
  bool would_keep(const HammingMatch& m) const { return k_ > 0 && (heap_.size() < k_ || by_distance(m, heap_.top())); }
  int worst() const { return heap_.top().distance; }
  std::vector<HammingMatch> sorted() {
    std::vector<HammingMatch> out;
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  struct Worse {
    bool operator()(const HammingMatch& a, const HammingMatch& b) const { return by_distance(a, b); }
  };
  std::size_t k_;
  std::priority_queue<HammingMatch, std::vector<HammingMatch>, Worse> heap_;
};

}  // namespace

void MultiIndexHash64::set(std::uint32_t id, std::uint64_t hash) {
  if (id >= hashes_.size()) {
    hashes_.resize(id + 1, 0);
    present_.resize(id + 1, false);
    in_tables_.resize(id + 1, false);
  }
  if (present_[id] && in_tables_[id] && hashes_[id] == hash) return;
  if (!present_[id]) ++live_;
  hashes_[id] = hash;
  present_[id] = true;
  in_tables_[id] = false;
  recent_.push_back(id);
  // Compacting costs O(size): after a number of changes that grows with the size, capped so the
  // linear scan of recent_ stays short.
  if (recent_.size() > std::clamp<std::size_t>(live_ / 16, 4096, 65536)) compact();
}

void MultiIndexHash64::erase(std::uint32_t id) {
  if (id >= hashes_.size() || !present_[id]) return;
  present_[id] = false;
  in_tables_[id] = false;
  --live_;
}

void MultiIndexHash64::compact() {
  // A counting sort of the present hashes by each substring.
  for (int t = 0; t < kTables; ++t) {
    Table& table = tables_[t];
    table.offsets.assign((std::size_t{1} << kBits) + 1, 0);
    for (std::uint32_t id = 0; id < hashes_.size(); ++id)
      if (present_[id]) ++table.offsets[substring(hashes_[id], t) + 1];
    for (std::size_t b = 1; b < table.offsets.size(); ++b) table.offsets[b] += table.offsets[b - 1];
    table.hashes.resize(live_);
    table.ids.resize(live_);
    std::vector<std::uint32_t> next(table.offsets.begin(), table.offsets.end() - 1);
    for (std::uint32_t id = 0; id < hashes_.size(); ++id)
      if (present_[id]) {
        const std::uint32_t at = next[substring(hashes_[id], t)]++;
        table.hashes[at] = hashes_[id];
        table.ids[at] = id;
      }
  }
  for (std::uint32_t id = 0; id < hashes_.size(); ++id) in_tables_[id] = present_[id];
  recent_.clear();
}

// Offers visit(id, distance, hash, first) every hash of the buckets `s` bits away from the query's
// substrings. first() tells whether this is the one visit to keep: the hash's smallest substring
// distance is exactly s and this is the first table where it occurs. visit calls it (and checks
// validity: an id erased or changed since the last compaction) only for hashes it would keep.
template <class Visit>
void MultiIndexHash64::probe(std::uint64_t query, int s, Visit&& visit) const {
  if (tables_[0].offsets.empty()) return;
  for (int t = 0; t < kTables; ++t) {
    const Table& table = tables_[t];
    const std::uint16_t q = substring(query, t);
    for (std::uint16_t mask : masks_by_weight()[s]) {
      const std::uint32_t bucket = q ^ mask;
      for (std::uint32_t at = table.offsets[bucket], end = table.offsets[bucket + 1]; at < end; ++at) {
        const std::uint64_t x = table.hashes[at] ^ query;
        visit(table.ids[at], std::popcount(x), table.hashes[at], [x, t, s] {
          for (int u = 0; u < kTables; ++u) {
            const int d = std::popcount(substring(x, u));
            if (d < s || (d == s && u < t)) return false;
          }
          return true;
        });
      }
    }
  }
}

template <class Visit>
void MultiIndexHash64::scan_recent(std::uint64_t query, Visit&& visit) const {
  for (std::uint32_t id : recent_)
    if (present_[id] && !in_tables_[id]) visit(HammingMatch{id, hamming(hashes_[id], query)});
}

std::vector<HammingMatch> MultiIndexHash64::scan(std::uint64_t query, int radius) const {
  std::vector<HammingMatch> out;
  for (std::uint32_t id = 0; id < hashes_.size(); ++id)
    if (present_[id]) {
      const int d = hamming(hashes_[id], query);
      if (d <= radius) out.push_back({id, d});
    }
  std::sort(out.begin(), out.end(), by_distance);
  return out;
}

std::vector<HammingMatch> MultiIndexHash64::within(std::uint64_t query, int radius) const {
  if (radius < 0) return {};
  if (live_ < kLinearBelow || radius >= 64) return scan(query, radius);
  std::vector<HammingMatch> out;
  for (int s = 0; s <= radius / kTables; ++s)
    probe(query, s, [&](std::uint32_t id, int distance, std::uint64_t hash, auto first) {
      if (distance <= radius && first() && valid_in_tables(id, hash)) out.push_back({id, distance});
    });
  scan_recent(query, [&](HammingMatch m) {
    if (m.distance <= radius) out.push_back(m);
  });
  std::sort(out.begin(), out.end(), by_distance);
  // recent_ may name an id twice (set twice since the last compaction).
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<HammingMatch> MultiIndexHash64::nearest(std::uint64_t query, std::size_t k) const {
  TopK best(k);
  if (live_ < kLinearBelow) {
    for (const auto& m : scan(query, 64)) best.offer(m);
    return best.sorted();
  }
  // The recent ids first, so the stopping test below accounts for them.
  std::vector<HammingMatch> recent;
  scan_recent(query, [&](HammingMatch m) { recent.push_back(m); });
  std::sort(recent.begin(), recent.end(), by_distance);
  recent.erase(std::unique(recent.begin(), recent.end()), recent.end());
  for (const auto& m : recent) best.offer(m);
  for (int s = 0; s <= kBits; ++s) {
    probe(query, s, [&](std::uint32_t id, int distance, std::uint64_t hash, auto first) {
      const HammingMatch m{id, distance};
      if (best.would_keep(m) && first() && valid_in_tables(id, hash)) best.offer(m);
    });
    // Every hash of the tables not yet seen differs in more than s bits on each substring.
    if (best.full() && best.worst() < kTables * (s + 1)) break;
  }
  return best.sorted();
}

void Hash256Index::set(std::uint32_t id, const Hash256& hash) {
  erase(id);
  if (id >= hashes_.size()) {
    hashes_.resize(id + 1);
    present_.resize(id + 1, false);
  }
  hashes_[id] = hash;
  present_[id] = true;
  ++live_;
}

void Hash256Index::erase(std::uint32_t id) {
  if (id >= hashes_.size() || !present_[id]) return;
  present_[id] = false;
  --live_;
}

std::vector<HammingMatch> Hash256Index::within(const Hash256& query, int radius) const {
  std::vector<HammingMatch> out;
  for (std::uint32_t id = 0; id < hashes_.size(); ++id)
    if (present_[id]) {
      const int d = hamming(hashes_[id], query);
      if (d <= radius) out.push_back({id, d});
    }
  std::sort(out.begin(), out.end(), by_distance);
  return out;
}

std::vector<HammingMatch> Hash256Index::nearest(const Hash256& query, std::size_t k) const {
  TopK best(k);
  for (std::uint32_t id = 0; id < hashes_.size(); ++id)
    if (present_[id]) best.offer({id, hamming(hashes_[id], query)});
  return best.sorted();
}

}  // namespace tyto::fingerprint
