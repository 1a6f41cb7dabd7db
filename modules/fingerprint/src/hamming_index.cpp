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

void remove_id(std::vector<std::uint32_t>& bucket, std::uint32_t id) {
  const auto it = std::find(bucket.begin(), bucket.end(), id);
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

MultiIndexHash64::MultiIndexHash64() {
  for (auto& t : tables_) t.resize(std::size_t{1} << kBits);
}

void MultiIndexHash64::set(std::uint32_t id, std::uint64_t hash) {
  erase(id);
  if (id >= hashes_.size()) {
    hashes_.resize(id + 1, 0);
    present_.resize(id + 1, false);
  }
  hashes_[id] = hash;
  present_[id] = true;
  ++live_;
  for (int t = 0; t < kTables; ++t) tables_[t][substring(hash, t)].push_back(id);
}

void MultiIndexHash64::erase(std::uint32_t id) {
  if (id >= hashes_.size() || !present_[id]) return;
  for (int t = 0; t < kTables; ++t) remove_id(tables_[t][substring(hashes_[id], t)], id);
  present_[id] = false;
  --live_;
}

// Visits each hash whose smallest substring distance to the query is exactly `s`, once: from the
// first table where that smallest distance occurs.
template <class Visit>
void MultiIndexHash64::probe(std::uint64_t query, int s, Visit&& visit) const {
  for (int t = 0; t < kTables; ++t) {
    const std::uint16_t q = substring(query, t);
    for (std::uint16_t mask : masks_by_weight()[s]) {
      for (std::uint32_t id : tables_[t][q ^ mask]) {
        const std::uint64_t x = hashes_[id] ^ query;
        bool first = true;
        int distance = 0;
        for (int u = 0; u < kTables; ++u) {
          const int d = std::popcount(substring(x, u));
          distance += d;
          if (d < s || (d == s && u < t)) first = false;
        }
        if (first) visit(HammingMatch{id, distance});
      }
    }
  }
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
    probe(query, s, [&](HammingMatch m) {
      if (m.distance <= radius) out.push_back(m);
    });
  std::sort(out.begin(), out.end(), by_distance);
  return out;
}

std::vector<HammingMatch> MultiIndexHash64::nearest(std::uint64_t query, std::size_t k) const {
  TopK best(k);
  if (live_ < kLinearBelow) {
    for (const auto& m : scan(query, 64)) best.offer(m);
    return best.sorted();
  }
  for (int s = 0; s <= kBits; ++s) {
    probe(query, s, [&](HammingMatch m) { best.offer(m); });
    // Every hash not yet seen differs in more than s bits on each substring.
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
