// How long to wait before retrying a failed job: exponential backoff with "equal jitter".
//
// Attempt n (1-based) has a ceiling of base · 2^(n-1), capped at `max`. The delay is half that ceiling plus a
// random share of the other half, so it always lies in [ceiling / 2, ceiling]: retries never come back at
// once (the floor), while clients that failed together still spread out (the jitter). The caller supplies
// the randomness, which keeps tests deterministic.
#pragma once

#include <chrono>

namespace tyto {

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};          // the first retry's ceiling
  std::chrono::milliseconds max{5 * 60 * 1000};  // no ceiling grows past this
};

// min(max, base · 2^(attempt-1)), without overflow for any attempt; attempt < 1 counts as 1. Negative base or
// max count as zero.
std::chrono::microseconds backoff_ceiling(int attempt, const BackoffPolicy& policy) noexcept;

// ceiling/2 + random01 · (ceiling - ceiling/2), the ceiling as above. random01 is a uniform draw from [0, 1]
// (say std::uniform_real_distribution); values outside are clamped, NaN counts as 0.
std::chrono::microseconds retry_delay(int attempt, const BackoffPolicy& policy, double random01) noexcept;

}  // namespace tyto
