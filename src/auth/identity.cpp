#include "tyto/auth/identity.hpp"

#include "tyto/auth/tokens.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace tyto::auth {
namespace {

using storage::Params;
using storage::Row;
using storage::Value;

constexpr std::string_view kTenantColumns = "id, name, display_name, limits, created_at";
constexpr std::string_view kUserColumns =
    "id, email, password_hash, display_name, superadmin, disabled, created_at, last_login_at";
constexpr std::string_view kKeyColumns =
    "id, tenant_id, name, prefix, key_hash, role, created_by, created_at, last_used_at, expires_at, revoked_at";

std::string cols(std::string_view columns, std::string_view rest) {
  return "SELECT " + std::string(columns) + " " + std::string(rest);
}

Value opt(const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(); }
Value text_or_null(const std::string& s) { return s.empty() ? Value() : Value(s); }

// A stored role name this build does not declare (its product was left out) reads as viewer: least privilege.
Role role_of(const std::string& name) { return parse_role(name).value_or(Role::kViewer); }

// Stored grant names as roles: those this build does not declare as product roles are left out.
std::vector<Role> product_roles_of(const std::vector<std::string>& names) {
  std::vector<Role> out;
  for (const auto& n : names) {
    if (auto r = parse_role(n); r && is_product_role(*r)) out.push_back(*r);
  }
  return out;
}

Tenant tenant_from(const Row& r) {
  Tenant t;
  t.id = r.get<std::string>(0);
  t.name = r.get<std::string>(1);
  t.display_name = r.get<std::string>(2);
  t.limits = nlohmann::json::parse(r.get<std::string>(3), nullptr, false);
  if (!t.limits.is_object()) t.limits = nlohmann::json::object();
  t.created_at = r.get<std::int64_t>(4);
  return t;
}

User user_from(const Row& r) {
  User u;
  u.id = r.get<std::string>(0);
  u.email = r.get<std::string>(1);
  u.password_hash = r.get<std::string>(2);
  u.display_name = r.get<std::string>(3);
  u.superadmin = r.get<bool>(4);
  u.disabled = r.get<bool>(5);
  u.created_at = r.get<std::int64_t>(6);
  u.last_login_at = r.get_optional<std::int64_t>(7);
  return u;
}

ApiKey key_from(const Row& r) {
  ApiKey k;
  k.id = r.get<std::string>(0);
  k.tenant_id = r.get<std::string>(1);
  k.name = r.get<std::string>(2);
  k.prefix = r.get<std::string>(3);
  k.key_hash = r.get<std::string>(4);
  k.role = role_of(r.get<std::string>(5));
  k.created_by = r.get_optional<std::string>(6).value_or("");
  k.created_at = r.get<std::int64_t>(7);
  k.last_used_at = r.get_optional<std::int64_t>(8);
  k.expires_at = r.get_optional<std::int64_t>(9);
  k.revoked_at = r.get_optional<std::int64_t>(10);
  return k;
}

nlohmann::json time_or_null(const std::optional<std::int64_t>& t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json();
}

// Invitation tokens: "tyti_" and 32 random bytes in hex; only their SHA-256 is stored.
constexpr std::string_view kInvitationPrefix = "tyti_";

}  // namespace

nlohmann::json Tenant::to_json() const {
  return {{"id", id}, {"name", name}, {"display_name", display_name}, {"created_at", format_rfc3339(created_at)}};
}

nlohmann::json User::to_json() const {
  return {{"id", id},
          {"email", email},
          {"display_name", display_name},
          {"superadmin", superadmin},
          {"created_at", format_rfc3339(created_at)},
          {"last_login_at", time_or_null(last_login_at)}};
}

nlohmann::json ApiKey::to_json() const {
  return {{"id", id},
          {"name", name},
          {"prefix", std::string(kApiKeyPrefix) + prefix},
          {"role", role_name(role)},
          {"created_by", created_by.empty() ? nlohmann::json() : nlohmann::json(created_by)},
          {"created_at", format_rfc3339(created_at)},
          {"last_used_at", time_or_null(last_used_at)},
          {"expires_at", time_or_null(expires_at)},
          {"revoked_at", time_or_null(revoked_at)}};
}

bool valid_tenant_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63 || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::optional<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
  if (email.size() < 3 || email.size() > 254) return std::nullopt;
  const auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') return std::nullopt;
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

// ---- tenants

Tenant IdentityStore::create_tenant(storage::Session& s, const std::string& name, const std::string& display_name) {
  if (!valid_tenant_name(name)) {
    throw validation_error("invalid tenant name", {{"name", "1-63 of a-z, 0-9 and '-', not starting with '-'"}});
  }
  Tenant t{new_uuid_v7(), name, display_name.empty() ? name : display_name, nlohmann::json::object(), now_micros()};
  try {
    s.execute("INSERT INTO tenants (id, name, display_name, limits, created_at) VALUES ($1, $2, $3, '{}', $4)",
              {t.id, t.name, t.display_name, t.created_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "a tenant with this name exists", {{"name", name}});
  }
  return t;
}

std::optional<Tenant> IdentityStore::tenant_by_id(const std::string& id) {
  if (auto r = db_.query_one(cols(kTenantColumns, "FROM tenants WHERE id = $1"), {id})) return tenant_from(*r);
  return std::nullopt;
}

std::optional<Tenant> IdentityStore::tenant_by_name(const std::string& name) {
  if (auto r = db_.query_one(cols(kTenantColumns, "FROM tenants WHERE name = $1"), {name})) return tenant_from(*r);
  return std::nullopt;
}

std::vector<Tenant> IdentityStore::list_tenants() {
  std::vector<Tenant> out;
  for (const auto& r : db_.query(cols(kTenantColumns, "FROM tenants ORDER BY name")).rows)
    out.push_back(tenant_from(r));
  return out;
}

void IdentityStore::set_tenant_limits(const std::string& tenant_id, const nlohmann::json& limits) {
  if (db_.execute("UPDATE tenants SET limits = $2 WHERE id = $1", {tenant_id, limits.dump()}) == 0) {
    throw Error(ErrorCode::kNotFound, "no such tenant");
  }
}

// ---- users

User IdentityStore::create_user(storage::Session& s, const std::string& email, const std::string& password_hash,
                                const std::string& display_name, bool superadmin) {
  User u;
  u.id = new_uuid_v7();
  u.email = email;
  u.password_hash = password_hash;
  u.display_name = display_name;
  u.superadmin = superadmin;
  u.created_at = now_micros();
  try {
    s.execute(
        "INSERT INTO users (id, email, password_hash, display_name, superadmin, disabled, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {u.id, u.email, u.password_hash, u.display_name, u.superadmin, false, u.created_at});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "an account with this email exists");
  }
  return u;
}

std::optional<User> IdentityStore::user_by_id(const std::string& id) {
  if (auto r = db_.query_one(cols(kUserColumns, "FROM users WHERE id = $1"), {id})) return user_from(*r);
  return std::nullopt;
}

std::optional<User> IdentityStore::user_by_email(const std::string& email) {
  if (auto r = db_.query_one(cols(kUserColumns, "FROM users WHERE email = $1"), {email})) return user_from(*r);
  return std::nullopt;
}

void IdentityStore::set_password_hash(const std::string& user_id, const std::string& hash) {
  db_.execute("UPDATE users SET password_hash = $2 WHERE id = $1", {user_id, hash});
}

void IdentityStore::touch_login(const std::string& user_id) {
  db_.execute("UPDATE users SET last_login_at = $2 WHERE id = $1", {user_id, now_micros()});
}

void IdentityStore::delete_user(storage::Session& s, const std::string& user_id) {
  s.execute("DELETE FROM refresh_tokens WHERE user_id = $1", {user_id});
  s.execute("DELETE FROM api_keys WHERE created_by = $1", {user_id});
  s.execute("DELETE FROM invitations WHERE created_by = $1", {user_id});
  s.execute("DELETE FROM role_grants WHERE user_id = $1", {user_id});
  s.execute("DELETE FROM memberships WHERE user_id = $1", {user_id});
  s.execute("DELETE FROM users WHERE id = $1", {user_id});
}

// ---- memberships

void IdentityStore::add_membership(storage::Session& s, const std::string& user_id, const std::string& tenant_id,
                                   Role role) {
  try {
    s.execute("INSERT INTO memberships (user_id, tenant_id, role, created_at) VALUES ($1, $2, $3, $4)",
              {user_id, tenant_id, std::string(role_name(role)), now_micros()});
  } catch (const storage::UniqueViolation&) {
    throw Error(ErrorCode::kConflict, "already a member of this tenant");
  }
}

std::optional<Membership> IdentityStore::membership(const std::string& user_id, const std::string& tenant_id) {
  auto r = db_.query_one("SELECT role FROM memberships WHERE user_id = $1 AND tenant_id = $2", {user_id, tenant_id});
  if (!r) return std::nullopt;
  return Membership{user_id, tenant_id, role_of(r->get<std::string>(0))};
}

std::vector<Membership> IdentityStore::memberships_of(const std::string& user_id) {
  std::vector<Membership> out;
  for (const auto& r :
       db_.query("SELECT tenant_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at", {user_id}).rows) {
    out.push_back({user_id, r.get<std::string>(0), role_of(r.get<std::string>(1))});
  }
  return out;
}

std::vector<IdentityStore::Member> IdentityStore::members(const std::string& tenant_id) {
  std::vector<Member> out;
  const std::string sql =
      "SELECT u.id, u.email, u.password_hash, u.display_name, u.superadmin, u.disabled, u.created_at, "
      "u.last_login_at, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 "
      "ORDER BY u.email";
  for (const auto& r : db_.query(sql, {tenant_id}).rows)
    out.push_back({user_from(r), role_of(r.get<std::string>(8)), {}});
  std::map<std::string, std::vector<std::string>> granted;
  for (const auto& r :
       db_.query("SELECT user_id, role FROM role_grants WHERE tenant_id = $1 ORDER BY role", {tenant_id}).rows) {
    granted[r.get<std::string>(0)].push_back(r.get<std::string>(1));
  }
  for (auto& m : out) {
    if (auto it = granted.find(m.user.id); it != granted.end()) m.grants = product_roles_of(it->second);
  }
  return out;
}

std::vector<Role> IdentityStore::grants(const std::string& tenant_id, const std::string& user_id) {
  std::vector<std::string> names;
  for (const auto& r : db_.query("SELECT role FROM role_grants WHERE tenant_id = $1 AND user_id = $2 ORDER BY role",
                                 {tenant_id, user_id})
                           .rows) {
    names.push_back(r.get<std::string>(0));
  }
  return product_roles_of(names);
}

bool IdentityStore::grant_role(storage::Session& s, const std::string& tenant_id, const std::string& user_id, Role role,
                               const std::string& granted_by) {
  if (!is_product_role(role)) throw Error(ErrorCode::kValidationFailed, "only product roles are granted");
  if (!s.query_one("SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2", {tenant_id, user_id})) {
    return false;
  }
  return s.execute(
             "INSERT INTO role_grants (tenant_id, user_id, role, granted_by, created_at) VALUES ($1, $2, $3, $4, $5) "
             "ON CONFLICT (tenant_id, user_id, role) DO NOTHING",
             {tenant_id, user_id, std::string(role_name(role)), text_or_null(granted_by), now_micros()}) > 0;
}

bool IdentityStore::revoke_role(storage::Session& s, const std::string& tenant_id, const std::string& user_id,
                                Role role) {
  return s.execute("DELETE FROM role_grants WHERE tenant_id = $1 AND user_id = $2 AND role = $3",
                   {tenant_id, user_id, std::string(role_name(role))}) > 0;
}

bool IdentityStore::set_role(const std::string& tenant_id, const std::string& user_id, Role role) {
  return db_.execute("UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                     {tenant_id, user_id, std::string(role_name(role))}) > 0;
}

bool IdentityStore::remove_membership(const std::string& tenant_id, const std::string& user_id) {
  auto tx = db_.begin(storage::TxMode::kWrite);
  tx->execute("DELETE FROM role_grants WHERE tenant_id = $1 AND user_id = $2", {tenant_id, user_id});
  if (tx->execute("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", {tenant_id, user_id}) == 0) {
    return false;
  }
  const std::int64_t now = now_micros();
  tx->execute("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND created_by = $2 AND revoked_at IS NULL",
              {tenant_id, user_id, now});
  tx->execute("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
              {tenant_id, user_id, now});
  tx->commit();
  return true;
}

// ---- invitations

std::pair<Invitation, std::string> IdentityStore::create_invitation(const std::string& tenant_id,
                                                                    const std::string& email, Role role,
                                                                    const std::string& created_by,
                                                                    std::int64_t expires_at) {
  const std::string token = std::string(kInvitationPrefix) + hex_encode(random_bytes(kSecretRandomBytes));
  Invitation inv{new_uuid_v7(), tenant_id, email, role, expires_at, std::nullopt};
  db_.execute(
      "INSERT INTO invitations (id, tenant_id, email, role, token_hash, created_by, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {inv.id, tenant_id, email, std::string(role_name(role)), sha256_hex(token), text_or_null(created_by),
       now_micros(), expires_at});
  return {inv, token};
}

std::optional<Invitation> IdentityStore::open_invitation(const std::string& token) {
  if (!token.starts_with(kInvitationPrefix) || token.size() > 128) return std::nullopt;
  auto r =
      db_.query_one("SELECT id, tenant_id, email, role, expires_at, accepted_at FROM invitations WHERE token_hash = $1",
                    {sha256_hex(token)});
  if (!r) return std::nullopt;
  Invitation inv{r->get<std::string>(0),          r->get<std::string>(1),  r->get<std::string>(2),
                 role_of(r->get<std::string>(3)), r->get<std::int64_t>(4), r->get_optional<std::int64_t>(5)};
  if (inv.accepted_at || inv.expires_at <= now_micros()) return std::nullopt;
  return inv;
}

void IdentityStore::accept_invitation(storage::Session& s, const std::string& id) {
  if (s.execute("UPDATE invitations SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL", {id, now_micros()}) ==
      0) {
    throw Error(ErrorCode::kConflict, "the invitation was already used");
  }
}

// ---- API keys

std::pair<ApiKey, std::string> IdentityStore::create_api_key(storage::Session& s, const std::string& tenant_id,
                                                             const std::string& name, Role role,
                                                             const std::string& created_by,
                                                             std::optional<std::int64_t> expires_at,
                                                             const std::string& given_key) {
  const std::string key = given_key.empty() ? generate_api_key() : given_key;
  if (!looks_like_api_key(key)) throw validation_error("not an API key", {{"key", "must look like tyto_…"}});
  ApiKey k;
  k.id = new_uuid_v7();
  k.tenant_id = tenant_id;
  k.name = name;
  k.prefix = *lookup_prefix(key);
  k.key_hash = hash_secret(key);
  k.role = role;
  k.created_by = created_by;
  k.created_at = now_micros();
  k.expires_at = expires_at;
  s.execute(
      "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, role, created_by, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {k.id, k.tenant_id, k.name, k.prefix, k.key_hash, std::string(role_name(role)), text_or_null(created_by),
       k.created_at, opt(expires_at)});
  return {k, key};
}

std::optional<ApiKey> IdentityStore::find_api_key(const std::string& key) {
  auto prefix = lookup_prefix(key);
  if (!prefix || !looks_like_api_key(key)) return std::nullopt;
  auto r = db_.query_one(cols(kKeyColumns, "FROM api_keys WHERE prefix = $1"), {*prefix});
  if (!r) return std::nullopt;
  ApiKey k = key_from(*r);
  if (!secret_matches(key, k.key_hash)) return std::nullopt;
  return k;
}

std::vector<ApiKey> IdentityStore::list_api_keys(const std::string& tenant_id,
                                                 const std::optional<std::string>& created_by,
                                                 const std::optional<std::string>& before_id, int limit) {
  // '~' sorts after every UUID character: no cursor means "before the end".
  static const std::string kWhere =
      "FROM api_keys WHERE tenant_id = $1 AND ($2 = '' OR created_by = $2) AND id < $3 ORDER BY id DESC LIMIT $4";
  std::vector<ApiKey> out;
  for (const auto& r : db_.query(cols(kKeyColumns, kWhere), {tenant_id, created_by.value_or(""),
                                                             before_id.value_or("~"), static_cast<std::int64_t>(limit)})
                           .rows) {
    out.push_back(key_from(r));
  }
  return out;
}

std::optional<ApiKey> IdentityStore::api_key(const std::string& tenant_id, const std::string& id) {
  if (auto r = db_.query_one(cols(kKeyColumns, "FROM api_keys WHERE tenant_id = $1 AND id = $2"), {tenant_id, id})) {
    return key_from(*r);
  }
  return std::nullopt;
}

bool IdentityStore::revoke_api_key(const std::string& tenant_id, const std::string& id) {
  return db_.execute("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                     {tenant_id, id, now_micros()}) > 0;
}

void IdentityStore::touch_api_key(const std::string& id, std::int64_t now) {
  db_.execute("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", {id, now});
}

// ---- refresh tokens

std::string IdentityStore::issue_refresh_token(storage::Session& s, const std::string& user_id,
                                               const std::string& tenant_id, std::string family_id,
                                               std::int64_t expires_at) {
  if (family_id.empty()) family_id = new_uuid_v7();
  const std::string token = generate_refresh_token();
  s.execute(
      "INSERT INTO refresh_tokens (id, family_id, user_id, tenant_id, prefix, token_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {new_uuid_v7(), family_id, user_id, tenant_id, *lookup_prefix(token), hash_secret(token), now_micros(),
       expires_at});
  return token;
}

IdentityStore::Rotation IdentityStore::rotate_refresh_token(const std::string& token, std::int64_t now,
                                                            std::int64_t family_expires_at, std::int64_t grace_micros) {
  Rotation out;
  auto prefix = lookup_prefix(token);
  if (!prefix || !looks_like_refresh_token(token)) return out;
  auto tx = db_.begin(storage::TxMode::kWrite);
  std::optional<Row> found;
  for (auto& r : tx->query("SELECT id, family_id, user_id, tenant_id, token_hash, expires_at, used_at, revoked_at "
                           "FROM refresh_tokens WHERE prefix = $1",
                           {*prefix})
                     .rows) {
    if (secret_matches(token, r.get<std::string>(4))) found = r;
  }
  if (!found) return out;
  out.family_id = found->get<std::string>(1);
  out.user_id = found->get<std::string>(2);
  out.tenant_id = found->get<std::string>(3);
  if (!found->is_null(7)) {
    out.outcome = RefreshOutcome::kRevoked;
  } else if (!found->is_null(6) && now - found->get<std::int64_t>(6) < grace_micros) {
    out.outcome = RefreshOutcome::kRaced;
  } else if (!found->is_null(6)) {
    // A used token presented again: someone holds a copy. End the whole session.
    tx->execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
                {out.family_id, now});
    out.outcome = RefreshOutcome::kReused;
  } else if (found->get<std::int64_t>(5) <= now) {
    out.outcome = RefreshOutcome::kExpired;
  } else {
    // Compare-and-set on used_at: of two concurrent refreshes with the same token, one wins.
    if (tx->execute("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                    {found->get<std::string>(0), now}) == 1) {
      out.new_token = issue_refresh_token(*tx, out.user_id, out.tenant_id, out.family_id, family_expires_at);
      out.outcome = RefreshOutcome::kRotated;
    } else {
      out.outcome = RefreshOutcome::kRaced;  // a concurrent refresh with the same token won
    }
  }
  tx->commit();
  return out;
}

std::optional<std::pair<std::string, std::string>> IdentityStore::revoke_family_of(const std::string& token) {
  auto prefix = lookup_prefix(token);
  if (!prefix || !looks_like_refresh_token(token)) return std::nullopt;
  for (const auto& r :
       db_.query("SELECT family_id, token_hash, user_id, tenant_id FROM refresh_tokens WHERE prefix = $1", {*prefix})
           .rows) {
    if (secret_matches(token, r.get<std::string>(1))) {
      db_.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
                  {r.get<std::string>(0), now_micros()});
      return std::pair{r.get<std::string>(2), r.get<std::string>(3)};
    }
  }
  return std::nullopt;
}

void IdentityStore::revoke_all_of_user(const std::string& user_id, const std::string& keep_family) {
  db_.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND family_id <> $3",
              {user_id, now_micros(), keep_family});
}

bool IdentityStore::session_revoked(const std::string& family_id) {
  return db_
      .query_one("SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1", {family_id})
      .has_value();
}

}  // namespace tyto::auth
