// Tenants, users, memberships, invitations, API keys and refresh tokens: the identity tables of
// migration 0003, behind one repository.
//
// Secrets never reach the database in clear: passwords as argon2id PHC strings (password.hpp), API keys,
// refresh tokens and invitation tokens as SHA-256 hex (tokens.hpp) next to a short lookup prefix.
//
// Tenant scoping: every read of a tenant's rows takes the tenant id and filters by it, so a row of another
// tenant is simply not found.
//
// Thread-safety: safe from any thread. Blocking (database; password hashing where named).
#pragma once

#include "tyto/auth/password.hpp"
#include "tyto/auth/roles.hpp"
#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tyto::auth {

struct Tenant {
  std::string id;
  std::string name;  // slug: [a-z0-9][a-z0-9-]{0,62}
  std::string display_name;
  nlohmann::json limits = nlohmann::json::object();  // overrides of the limits.* config
  std::int64_t created_at = 0;

  nlohmann::json to_json() const;
};

struct User {
  std::string id;
  std::string email;  // lowercased
  std::string password_hash;
  std::string display_name;
  bool superadmin = false;
  bool disabled = false;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_login_at;

  nlohmann::json to_json() const;  // never includes the hash
};

struct Membership {
  std::string user_id;
  std::string tenant_id;
  Role role = Role::kViewer;
};

struct ApiKey {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string prefix;
  std::string key_hash;
  Role role = Role::kViewer;
  std::string created_by;  // user id, empty for the CLI and the bootstrap key
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;

  nlohmann::json to_json() const;  // never includes the hash
};

struct RefreshToken {
  std::string id;
  std::string family_id;
  std::string user_id;
  std::string tenant_id;
  std::string token_hash;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at;
  std::optional<std::int64_t> revoked_at;
};

struct Invitation {
  std::string id;
  std::string tenant_id;
  std::string email;
  Role role = Role::kUser;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> accepted_at;
};

// What rotate_refresh_token found.
// kRaced: the token was used moments ago (within the grace given to rotate_refresh_token), as when a
// client sends the same refresh twice at once: refused, but its session is not revoked as for kReused.
enum class RefreshOutcome { kRotated, kUnknown, kExpired, kRevoked, kReused, kRaced };

// True for a tenant name Tyto accepts: 1–63 of [a-z0-9-], starting with a letter or digit.
bool valid_tenant_name(std::string_view name) noexcept;

// Lowercases and trims an email; nullopt unless it has the shape local@domain (≤ 254 bytes, no spaces).
std::optional<std::string> normalize_email(std::string_view email);

class IdentityStore {
 public:
  explicit IdentityStore(storage::Database& db) : db_(db) {}

  storage::Database& db() { return db_; }

  // Tenants. create_tenant throws Error(kConflict) for a taken name, kValidationFailed for a bad one.
  Tenant create_tenant(storage::Session& s, const std::string& name, const std::string& display_name);
  std::optional<Tenant> tenant_by_id(const std::string& id);
  std::optional<Tenant> tenant_by_name(const std::string& name);
  std::vector<Tenant> list_tenants();
  void set_tenant_limits(const std::string& tenant_id, const nlohmann::json& limits);

  // Users. create_user throws Error(kConflict) for a taken email. The hash is made by the caller.
  User create_user(storage::Session& s, const std::string& email, const std::string& password_hash,
                   const std::string& display_name, bool superadmin = false);
  std::optional<User> user_by_id(const std::string& id);
  std::optional<User> user_by_email(const std::string& email);
  void set_password_hash(const std::string& user_id, const std::string& hash);
  void touch_login(const std::string& user_id);
  // Deletes the user's row and everything keyed to it here (memberships, refresh tokens, API keys the
  // user created, invitations it sent). Audit entries stay.
  void delete_user(storage::Session& s, const std::string& user_id);

  // Memberships.
  void add_membership(storage::Session& s, const std::string& user_id, const std::string& tenant_id, Role role);
  std::optional<Membership> membership(const std::string& user_id, const std::string& tenant_id);
  std::vector<Membership> memberships_of(const std::string& user_id);
  struct Member {
    User user;
    Role role;
    std::vector<Role> grants;  // product roles granted beside role
  };
  std::vector<Member> members(const std::string& tenant_id);
  bool set_role(const std::string& tenant_id, const std::string& user_id, Role role);
  // Removes the membership and, in the same transaction, revokes the API keys the user made in that
  // tenant and the user's sessions there: nothing the user held keeps working after removal.
  bool remove_membership(const std::string& tenant_id, const std::string& user_id);

  // Product roles granted to a member beside its membership's role (migration 0007), by name; names the
  // build does not declare are left out. Removing the membership or the user removes its grants.
  std::vector<Role> grants(const std::string& tenant_id, const std::string& user_id);
  // True when the grant is new; false when the member already held it or is no member of the tenant (the
  // caller tells the two apart). Throws Error(kValidationFailed) for a role that is not a product role.
  bool grant_role(storage::Session& s, const std::string& tenant_id, const std::string& user_id, Role role,
                  const std::string& granted_by);
  // True when the member held the grant.
  bool revoke_role(storage::Session& s, const std::string& tenant_id, const std::string& user_id, Role role);

  // Invitations: returns the token (shown once) with the row.
  std::pair<Invitation, std::string> create_invitation(const std::string& tenant_id, const std::string& email,
                                                       Role role, const std::string& created_by,
                                                       std::int64_t expires_at);
  // The open invitation behind token, or nullopt (unknown, expired, already accepted).
  std::optional<Invitation> open_invitation(const std::string& token);
  void accept_invitation(storage::Session& s, const std::string& id);

  // API keys: create returns the key (shown once) with the row. find_api_key looks the key up by its
  // prefix and compares hashes in constant time; revoked and expired keys are returned too (the caller
  // decides).
  std::pair<ApiKey, std::string> create_api_key(storage::Session& s, const std::string& tenant_id,
                                                const std::string& name, Role role, const std::string& created_by,
                                                std::optional<std::int64_t> expires_at, const std::string& key = {});
  std::optional<ApiKey> find_api_key(const std::string& key);
  // Keys of the tenant, newest first: those made by created_by only when given, those older than
  // before_id only when given (a cursor), at most limit.
  std::vector<ApiKey> list_api_keys(const std::string& tenant_id, const std::optional<std::string>& created_by = {},
                                    const std::optional<std::string>& before_id = {}, int limit = 1000);
  std::optional<ApiKey> api_key(const std::string& tenant_id, const std::string& id);
  bool revoke_api_key(const std::string& tenant_id, const std::string& id);
  void touch_api_key(const std::string& id, std::int64_t now);

  // Refresh tokens. issue starts a family (login) when family_id is empty. rotate marks the presented
  // token used and issues its successor in the same family, atomically; presenting a token that was
  // already used revokes its whole family and answers kReused.
  std::string issue_refresh_token(storage::Session& s, const std::string& user_id, const std::string& tenant_id,
                                  std::string family_id, std::int64_t expires_at);
  struct Rotation {
    RefreshOutcome outcome = RefreshOutcome::kUnknown;
    std::string user_id;
    std::string tenant_id;
    std::string family_id;
    std::string new_token;  // when rotated
  };
  // A token used less than grace_micros ago is kRaced, an older use kReused (which revokes the family).
  Rotation rotate_refresh_token(const std::string& token, std::int64_t now, std::int64_t family_expires_at,
                                std::int64_t grace_micros = 0);
  // Revokes the family of token (logout) and returns the token's (user id, tenant id); nullopt if the
  // token is unknown.
  std::optional<std::pair<std::string, std::string>> revoke_family_of(const std::string& token);
  // Revokes every session of the user except keep_family's (the caller's own, when it changes its
  // password); empty keeps none.
  void revoke_all_of_user(const std::string& user_id, const std::string& keep_family = {});
  // Whether the session (refresh family) was revoked: logout, reuse, password change, removal. Access
  // tokens carry their session id, so a revoked session's tokens stop working before they expire.
  bool session_revoked(const std::string& family_id);

 private:
  storage::Database& db_;
};

}  // namespace tyto::auth
