// Multi-index hashing against brute force, and the persisted indexes and cache.
#include "tyto/fingerprint/hamming_index.hpp"
#include "support/test_support.hpp"
#include "tyto/fingerprint/fingerprint_index.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace tyto::fingerprint;
using namespace tyto::test;

namespace {

std::vector<HammingMatch> brute_within(const std::vector<std::uint64_t>& hashes, std::uint64_t q, int r) {
  std::vector<HammingMatch> out;
  for (std::uint32_t i = 0; i < hashes.size(); ++i)
    if (hamming(hashes[i], q) <= r) out.push_back({i, hamming(hashes[i], q)});
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return std::pair(a.distance, a.id) < std::pair(b.distance, b.id); });
  return out;
}

// A hash `bits` random bits away from h.
std::uint64_t flip(std::uint64_t h, int bits, std::mt19937_64& rng) {
  std::uint64_t flipped = 0;
  while (std::popcount(flipped) < bits) flipped |= 1ull << (rng() % 64);
  return h ^ flipped;
}

}  // namespace

TEST_CASE("Multi-index hashing finds exactly what a linear scan finds", "[fingerprint][index]") {
  std::mt19937_64 rng(42);
  // Random hashes plus clusters of near neighbours, above the size where the index scans linearly.
  std::vector<std::uint64_t> hashes;
  for (int i = 0; i < 20000; ++i) hashes.push_back(rng());
  for (int c = 0; c < 200; ++c) {
    const std::uint64_t centre = hashes[rng() % hashes.size()];
    for (int i = 0; i < 10; ++i) hashes.push_back(flip(centre, 1 + rng() % 12, rng));
  }
  MultiIndexHash64 index;
  for (std::uint32_t i = 0; i < hashes.size(); ++i) index.set(i, hashes[i]);
  REQUIRE(index.size() == hashes.size());

  for (int t = 0; t < 300; ++t) {
    const std::uint64_t q = t % 2 ? rng() : flip(hashes[rng() % hashes.size()], rng() % 6, rng);
    const int radius = static_cast<int>(rng() % 21);
    INFO("radius " << radius);
    CHECK(index.within(q, radius) == brute_within(hashes, q, radius));
    const std::size_t k = 1 + rng() % 20;
    const auto all = brute_within(hashes, q, 64);
    CHECK(index.nearest(q, k) == std::vector<HammingMatch>(all.begin(), all.begin() + k));
  }

  // Replacing and erasing keep the tables consistent.
  for (std::uint32_t i = 0; i < 2000; ++i) {
    hashes[i] = rng();
    index.set(i, hashes[i]);
  }
  index.erase(5);
  const auto q = hashes[5];
  auto expected = brute_within(hashes, q, 10);
  expected.erase(std::remove_if(expected.begin(), expected.end(), [](auto& m) { return m.id == 5; }), expected.end());
  CHECK(index.within(q, 10) == expected);
  CHECK(index.size() == hashes.size() - 1);
}

TEST_CASE("The 256-bit index finds what a scan finds", "[fingerprint][index]") {
  std::mt19937_64 rng(5);
  Hash256Index index;
  std::vector<Hash256> hashes;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    hashes.push_back({{rng(), rng(), rng(), rng()}});
    index.set(i, hashes.back());
  }
  Hash256 q = hashes[17];
  q.words[2] ^= 0xff;  // 8 bits away
  const auto found = index.within(q, 100);
  REQUIRE(!found.empty());
  CHECK(found[0] == HammingMatch{17, 8});
  for (std::size_t i = 1; i < found.size(); ++i) CHECK(found[i].distance >= found[i - 1].distance);
  for (const auto& m : found) CHECK(hamming(hashes[m.id], q) == m.distance);
  const auto near = index.nearest(q, 3);
  REQUIRE(near.size() == 3);
  CHECK(near[0].id == 17);
}

TEST_CASE("An index and the hash cache are rebuilt from their logs", "[fingerprint][index]") {
  TempDir dir;
  const auto path = dir.path() / "indexes" / "tenant" / "brand.jsonl";
  std::mt19937_64 rng(9);
  std::vector<IndexEntry> entries;
  {
    FingerprintIndex index(path);
    for (int i = 0; i < 5000; ++i) {
      entries.push_back(
          {"key" + std::to_string(i), "sha" + std::to_string(i), rng(), rng(), rng(), {{rng(), rng(), rng(), rng()}}});
      index.put(entries.back());
    }
    // A later put of the same key replaces the entry.
    entries[10].phash = ~entries[10].phash;
    index.put(entries[10]);
    CHECK(index.size() == 5000);
  }
  // A crash in the middle of an append leaves a torn last line, which is skipped.
  {
    std::ofstream torn(path, std::ios::app);
    torn << R"({"key":"half","sha256":"x","ahash":"00)";
  }
  FingerprintIndex reopened(path);
  CHECK(reopened.size() == 5000);
  CHECK_FALSE(reopened.find("half"));
  for (const HashKind kind : {HashKind::kAhash, HashKind::kDhash, HashKind::kPhash, HashKind::kPdq}) {
    for (int i : {0, 10, 4999}) {
      const auto& e = entries[i];
      HashQuery q{kind, kind == HashKind::kAhash ? e.ahash : kind == HashKind::kDhash ? e.dhash : e.phash, e.pdq};
      const auto found = reopened.within(q, 0);
      REQUIRE(found.size() == 1);
      CHECK(found[0].key == e.key);
      CHECK(found[0].sha256 == e.sha256);
    }
  }

  ImageHashes h;
  h.ahash = 1;
  h.phash = 0xabcdef;
  h.pdq.words[1] = 77;
  h.pdq_quality = 55;
  h.colour[3] = 0.5f;
  {
    HashCache cache(dir.path() / "hash-cache.jsonl");
    cache.put("sha-xyz", h);
    cache.put("sha-xyz", h);  // a second put of the same content is not logged again
  }
  CHECK(read_file(dir.path() / "hash-cache.jsonl").find("sha-xyz") ==
        read_file(dir.path() / "hash-cache.jsonl").rfind("sha-xyz"));
  HashCache cache(dir.path() / "hash-cache.jsonl");
  REQUIRE(cache.get("sha-xyz"));
  CHECK(cache.get("sha-xyz")->phash == 0xabcdef);
  CHECK(cache.get("sha-xyz")->pdq == h.pdq);
  CHECK(cache.get("sha-xyz")->pdq_quality == 55);
  CHECK(cache.get("sha-xyz")->colour[3] == 0.5f);
  CHECK_FALSE(cache.get("other"));
}
