#include "tyto/auth/audit.hpp"

#include "tyto/core/time.hpp"

#include <algorithm>

namespace tyto::auth {
namespace {

constexpr std::string_view kInsert =
    "INSERT INTO audit_logs (tenant_id, actor, action, resource, ip, request_id, metadata, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

}  // namespace

nlohmann::json AuditEntry::to_json() const {
  return {{"id", std::to_string(id)},
          {"tenant_id", tenant_id.empty() ? nlohmann::json() : nlohmann::json(tenant_id)},
          {"actor", actor},
          {"action", action},
          {"resource", resource},
          {"ip", ip},
          {"request_id", request_id},
          {"metadata", metadata},
          {"created_at", format_rfc3339(created_at)}};
}

void AuditLog::record(const AuditEntry& entry) { record(db_, entry); }

void AuditLog::record(storage::Session& tx, const AuditEntry& e) {
  tx.execute(kInsert, {e.tenant_id.empty() ? storage::Value() : storage::Value(e.tenant_id), e.actor, e.action,
                       e.resource, e.ip, e.request_id, e.metadata.dump(), now_micros()});
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& q) {
  std::string sql =
      "SELECT id, tenant_id, actor, action, resource, ip, request_id, metadata, created_at FROM audit_logs "
      "WHERE tenant_id = $1";
  storage::Params params = {q.tenant_id};
  if (q.action) {
    if (q.action->ends_with('.')) {
      params.push_back(*q.action + "%");
      sql += " AND action LIKE $" + std::to_string(params.size());
    } else {
      params.push_back(*q.action);
      sql += " AND action = $" + std::to_string(params.size());
    }
  }
  if (q.actor) {
    params.push_back(*q.actor);
    sql += " AND actor = $" + std::to_string(params.size());
  }
  if (q.before_id) {
    params.push_back(*q.before_id);
    sql += " AND id < $" + std::to_string(params.size());
  }
  params.push_back(static_cast<std::int64_t>(std::clamp(q.limit, 1, 1000)));
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
  std::vector<AuditEntry> out;
  for (const auto& r : db_.query(sql, params).rows) {
    AuditEntry e;
    e.id = r.get<std::int64_t>(0);
    e.tenant_id = r.get_optional<std::string>(1).value_or("");
    e.actor = r.get<std::string>(2);
    e.action = r.get<std::string>(3);
    e.resource = r.get<std::string>(4);
    e.ip = r.get<std::string>(5);
    e.request_id = r.get<std::string>(6);
    e.metadata = nlohmann::json::parse(r.get<std::string>(7), nullptr, false);
    e.created_at = r.get<std::int64_t>(8);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tyto::auth
