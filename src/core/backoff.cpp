#include "tyto/core/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace tyto {
namespace {

// The largest millisecond count that still fits in int64 microseconds.
constexpr std::int64_t kMaxMillis = std::numeric_limits<std::int64_t>::max() / 1000;

std::int64_t clamped_micros(std::chrono::milliseconds value) {
  return std::clamp<std::int64_t>(value.count(), 0, kMaxMillis) * 1000;
}

}  // namespace

std::chrono::microseconds backoff_ceiling(int attempt, const BackoffPolicy& policy) noexcept {
  const std::int64_t base = clamped_micros(policy.base);
  const std::int64_t max = clamped_micros(policy.max);
  const int doublings = std::max(attempt, 1) - 1;
  // base · 2^doublings > max exactly when base > max / 2^doublings, a test that cannot overflow.
  if (doublings >= 63 || base > (max >> doublings)) return std::chrono::microseconds{max};
  return std::chrono::microseconds{base << doublings};
}

std::chrono::microseconds retry_delay(int attempt, const BackoffPolicy& policy, double random01) noexcept {
  const std::int64_t ceiling = backoff_ceiling(attempt, policy).count();
  const std::int64_t floor = ceiling / 2;
  const std::int64_t span = ceiling - floor;
  const double share = std::isnan(random01) ? 0.0 : std::clamp(random01, 0.0, 1.0);
  // span ≤ 2^62, so the product converts back to int64 safely; the clamp absorbs rounding up.
  const auto jitter = std::clamp<std::int64_t>(std::llround(share * static_cast<double>(span)), 0, span);
  return std::chrono::microseconds{floor + jitter};
}

}  // namespace tyto
