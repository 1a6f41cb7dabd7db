#include "tyto/auth/rate_limit.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using std::chrono::seconds;
using tyto::auth::LoginGuard;
using tyto::auth::Rate;
using tyto::auth::RateLimiter;

constexpr std::int64_t kStart = 1'800'000'000'000'000;  // microseconds
constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;

}  // namespace

TEST_CASE("A bucket starts full, allows a burst, then refuses with a rounded-up Retry-After", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 0.5, .burst = 3};
  for (int i = 0; i < 3; ++i) {
    const auto decision = limiter.take("ip:1", rate, kStart);
    CHECK(decision.allowed);
    CHECK(decision.retry_after == seconds(0));
    CHECK(decision.remaining == Approx(2 - i));
  }
  const auto refused = limiter.take("ip:1", rate, kStart);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == seconds(2));  // one token at 0.5/s
  CHECK(refused.remaining == Approx(0));
  const auto still = limiter.take("ip:1", rate, kStart + kSecond / 2);
  CHECK_FALSE(still.allowed);
  CHECK(still.retry_after == seconds(2));  // 1.5 s, rounded up
}

TEST_CASE("Tokens refill with time up to the burst", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 10, .burst = 5};
  for (int i = 0; i < 5; ++i) {
    REQUIRE(limiter.take("k", rate, kStart).allowed);
  }
  CHECK_FALSE(limiter.take("k", rate, kStart).allowed);
  CHECK(limiter.take("k", rate, kStart + kSecond / 10).allowed);  // one token after 100 ms
  CHECK_FALSE(limiter.take("k", rate, kStart + kSecond / 10).allowed);
  const auto after_a_minute = limiter.take("k", rate, kStart + kMinute);
  CHECK(after_a_minute.allowed);
  CHECK(after_a_minute.remaining == Approx(4));  // capped at the burst, minus this one
}

TEST_CASE("A refused request takes nothing, and costs above one are honoured", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 1, .burst = 10};
  CHECK(limiter.take("upload", rate, kStart, 7).allowed);
  const auto refused = limiter.take("upload", rate, kStart, 5);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == seconds(2));
  CHECK(refused.remaining == Approx(3));
  CHECK(limiter.take("upload", rate, kStart, 3).allowed);
  CHECK_FALSE(limiter.take("upload", rate, kStart + 100 * kMinute, 11).allowed);  // above the burst: never
  CHECK(limiter.take("upload", rate, kStart, 0).allowed);
}

TEST_CASE("Keys have independent buckets", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 1, .burst = 1};
  CHECK(limiter.take("tenant:1", rate, kStart).allowed);
  CHECK_FALSE(limiter.take("tenant:1", rate, kStart).allowed);
  CHECK(limiter.take("tenant:2", rate, kStart).allowed);
}

TEST_CASE("A clock stepping backwards refills nothing", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 1, .burst = 1};
  CHECK(limiter.take("k", rate, kStart).allowed);
  CHECK_FALSE(limiter.take("k", rate, kStart - kMinute).allowed);
  CHECK_FALSE(limiter.take("k", rate, kStart + kSecond / 2).allowed);
  CHECK(limiter.take("k", rate, kStart + kSecond).allowed);
}

TEST_CASE("Invalid rates and costs are refused", "[auth]") {
  RateLimiter limiter;
  CHECK_THROWS_AS(limiter.take("k", Rate{0, 1}, kStart), std::invalid_argument);
  CHECK_THROWS_AS(limiter.take("k", Rate{1, 0}, kStart), std::invalid_argument);
  CHECK_THROWS_AS(limiter.take("k", Rate{1, 1}, kStart, -1), std::invalid_argument);
  CHECK_THROWS_AS(limiter.take("k", Rate{std::numeric_limits<double>::quiet_NaN(), 1}, kStart), std::invalid_argument);
  CHECK_THROWS_AS(limiter.take("k", Rate{1, std::numeric_limits<double>::infinity()}, kStart), std::invalid_argument);
}

TEST_CASE("Memory stays bounded under a flood of distinct keys", "[auth]") {
  RateLimiter limiter({.max_keys = 1000, .shards = 4});
  const Rate rate{.per_second = 1, .burst = 5};
  for (int i = 0; i < 50'000; ++i) {
    limiter.take("ip:" + std::to_string(i), rate, kStart);  // same instant: every bucket is in use
  }
  CHECK(limiter.size() <= 1000);
  CHECK(limiter.size() >= 900);
}

TEST_CASE("Buckets that have refilled are dropped as other keys arrive", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 1, .burst = 2};
  for (int i = 0; i < 1000; ++i) {
    limiter.take("old:" + std::to_string(i), rate, kStart);
  }
  CHECK(limiter.size() == 1000);
  for (int i = 0; i < 1000; ++i) {
    limiter.take("new:" + std::to_string(i), rate, kStart + kMinute);  // the old ones are full by now
  }
  CHECK(limiter.size() == 1000);
}

TEST_CASE("The limiter is safe to share between threads", "[auth]") {
  RateLimiter limiter;
  const Rate rate{.per_second = 1e-6, .burst = 1000};
  std::vector<std::thread> threads;
  std::atomic<int> allowed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        allowed += limiter.take("shared", rate, kStart).allowed ? 1 : 0;
        limiter.take("own:" + std::to_string(i), rate, kStart);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(allowed == 1000);
}

TEST_CASE("Five failed logins lock the account for a minute, then 2, 4 … up to an hour", "[auth]") {
  LoginGuard guard;
  std::int64_t now = kStart;
  const seconds expected[] = {seconds(60),  seconds(120),  seconds(240),  seconds(480),
                              seconds(960), seconds(1920), seconds(3600), seconds(3600)};
  for (const seconds lockout : expected) {
    for (int i = 0; i < 4; ++i) {
      CHECK(guard.check("alice", "", now) == std::nullopt);
      guard.record_failure("alice", "", now);
      now += kSecond;
    }
    guard.record_failure("alice", "", now);
    CHECK(guard.check("alice", "", now) == lockout);
    CHECK(guard.check("alice", "", now + kSecond / 2) == lockout);  // rounded up
    CHECK(guard.check("bob", "", now) == std::nullopt);
    now += lockout.count() * kSecond;
  }
}

TEST_CASE("Failures spread beyond the window do not lock", "[auth]") {
  LoginGuard guard;
  for (int i = 0; i < 20; ++i) {
    guard.record_failure("alice", "", kStart + i * 4 * kMinute);  // 4 per 16 min
  }
  CHECK(guard.check("alice", "", kStart + 80 * kMinute) == std::nullopt);
}

TEST_CASE("Failures while locked do not extend the lockout", "[auth]") {
  LoginGuard guard;
  for (int i = 0; i < 5; ++i) guard.record_failure("alice", "", kStart);
  for (int i = 0; i < 50; ++i) guard.record_failure("alice", "", kStart + 30 * kSecond);
  CHECK(guard.check("alice", "", kStart + 30 * kSecond) == seconds(30));
  CHECK(guard.check("alice", "", kStart + kMinute) == std::nullopt);
}

TEST_CASE("A successful login resets the account but not the address", "[auth]") {
  LoginGuard guard;
  for (int i = 0; i < 4; ++i) guard.record_failure("alice", "203.0.113.9", kStart);
  guard.record_success("alice", "203.0.113.9", kStart);
  guard.record_failure("alice", "203.0.113.9", kStart);
  CHECK(guard.check("alice", "203.0.113.9", kStart) == std::nullopt);  // the account's count restarted

  // Escalation restarts too: after a success the next lockout is one minute again.
  std::int64_t now = kStart + kMinute;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5; ++i) guard.record_failure("carol", "", now);
    now += 10 * kMinute;
  }
  guard.record_success("carol", "", now);
  for (int i = 0; i < 5; ++i) guard.record_failure("carol", "", now);
  CHECK(guard.check("carol", "", now) == seconds(60));
}

TEST_CASE("An address that fails twenty times is locked across accounts", "[auth]") {
  LoginGuard guard;
  const std::string ip = "198.51.100.7";
  for (int i = 0; i < 20; ++i) {
    CHECK(guard.check("user" + std::to_string(i), ip, kStart) == std::nullopt);
    guard.record_failure("user" + std::to_string(i), ip, kStart);
    guard.record_success("someone-valid", ip, kStart);  // a valid login from the address clears nothing
  }
  CHECK(guard.check("anyone", ip, kStart) == seconds(60));
  CHECK(guard.check("anyone", "192.0.2.1", kStart) == std::nullopt);
  CHECK(guard.check("", ip, kStart) == seconds(60));
}

TEST_CASE("A subject quiet for a day starts over at the first lockout", "[auth]") {
  LoginGuard guard;
  for (int i = 0; i < 5; ++i) guard.record_failure("alice", "", kStart);
  for (int i = 0; i < 5; ++i) guard.record_failure("alice", "", kStart + kMinute);
  CHECK(guard.check("alice", "", kStart + kMinute) == seconds(120));
  const std::int64_t next_day = kStart + 25 * 60 * kMinute;
  for (int i = 0; i < 5; ++i) guard.record_failure("alice", "", next_day);
  CHECK(guard.check("alice", "", next_day) == seconds(60));
}

TEST_CASE("The login guard forgets stale subjects and caps the rest", "[auth]") {
  LoginGuard guard({.max_subjects = 100});
  for (int i = 0; i < 1000; ++i) {
    guard.record_failure("user" + std::to_string(i), "10.0.0." + std::to_string(i % 250), kStart);
  }
  CHECK(guard.size() <= 200);
  for (int i = 0; i < 5; ++i) guard.record_failure("target", "", kStart);
  for (int i = 0; i < 200; ++i) {
    guard.record_failure("late" + std::to_string(i), "", kStart + 20 * kMinute);  // the others are stale now
  }
  CHECK(guard.size() <= 200);
}

TEST_CASE("A locked account stays open to an address that has not failed", "[auth][hardening]") {
  LoginGuard guard;
  const std::string attacker = "198.51.100.7";
  const std::string owner = "192.0.2.1";
  for (int i = 0; i < 5; ++i) guard.record_failure("admin@localhost", attacker, kStart);
  CHECK(guard.check("admin@localhost", attacker, kStart) == seconds(60));
  CHECK(guard.check("admin@localhost", owner, kStart) == std::nullopt);
  // Once the owner's address fails too, the lockout holds against it as well.
  guard.record_failure("admin@localhost", owner, kStart);
  CHECK(guard.check("admin@localhost", owner, kStart) == seconds(60));
  // No address known (an internal caller): the account's lockout holds.
  CHECK(guard.check("admin@localhost", "", kStart) == seconds(60));
}
