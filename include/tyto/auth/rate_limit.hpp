// Request rate limiting (token buckets keyed by string) and the login brute-force guard.
//
// Both keep their state in memory, per process, and take the time as an argument (microseconds since the
// epoch, as tyto::now_micros returns), so tests can drive the clock. Both bound their memory: state that
// no longer matters is dropped as new keys arrive, and past a cap the entries idle longest go first. A
// flood of distinct keys can therefore make them forget a key; the caps are set well above what a real
// deployment tracks at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace tyto::auth {

// A bucket holds up to `burst` tokens and refills at `per_second` tokens a second.
struct Rate {
  double per_second;
  double burst;
};

struct RateLimiterOptions {
  std::size_t max_keys = 100'000;  // buckets kept at most, over all shards
  std::size_t shards = 16;         // independent locks; more shards, less contention
};

// Token buckets keyed by string: "tenant:42", "key:tyto_ab12cd34", "ip:203.0.113.9"; the caller chooses the
// namespace, and keeps keys short (each is copied into the map). A bucket is created full on its key's first request. A
// request of `cost` tokens passes if the bucket holds that many, and takes them; a refused request takes nothing.
//
// Memory: a bucket that has refilled to `burst` carries no information, so buckets idle long enough to be
// full are dropped as other keys are used; beyond max_keys the least recently used bucket is dropped even
// if not full.
//
// Thread-safety: take and size may be called from any thread at once; keys are spread over shards, each
// with its own mutex.
class RateLimiter {
 public:
  struct Decision {
    bool allowed = false;
    std::chrono::seconds retry_after{0};  // 0 when allowed; else whole seconds (rounded up, ≥ 1) until
                                          // the bucket holds `cost` tokens: the Retry-After header
    double remaining = 0;                 // tokens left after this decision (floor it for a header)
  };

  explicit RateLimiter(RateLimiterOptions options = {});
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `cost` tokens from key's bucket at now_micros. `rate` is given on each call (it may differ per
  // tenant or plan); a bucket follows the latest rate it was called with. A cost above rate.burst is never
  // allowed (keep cost ≤ burst; retry_after then promises nothing). Throws std::invalid_argument unless
  // per_second and burst are finite and positive and cost is finite and not negative. A clock that steps
  // backwards refills nothing.
  Decision take(std::string_view key, Rate rate, std::int64_t now_micros, double cost = 1);

  // Buckets currently kept.
  std::size_t size() const;

 private:
  struct Shard;
  Shard& shard_for(std::string_view key) const;

  std::vector<std::unique_ptr<Shard>> shards_;
  std::size_t keys_per_shard_;
};

// When a run of failed logins locks a subject (an account or an IP) out, and for how long.
struct LockoutPolicy {
  int max_failures = 5;                             // failures within `window` that lock the subject out
  std::chrono::seconds window{15 * 60};             // a run of failures counts from its first for this long
  std::chrono::seconds first_lockout{60};           // the first lockout; each next one doubles …
  std::chrono::seconds max_lockout{60 * 60};        // … up to this
  std::chrono::seconds forget_after{24 * 60 * 60};  // a subject quiet this long starts over at first_lockout
};

struct LoginGuardOptions {
  LockoutPolicy account;
  // An address is shared by everyone behind one NAT or proxy, so it takes more failures to lock one.
  LockoutPolicy ip{.max_failures = 20};
  std::size_t max_subjects = 100'000;  // kept at most per kind (accounts, addresses)
};

// Brute-force guard for password logins, counting failures per account and per client IP.
//
// Use: before verifying a password call check(); if it returns a duration, refuse the attempt (429 with
// Retry-After) without verifying. Then report the outcome with record_failure or record_success.
// max_failures failures within `window` lock the subject out for first_lockout; the next lockout of the
// same subject lasts twice as long, up to max_lockout, until the subject has been quiet for forget_after.
// A success clears the account's record but not the address's: one valid login must not let an address
// keep guessing at other accounts. Failures reported while a subject is locked out do not count.
// An account's lockout holds only against addresses that failed within the address policy's window:
// an address with no recent failure may still try (so nobody can lock an owner out from elsewhere);
// a guesser gets at most one try per fresh address, and each address is locked in turn.
//
// Accounts must be given in one canonical form (say, lowercased email); an empty account or ip skips
// that kind. Thread-safety: all methods may be called from any thread at once (one mutex per kind; logins
// are rare next to the argon2id verify they guard).
class LoginGuard {
 public:
  explicit LoginGuard(LoginGuardOptions options = {});
  ~LoginGuard();
  LoginGuard(const LoginGuard&) = delete;
  LoginGuard& operator=(const LoginGuard&) = delete;

  // nullopt if an attempt may proceed; else how long (whole seconds, rounded up) until the longer of the
  // account's and the address's lockouts ends.
  std::optional<std::chrono::seconds> check(std::string_view account, std::string_view ip,
                                            std::int64_t now_micros) const;

  void record_failure(std::string_view account, std::string_view ip, std::int64_t now_micros);
  void record_success(std::string_view account, std::string_view ip, std::int64_t now_micros);

  // Subjects currently tracked, accounts and addresses together.
  std::size_t size() const;

 private:
  class Tracker;
  std::unique_ptr<Tracker> accounts_;
  std::unique_ptr<Tracker> ips_;
};

}  // namespace tyto::auth
