// Limits that every scan of a tenant shares, on every instance over one database: a provider's request
// rate (a token bucket per key in brand_protection_limits) and concurrent scans (leased slots in
// brand_protection_scan_slots). Both are kept in the database, so two instances never together exceed what
// one would allow.
//
// Concurrency control is portable SQL: each change first UPDATEs the key's row in brand_protection_limits
// (created on first use), which serialises the writers of one key on PostgreSQL (row lock held to commit;
// later statements of the waiting transaction read what the first committed) and on SQLite (one writer).
//
// Thread-safety: every method may be called from any thread; each runs its own write transaction.
#pragma once

#include "tyto/storage/database.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace tyto::products::brand_protection {

class SharedLimits {
 public:
  explicit SharedLimits(storage::Database& db) : db_(db) {}

  // Takes one request's token from the bucket `key` (refilling at per_minute, holding at most burst), or
  // says how long to wait for one. Returns zero when the token was taken.
  std::chrono::milliseconds take(const std::string& tenant_id, const std::string& key, double per_minute, double burst);

  // Holds one of `limit` slots of `key` for scan_id until `lease` passes (or release). True when held (also
  // when scan_id already held one: a retried attempt keeps its slot). Expired slots are freed first.
  bool acquire(const std::string& tenant_id, const std::string& key, const std::string& scan_id, std::int64_t limit,
               std::chrono::seconds lease);
  // Extends a held slot's lease.
  void renew(const std::string& tenant_id, const std::string& key, const std::string& scan_id,
             std::chrono::seconds lease);
  void release(const std::string& tenant_id, const std::string& key, const std::string& scan_id);

 private:
  // Locks key's row (creating it full), inside tx.
  void lock(storage::Session& tx, const std::string& tenant_id, const std::string& key, double full, std::int64_t now);

  storage::Database& db_;
};

}  // namespace tyto::products::brand_protection
