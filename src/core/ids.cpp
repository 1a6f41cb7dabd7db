#include "tyto/core/ids.hpp"

#include "tyto/core/hash.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>

namespace tyto {
namespace {

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng = [] {
    std::string seed = random_bytes(sizeof(std::uint64_t));
    std::uint64_t s = 0;
    std::memcpy(&s, seed.data(), sizeof s);
    return std::mt19937_64(s);
  }();
  return rng;
}

}  // namespace

std::string new_uuid_v7() {
  const auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  auto& rng = thread_rng();
  const std::uint64_t r1 = rng();
  const std::uint64_t r2 = rng();
  // Ids of one process sort in the order they were made (RFC 9562, method 1): within a millisecond the 12 bits
  // of rand_a count up from a random start below 0x800; past 0xFFF the millisecond moves on. Lists page by id,
  // so two rows written in one millisecond must not come out in either order.
  std::uint64_t ms = 0;
  std::uint32_t seq = 0;
  {
    static std::mutex mutex;
    static std::uint64_t last_ms = 0;
    static std::uint32_t last_seq = 0;
    std::lock_guard lock(mutex);
    if (now > last_ms) {
      last_ms = now;
      last_seq = static_cast<std::uint32_t>(r1 >> 32) & 0x7ff;
    } else if (++last_seq > 0xfff) {
      ++last_ms;
      last_seq = 0;
    }
    ms = last_ms;
    seq = last_seq;
  }
  unsigned char b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | ((seq >> 8) & 0x0f));  // version 7
  b[7] = static_cast<unsigned char>(seq);
  b[8] = static_cast<unsigned char>(0x80 | ((r1 >> 16) & 0x3f));  // variant 10
  for (int i = 9; i < 16; ++i) b[i] = static_cast<unsigned char>(r2 >> (8 * (i - 9)));

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace tyto
