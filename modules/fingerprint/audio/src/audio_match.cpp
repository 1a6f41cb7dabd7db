#include "tyto/fingerprint/audio_match.hpp"

#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <unordered_map>

namespace tyto::fingerprint {
namespace {

constexpr std::size_t kSlices = 1u << 16;
// A slice filed under more items than this (silence, a drone) says nothing about where a query is.
constexpr std::size_t kMaxPostingsPerSlice = 4096;

std::uint16_t slice(std::uint32_t value, int key) { return static_cast<std::uint16_t>(value >> (16 * key)); }

}  // namespace

std::optional<Alignment> align_at(const std::vector<std::uint32_t>& query, const std::vector<std::uint32_t>& reference,
                                  int offset, const MatchParams& params) {
  const int m = static_cast<int>(query.size());
  const int n = static_cast<int>(reference.size());
  const int q_begin = std::max(0, -offset);
  const int q_end = std::min(m, n - offset);
  const int overlap = q_end - q_begin;
  if (overlap < std::max(1, params.min_overlap)) return std::nullopt;
  std::uint64_t errors = 0;
  for (int i = q_begin; i < q_end; ++i)
    errors += static_cast<std::uint64_t>(
        std::popcount(query[static_cast<std::size_t>(i)] ^ reference[static_cast<std::size_t>(i + offset)]));
  Alignment a;
  a.offset = offset;
  a.offset_s = offset * kItemSeconds;
  a.overlap = overlap;
  a.ber = static_cast<double>(errors) / (32.0 * overlap);
  a.score = std::max(0.0, 1.0 - 2.0 * a.ber);
  return a;
}

std::optional<Alignment> align(const std::vector<std::uint32_t>& query, const std::vector<std::uint32_t>& reference,
                               const MatchParams& params) {
  const int m = static_cast<int>(query.size());
  const int n = static_cast<int>(reference.size());
  const int min_overlap = std::max(1, std::min({params.min_overlap, m, n}));
  MatchParams p = params;
  p.min_overlap = min_overlap;
  std::optional<Alignment> best;
  for (int offset = min_overlap - m; offset <= n - min_overlap; ++offset) {
    auto a = align_at(query, reference, offset, p);
    if (a && (!best || a->ber < best->ber)) best = a;
  }
  return best;
}

double AudioIndex::total_seconds() const noexcept {
  double s = 0;
  for (const auto& t : tracks_) s += static_cast<double>(t.raw.size()) * kItemSeconds;
  return s;
}

void AudioIndex::post(std::uint32_t track_no) {
  if (postings_.empty()) postings_.resize(kKeys * kSlices);
  const auto& raw = tracks_[track_no].raw;
  for (std::uint32_t i = 0; i < raw.size(); ++i)
    for (int k = 0; k < kKeys; ++k) postings_[k * kSlices + slice(raw[i], k)].push_back({track_no, i});
}

void AudioIndex::rebuild() {
  postings_.assign(kKeys * kSlices, {});
  for (std::uint32_t t = 0; t < tracks_.size(); ++t) post(t);
}

void AudioIndex::add(Track track) {
  for (std::uint32_t t = 0; t < tracks_.size(); ++t) {
    if (tracks_[t].key != track.key) continue;
    // Replaced in place: only the old track's postings go, so re-indexing a catalog stays linear.
    for (const auto value : tracks_[t].raw) {
      for (int k = 0; k < kKeys; ++k) {
        auto& list = postings_[k * kSlices + slice(value, k)];
        std::erase_if(list, [t](const Posting& p) { return p.track == t; });
      }
    }
    tracks_[t] = std::move(track);
    post(t);
    return;
  }
  tracks_.push_back(std::move(track));
  post(static_cast<std::uint32_t>(tracks_.size() - 1));
}

bool AudioIndex::remove(const std::string& key) {
  const auto it = std::find_if(tracks_.begin(), tracks_.end(), [&](const Track& t) { return t.key == key; });
  if (it == tracks_.end()) return false;
  tracks_.erase(it);
  rebuild();
  return true;
}

std::optional<IndexMatch> AudioIndex::lookup(const std::vector<std::uint32_t>& query) const {
  auto all = lookup_all(query, 1);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

std::vector<IndexMatch> AudioIndex::lookup_all(const std::vector<std::uint32_t>& query, std::size_t max_tracks) const {
  if (query.empty() || tracks_.empty() || max_tracks == 0) return {};
  {
    std::vector<std::uint32_t> distinct(query);
    std::sort(distinct.begin(), distinct.end());
    if (std::unique(distinct.begin(), distinct.end()) - distinct.begin() < params_.min_distinct) return {};
  }
  // Votes for (track, offset); the offset is biased by the query's length so that it is never negative.
  const std::int64_t bias = static_cast<std::int64_t>(query.size());
  std::unordered_map<std::uint64_t, int> votes;
  votes.reserve(4096);
  for (std::uint32_t qi = 0; qi < query.size(); ++qi) {
    for (int k = 0; k < kKeys; ++k) {
      const auto& list = postings_[k * kSlices + slice(query[qi], k)];
      if (list.size() > kMaxPostingsPerSlice) continue;
      for (const auto& p : list) {
        const auto offset = static_cast<std::int64_t>(p.item) - qi + bias;
        ++votes[(static_cast<std::uint64_t>(p.track) << 32) | static_cast<std::uint64_t>(offset)];
      }
    }
  }
  std::vector<std::pair<int, std::uint64_t>> ranked;
  ranked.reserve(votes.size());
  for (const auto& [where, count] : votes)
    if (count >= 2) ranked.emplace_back(count, where);
  const auto keep = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(std::max(1, params_.candidates)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });

  MatchParams p = params_;
  p.min_overlap = std::min<int>(params_.min_overlap, static_cast<int>(query.size()));
  // The best alignment of each candidate track.
  std::unordered_map<std::uint32_t, IndexMatch> best;
  for (std::size_t c = 0; c < keep; ++c) {
    const auto track_no = static_cast<std::uint32_t>(ranked[c].second >> 32);
    const auto voted = static_cast<int>(static_cast<std::int64_t>(ranked[c].second & 0xffffffffu) - bias);
    const auto& track = tracks_[track_no];
    for (int o = voted - params_.refine; o <= voted + params_.refine; ++o) {
      auto a = align_at(query, track.raw, o, p);
      if (!a || a->score < params_.min_score) continue;
      auto it = best.find(track_no);
      if (it == best.end() || a->score > it->second.alignment.score)
        best.insert_or_assign(track_no, IndexMatch{track.key, *a});
    }
  }
  std::vector<IndexMatch> out;
  out.reserve(best.size());
  for (auto& [no, m] : best) out.push_back(std::move(m));
  std::sort(out.begin(), out.end(), [](const IndexMatch& a, const IndexMatch& b) {
    return a.alignment.score != b.alignment.score ? a.alignment.score > b.alignment.score : a.track < b.track;
  });
  if (out.size() > max_tracks) out.resize(max_tracks);
  return out;
}

// --- The index file ---

namespace {

constexpr char kMagic[8] = {'T', 'Y', 'T', 'O', 'F', 'P', 'A', '1'};

std::uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (const unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

class Reader {
 public:
  Reader(std::string_view bytes, const std::filesystem::path& path) : bytes_(bytes), path_(path) {}
  std::uint64_t u(int width) {
    need(static_cast<std::size_t>(width));
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    pos_ += static_cast<std::size_t>(width);
    return v;
  }
  std::string_view take(std::size_t n) {
    need(n);
    auto s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool done() const { return pos_ == bytes_.size(); }
  [[noreturn]] void damaged(std::string_view why) const {
    throw Error(ErrorCode::kValidationFailed, fmt::format("{}: not a Tyto audio index ({})", path_.string(), why),
                {{"reason", "damaged_index"}});
  }

 private:
  void need(std::size_t n) const {
    if (bytes_.size() - pos_ < n) damaged("truncated");
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
  const std::filesystem::path& path_;
};

}  // namespace

void AudioIndex::save(const std::filesystem::path& path) const {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, static_cast<std::uint32_t>(tracks_.size()));
  for (const auto& t : tracks_) {
    put_u32(out, static_cast<std::uint32_t>(t.key.size()));
    out += t.key;
    std::uint64_t duration_bits = 0;
    std::memcpy(&duration_bits, &t.duration_s, sizeof duration_bits);
    put_u64(out, duration_bits);
    put_u32(out, static_cast<std::uint32_t>(t.raw.size()));
    for (const auto v : t.raw) put_u32(out, v);
  }
  put_u32(out, crc32(out));

  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f)
      throw Error(ErrorCode::kInsufficientStorage, fmt::format("{}: cannot write the index", tmp.string()),
                  {{"reason", "write_failed"}});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw Error(ErrorCode::kInsufficientStorage,
                fmt::format("{}: cannot replace the index: {}", path.string(), ec.message()),
                {{"reason", "write_failed"}});
}

AudioIndex AudioIndex::load(const std::filesystem::path& path, MatchParams params) {
  AudioIndex index(params);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return index;
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Reader r(bytes, path);
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) r.damaged("no header");
  const auto body = std::string_view(bytes).substr(0, bytes.size() - 4);
  Reader tail(std::string_view(bytes).substr(bytes.size() - 4), path);
  if (crc32(body) != static_cast<std::uint32_t>(tail.u(4))) r.damaged("checksum mismatch");
  Reader in(body, path);
  in.take(sizeof kMagic);
  const auto count = in.u(4);
  for (std::uint64_t i = 0; i < count; ++i) {
    Track t;
    t.key = std::string(in.take(in.u(4)));
    const auto duration_bits = in.u(8);
    std::memcpy(&t.duration_s, &duration_bits, sizeof t.duration_s);
    const auto items = in.u(4);
    if (items > body.size() / 4) in.damaged("bad length");
    t.raw.resize(items);
    for (auto& v : t.raw) v = static_cast<std::uint32_t>(in.u(4));
    index.tracks_.push_back(std::move(t));
  }
  if (!in.done()) in.damaged("trailing bytes");
  index.rebuild();
  return index;
}

}  // namespace tyto::fingerprint
