// The audit log: an append-only record of who did what, kept in the audit_logs table.
//
// Recorded: authentication events (login, failed login, refresh reuse, logout), admin actions (users,
// roles, API keys, tenant limits), downloads, exports and deletions. Rows are never updated or deleted,
// not even when the user they name is deleted (the entry stays; the user's data goes).
//
// Thread-safety: safe from any thread. Blocking (database).
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tyto::auth {

struct AuditEntry {
  std::string tenant_id;  // empty: a platform-level event (stored as NULL)
  std::string actor;      // Principal::actor(), "system" or "anonymous"
  std::string action;     // dotted verb: "auth.login", "api_key.create", "object.download", …
  std::string resource;   // "user:<id>", "object:<id>", …; may be empty
  std::string ip;
  std::string request_id;
  nlohmann::json metadata = nlohmann::json::object();
  // Filled when read back:
  std::int64_t id = 0;
  std::int64_t created_at = 0;  // microseconds

  nlohmann::json to_json() const;
};

struct AuditQuery {
  std::string tenant_id;              // required: one tenant's entries
  std::optional<std::string> action;  // exact action, or a prefix ending in '.' ("auth.")
  std::optional<std::string> actor;
  std::optional<std::int64_t> before_id;  // cursor: entries older than this id
  int limit = 100;
};

class AuditLog {
 public:
  explicit AuditLog(storage::Database& db) : db_(db) {}

  // Appends entry (autocommit), or inside tx so that the entry commits with the change it records.
  void record(const AuditEntry& entry);
  void record(storage::Session& tx, const AuditEntry& entry);

  // Newest first.
  std::vector<AuditEntry> list(const AuditQuery& query);

 private:
  storage::Database& db_;
};

}  // namespace tyto::auth
