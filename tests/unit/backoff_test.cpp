#include "tyto/core/backoff.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

TEST_CASE("Backoff ceilings double from the base until the cap", "[backoff]") {
  const tyto::BackoffPolicy policy;  // 1 s, capped at 5 min
  CHECK(tyto::backoff_ceiling(1, policy) == seconds(1));
  CHECK(tyto::backoff_ceiling(2, policy) == seconds(2));
  CHECK(tyto::backoff_ceiling(3, policy) == seconds(4));
  CHECK(tyto::backoff_ceiling(9, policy) == seconds(256));
  CHECK(tyto::backoff_ceiling(10, policy) == seconds(300));
  CHECK(tyto::backoff_ceiling(11, policy) == seconds(300));
  CHECK(tyto::backoff_ceiling(0, policy) == seconds(1));
  CHECK(tyto::backoff_ceiling(-5, policy) == seconds(1));
}

TEST_CASE("Backoff with equal jitter stays between half the ceiling and the ceiling", "[backoff]") {
  const tyto::BackoffPolicy policy{milliseconds(100), milliseconds(10'000)};
  CHECK(tyto::retry_delay(1, policy, 0.0) == milliseconds(50));
  CHECK(tyto::retry_delay(1, policy, 0.5) == milliseconds(75));
  CHECK(tyto::retry_delay(1, policy, 1.0) == milliseconds(100));
  CHECK(tyto::retry_delay(3, policy, 0.25) == milliseconds(250));
  for (int attempt = 1; attempt <= 20; ++attempt) {
    const microseconds ceiling = tyto::backoff_ceiling(attempt, policy);
    for (const double random01 : {0.0, 0.1, 0.3333, 0.5, 0.9, 0.999999, 1.0}) {
      const microseconds delay = tyto::retry_delay(attempt, policy, random01);
      CHECK(delay >= ceiling / 2);
      CHECK(delay <= ceiling);
    }
  }
  CHECK(tyto::retry_delay(20, policy, 0.0) == milliseconds(5'000));
}

TEST_CASE("Backoff clamps a random draw outside [0, 1]", "[backoff]") {
  const tyto::BackoffPolicy policy;
  CHECK(tyto::retry_delay(1, policy, -3.0) == milliseconds(500));
  CHECK(tyto::retry_delay(1, policy, 7.0) == milliseconds(1000));
  CHECK(tyto::retry_delay(1, policy, std::nan("")) == milliseconds(500));
  CHECK(tyto::retry_delay(1, policy, std::numeric_limits<double>::infinity()) == milliseconds(1000));
}

TEST_CASE("Backoff does not overflow for huge attempts or policies", "[backoff]") {
  const tyto::BackoffPolicy policy;
  for (const int attempt : {31, 32, 62, 63, 64, 1000, std::numeric_limits<int>::max()}) {
    CHECK(tyto::backoff_ceiling(attempt, policy) == std::chrono::minutes(5));
    CHECK(tyto::retry_delay(attempt, policy, 1.0) == std::chrono::minutes(5));
  }
  const tyto::BackoffPolicy huge{milliseconds::max(), milliseconds::max()};
  const microseconds largest{std::numeric_limits<std::int64_t>::max() / 1000 * 1000};
  CHECK(tyto::backoff_ceiling(1, huge) == largest);
  CHECK(tyto::backoff_ceiling(std::numeric_limits<int>::max(), huge) == largest);
  CHECK(tyto::retry_delay(70, huge, 1.0) <= largest);
  CHECK(tyto::retry_delay(70, huge, 1.0) >= largest - microseconds(1024));  // doubles are 512 apart up there
  CHECK(tyto::retry_delay(70, huge, 0.0) == largest / 2);
  const tyto::BackoffPolicy tiny_cap{seconds(10), seconds(3)};
  CHECK(tyto::backoff_ceiling(1, tiny_cap) == seconds(3));
  const tyto::BackoffPolicy negative{milliseconds(-1), milliseconds(-1)};
  CHECK(tyto::retry_delay(5, negative, 0.5) == microseconds(0));
}
