#include "limits.hpp"

#include "tyto/core/time.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::products::brand_protection {
namespace {

constexpr std::string_view kCreateLimit =
    "INSERT INTO brand_protection_limits (tenant_id, key, tokens, tokens_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (tenant_id, key) DO NOTHING";
// A write to the row: on PostgreSQL it holds the row's lock until commit, so writers of one key go one by one.
constexpr std::string_view kLockLimit =
    "UPDATE brand_protection_limits SET tokens_at = tokens_at WHERE tenant_id = $1 AND key = $2";
constexpr std::string_view kSelectLimit =
    "SELECT tokens, tokens_at FROM brand_protection_limits WHERE tenant_id = $1 AND key = $2";
constexpr std::string_view kSetLimit =
    "UPDATE brand_protection_limits SET tokens = $3, tokens_at = $4 WHERE tenant_id = $1 AND key = $2";
constexpr std::string_view kFreeExpired =
    "DELETE FROM brand_protection_scan_slots WHERE tenant_id = $1 AND key = $2 AND expires_at < $3";
constexpr std::string_view kSlotHeld =
    "SELECT 1 FROM brand_protection_scan_slots WHERE tenant_id = $1 AND key = $2 AND scan_id = $3";
constexpr std::string_view kCountSlots =
    "SELECT COUNT(*) FROM brand_protection_scan_slots WHERE tenant_id = $1 AND key = $2";
constexpr std::string_view kInsertSlot =
    "INSERT INTO brand_protection_scan_slots (tenant_id, key, scan_id, expires_at) VALUES ($1, $2, $3, $4)";
constexpr std::string_view kRenewSlot =
    "UPDATE brand_protection_scan_slots SET expires_at = $4 WHERE tenant_id = $1 AND key = $2 AND scan_id = $3";
constexpr std::string_view kReleaseSlot =
    "DELETE FROM brand_protection_scan_slots WHERE tenant_id = $1 AND key = $2 AND scan_id = $3";

std::int64_t micros(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::microseconds>(s).count(); }

}  // namespace

void SharedLimits::lock(storage::Session& tx, const std::string& tenant_id, const std::string& key, double full,
                        std::int64_t now) {
  tx.execute(kCreateLimit, {tenant_id, key, full, now});
  tx.execute(kLockLimit, {tenant_id, key});
}

std::chrono::milliseconds SharedLimits::take(const std::string& tenant_id, const std::string& key, double per_minute,
                                             double burst) {
  if (per_minute <= 0) return std::chrono::milliseconds(0);
  burst = std::max(1.0, burst);
  const double per_micro = per_minute / 60e6;
  auto tx = db_.begin(storage::TxMode::kWrite);
  const auto now = now_micros();
  lock(*tx, tenant_id, key, burst, now);
  const auto row = tx->query_one(kSelectLimit, {tenant_id, key});
  const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now - row->get<std::int64_t>(1)));
  const double tokens = std::min(burst, row->get<double>(0) + elapsed * per_micro);
  if (tokens >= 1.0) {
    tx->execute(kSetLimit, {tenant_id, key, tokens - 1.0, now});
    tx->commit();
    return std::chrono::milliseconds(0);
  }
  tx->execute(kSetLimit, {tenant_id, key, tokens, now});
  tx->commit();
  const double wait_us = (1.0 - tokens) / per_micro;
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_us / 1000))));
}

bool SharedLimits::acquire(const std::string& tenant_id, const std::string& key, const std::string& scan_id,
                           std::int64_t limit, std::chrono::seconds lease) {
  auto tx = db_.begin(storage::TxMode::kWrite);
  const auto now = now_micros();
  lock(*tx, tenant_id, key, 0, now);
  tx->execute(kFreeExpired, {tenant_id, key, now});
  if (tx->query_one(kSlotHeld, {tenant_id, key, scan_id})) {
    tx->execute(kRenewSlot, {tenant_id, key, scan_id, now + micros(lease)});
    tx->commit();
    return true;
  }
  if (tx->query_one(kCountSlots, {tenant_id, key})->get<std::int64_t>(0) >= limit) return false;
  tx->execute(kInsertSlot, {tenant_id, key, scan_id, now + micros(lease)});
  tx->commit();
  return true;
}

void SharedLimits::renew(const std::string& tenant_id, const std::string& key, const std::string& scan_id,
                         std::chrono::seconds lease) {
  db_.execute(kRenewSlot, {tenant_id, key, scan_id, now_micros() + micros(lease)});
}

void SharedLimits::release(const std::string& tenant_id, const std::string& key, const std::string& scan_id) {
  db_.execute(kReleaseSlot, {tenant_id, key, scan_id});
}

}  // namespace tyto::products::brand_protection
