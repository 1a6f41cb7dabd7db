#include "tyto/auth/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace tyto::auth {

namespace detail {

// Values keyed by string, ordered by last use; owners evict from the least recently used end. Not
// thread-safe: its owner locks.
template <typename Value>
class LruMap {
 public:
  // The value for key, marked as just used; nullptr if absent.
  Value* use(std::string_view key) {
    const auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }

  // The value for key without marking it used; nullptr if absent.
  const Value* peek(std::string_view key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }

  // Adds key (which must be absent) as the most recently used entry.
  Value& insert(std::string_view key, Value value) {
    order_.push_front(Node{std::string(key), std::move(value)});
    index_.emplace(order_.front().key, order_.begin());  // the view points into the node, which never moves
    return order_.front().value;
  }

  void erase(std::string_view key) {
    const auto it = index_.find(key);
    if (it != index_.end()) {
      const auto node = it->second;
      index_.erase(it);
      order_.erase(node);
    }
  }

  // The least recently used value; nullptr when empty.
  Value* oldest() { return order_.empty() ? nullptr : &order_.back().value; }

  void pop_oldest() {
    index_.erase(order_.back().key);
    order_.pop_back();
  }

  std::size_t size() const { return order_.size(); }

 private:
  struct Node {
    std::string key;
    Value value;
  };
  std::list<Node> order_;
  std::unordered_map<std::string_view, typename std::list<Node>::iterator> index_;
};

}  // namespace detail

namespace {

constexpr double kMicrosPerSecond = 1e6;

// How many stale entries one call looks at: enough to keep up with insertions, O(1) per call.
constexpr int kEvictionsPerCall = 2;

// Whole seconds, rounded up and at least 1: what a Retry-After header can say.
std::chrono::seconds retry_after_seconds(double seconds) {
  return std::chrono::seconds(static_cast<std::int64_t>(std::max(1.0, std::ceil(seconds))));
}

std::chrono::seconds micros_rounded_up(std::int64_t micros) {
  return std::chrono::seconds((micros + 999'999) / 1'000'000);
}

struct Bucket {
  double tokens;
  std::int64_t updated_micros;
  Rate rate;

  double tokens_at(std::int64_t now_micros) const {
    const auto elapsed = static_cast<double>(std::max<std::int64_t>(0, now_micros - updated_micros));
    return std::min(rate.burst, tokens + elapsed / kMicrosPerSecond * rate.per_second);
  }
};

void validate(Rate rate, double cost) {
  const auto positive = [](double x) { return std::isfinite(x) && x > 0; };
  if (!positive(rate.per_second) || !positive(rate.burst) || !std::isfinite(cost) || cost < 0) {
    throw std::invalid_argument("rate limiter: per_second and burst must be positive, cost not negative");
  }
}

}  // namespace

// ---- RateLimiter ----

struct RateLimiter::Shard {
  std::mutex mutex;
  detail::LruMap<Bucket> buckets;  // guarded by mutex

  // Drops a few least recently used buckets that have refilled: forgetting them changes nothing.
  void drop_full(std::int64_t now_micros) {
    for (int i = 0; i < kEvictionsPerCall; ++i) {
      const Bucket* oldest = buckets.oldest();
      if (oldest == nullptr || oldest->tokens_at(now_micros) < oldest->rate.burst) {
        return;
      }
      buckets.pop_oldest();
    }
  }
};

RateLimiter::RateLimiter(RateLimiterOptions options) {
  const std::size_t shards = std::max<std::size_t>(1, options.shards);
  keys_per_shard_ = std::max<std::size_t>(1, options.max_keys / shards);
  for (std::size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::shard_for(std::string_view key) const {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

RateLimiter::Decision RateLimiter::take(std::string_view key, Rate rate, std::int64_t now_micros, double cost) {
  validate(rate, cost);
  Shard& shard = shard_for(key);
  const std::lock_guard lock(shard.mutex);
  shard.drop_full(now_micros);
  Bucket* bucket = shard.buckets.use(key);
  if (bucket == nullptr) {
    while (shard.buckets.size() >= keys_per_shard_) {
      shard.buckets.pop_oldest();
    }
    bucket = &shard.buckets.insert(key, Bucket{rate.burst, now_micros, rate});
  }
  bucket->rate = rate;
  bucket->tokens = bucket->tokens_at(now_micros);
  bucket->updated_micros = std::max(bucket->updated_micros, now_micros);
  if (bucket->tokens >= cost) {
    bucket->tokens -= cost;
    return {true, std::chrono::seconds(0), bucket->tokens};
  }
  return {false, retry_after_seconds((cost - bucket->tokens) / rate.per_second), bucket->tokens};
}

std::size_t RateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->buckets.size();
  }
  return total;
}

// ---- LoginGuard ----

namespace {

struct Subject {
  int failures = 0;  // within the window that started at window_start
  std::int64_t window_start = 0;
  std::int64_t last_failure = 0;
  std::int64_t locked_until = 0;
  int lockouts = 0;  // lockouts so far; the next lasts first_lockout · 2^lockouts
};

std::int64_t micros(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::microseconds>(s).count(); }

std::chrono::seconds lockout_duration(const LockoutPolicy& policy, int lockouts) {
  std::chrono::seconds duration = policy.first_lockout;
  for (int i = 0; i < lockouts && duration < policy.max_lockout; ++i) {
    duration *= 2;
  }
  return std::min(duration, policy.max_lockout);
}

}  // namespace

// Failures and lockouts of one kind of subject (accounts, or addresses).
class LoginGuard::Tracker {
 public:
  Tracker(LockoutPolicy policy, std::size_t max_subjects)
      : policy_(policy), max_subjects_(std::max<std::size_t>(1, max_subjects)) {}

  // Microseconds of lockout left for key; 0 if none.
  std::int64_t locked_for(std::string_view key, std::int64_t now_micros) const {
    const std::lock_guard lock(mutex_);
    const Subject* subject = subjects_.peek(key);
    return subject == nullptr ? 0 : std::max<std::int64_t>(0, subject->locked_until - now_micros);
  }

  // Whether key failed within the policy's window (or is locked out).
  bool failed_recently(std::string_view key, std::int64_t now_micros) const {
    const std::lock_guard lock(mutex_);
    const Subject* subject = subjects_.peek(key);
    return subject != nullptr &&
           (subject->locked_until > now_micros || now_micros - subject->last_failure < micros(policy_.window));
  }

  void record_failure(std::string_view key, std::int64_t now) {
    const std::lock_guard lock(mutex_);
    drop_forgettable(now);
    Subject* subject = subjects_.use(key);
    if (subject == nullptr) {
      while (subjects_.size() >= max_subjects_) {
        subjects_.pop_oldest();
      }
      subject = &subjects_.insert(key, Subject{0, now, now, 0, 0});
    }
    if (subject->locked_until > now) {
      return;
    }
    if (now - subject->last_failure >= micros(policy_.forget_after)) {
      *subject = Subject{0, now, now, 0, 0};
    }
    if (now - subject->window_start >= micros(policy_.window)) {
      subject->failures = 0;
      subject->window_start = now;
    }
    subject->last_failure = now;
    if (++subject->failures >= policy_.max_failures) {
      subject->locked_until = now + micros(lockout_duration(policy_, subject->lockouts));
      ++subject->lockouts;
      subject->failures = 0;
      subject->window_start = now;
    }
  }

  void forget(std::string_view key) {
    const std::lock_guard lock(mutex_);
    subjects_.erase(key);
  }

  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return subjects_.size();
  }

 private:
  // Nothing to remember: not locked, and either quiet past forget_after or never locked with its
  // failures out of the window.
  bool forgettable(const Subject& subject, std::int64_t now) const {
    if (subject.locked_until > now) {
      return false;
    }
    const bool quiet = now - subject.last_failure >= micros(policy_.forget_after);
    const bool stale = subject.lockouts == 0 && now - subject.window_start >= micros(policy_.window);
    return quiet || stale;
  }

  void drop_forgettable(std::int64_t now) {
    for (int i = 0; i < kEvictionsPerCall; ++i) {
      const Subject* oldest = subjects_.oldest();
      if (oldest == nullptr || !forgettable(*oldest, now)) {
        return;
      }
      subjects_.pop_oldest();
    }
  }

  const LockoutPolicy policy_;
  const std::size_t max_subjects_;
  mutable std::mutex mutex_;
  detail::LruMap<Subject> subjects_;  // guarded by mutex_; least recent failure last
};

LoginGuard::LoginGuard(LoginGuardOptions options)
    : accounts_(std::make_unique<Tracker>(options.account, options.max_subjects)),
      ips_(std::make_unique<Tracker>(options.ip, options.max_subjects)) {}

LoginGuard::~LoginGuard() = default;

std::optional<std::chrono::seconds> LoginGuard::check(std::string_view account, std::string_view ip,
                                                      std::int64_t now_micros) const {
  std::int64_t account_left = account.empty() ? 0 : accounts_->locked_for(account, now_micros);
  const std::int64_t ip_left = ip.empty() ? 0 : ips_->locked_for(ip, now_micros);
  // A locked account stays open to an address that has not failed: otherwise five wrong guesses from
  // anywhere would lock the owner (or the superadmin) out.
  if (account_left > 0 && !ip.empty() && !ips_->failed_recently(ip, now_micros)) account_left = 0;
  const std::int64_t left = std::max(account_left, ip_left);
  if (left <= 0) {
    return std::nullopt;
  }
  return micros_rounded_up(left);
}

void LoginGuard::record_failure(std::string_view account, std::string_view ip, std::int64_t now_micros) {
  if (!account.empty()) {
    accounts_->record_failure(account, now_micros);
  }
  if (!ip.empty()) {
    ips_->record_failure(ip, now_micros);
  }
}

void LoginGuard::record_success(std::string_view account, std::string_view ip, std::int64_t now_micros) {
  if (!account.empty()) {
    accounts_->forget(account);
  }
}

std::size_t LoginGuard::size() const { return accounts_->size() + ips_->size(); }

}  // namespace tyto::auth
