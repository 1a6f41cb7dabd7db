// The server's authentication: who a request comes from, what it may spend, and the tokens a login
// hands out. Implements http::Authenticator for the HTTP server; the auth routes use the rest.
//
// Credentials, in "Authorization: Bearer …" (or "?access_token=" on WebSocket and SSE routes):
//   - a JWT access token (HS256, `auth.access_ttl_s`, signed with a key derived from auth.secret), whose
//     user and membership are re-read at most every few seconds, so a removed user, a revoked membership or
//     a changed role takes effect within kPrincipalCacheTtl rather than at the token's expiry;
//   - an API key (tyto_…), looked up by prefix and SHA-256, cached for kPrincipalCacheTtl.
// Rate limits: a token bucket per tenant and one per API key (or per user), sized by the limits.* config
// or the tenant's overrides (tenants.limits, set through the admin API).
//
// Thread-safety: every method may be called from any thread. Blocking: they may read the database.
#pragma once

#include "tyto/auth/audit.hpp"
#include "tyto/auth/identity.hpp"
#include "tyto/auth/jwt.hpp"
#include "tyto/auth/password.hpp"
#include "tyto/auth/rate_limit.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/router.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tyto::api {

inline constexpr std::chrono::seconds kPrincipalCacheTtl{5};

// Keys derived from the master secret (auth.secret, or the one generated and kept in the settings table),
// one per use, so that no signature made for one purpose is valid for another.
struct SecretKeys {
  std::vector<auth::JwtKey> jwt;  // the first signs; all verify (rotation through auth.previous_secrets)
  std::string upload_url;         // HMAC key of local upload URLs
  std::string share_url;          // HMAC key of share URLs
  std::string webhook_secrets;    // encrypts webhook signing secrets at rest
  std::string product_secrets;    // encrypts products' secrets at rest (Services::secrets)
};

// The master secret: config's, else the one in the settings table, else a new random one stored there
// (inserted once, so several instances on one database agree).
std::string load_master_secret(storage::Database& db, const AuthConfig& config);
SecretKeys derive_keys(const std::string& master, const std::vector<std::string>& previous);

// Effective limits of a tenant: its overrides on top of the configured defaults.
struct TenantLimits {
  double tenant_rps, tenant_burst, key_rps, key_burst;
  int concurrent_jobs;
  int jobs_per_day;
  std::int64_t stored_bytes;

  nlohmann::json to_json() const;
};

// The JSON Schema of an overrides document ({"tenant_rps": 5, …}): only the limits above, each a
// number in its range or null (null removes the override).
nlohmann::json limit_overrides_schema();

class AuthService final : public http::Authenticator {
 public:
  AuthService(const Config& config, auth::IdentityStore& identity, auth::AuditLog& audit, SecretKeys keys,
              metrics::Registry& registry);
  ~AuthService() override;

  auth::Principal authenticate(const http::Request& req) override;
  void admit(const http::Request& req, const auth::Principal& principal) override;
  // From the caches alone (a principal and tenant limits read within kPrincipalCacheTtl, an API key whose
  // last_used_at needs no update), for answers on an I/O thread.
  std::optional<auth::Principal> authenticate_cached(const http::Request& req) override;
  bool admit_cached(const http::Request& req, const auth::Principal& principal) override;

  struct Session {
    std::string refresh_token;
    std::string id;  // the refresh family; access tokens carry it as "sid"
  };
  // The login response: an access token of `session`, its refresh token, the user, tenant and role.
  nlohmann::json issue_tokens(const auth::User& user, const auth::Tenant& tenant, auth::Role role,
                              const Session& session);
  // Starts a session (a refresh family) for user in tenant.
  Session start_session(const auth::User& user, const auth::Tenant& tenant);

  // Password hashing admission: at most auth.password_concurrency hashes run at once and as many wait;
  // past that, refused at once with Error(kRateLimited, scope "password_checks"), so a flood of logins
  // never holds more than a few of the blocking pool's threads. Hold the slot while hashing.
  class PasswordSlot {
   public:
    explicit PasswordSlot(AuthService& svc);
    ~PasswordSlot();
    PasswordSlot(const PasswordSlot&) = delete;
    PasswordSlot& operator=(const PasswordSlot&) = delete;

   private:
    AuthService& svc_;
  };
  // Takes a token from the caller's address's login bucket (auth.login_rps, auth.login_burst): every
  // login and registration attempt counts, successful or not. Throws Error(kRateLimited, scope "login").
  void admit_login(const http::Request& req);

  // The common-password list (auth.password_blocklist); empty when none was configured or readable.
  const auth::PasswordBlocklist& password_blocklist() const { return blocklist_; }

  // The role user has in tenant: its membership's, or superadmin for a platform superadmin; nullopt
  // if neither.
  std::optional<auth::Role> role_in(const auth::User& user, const std::string& tenant_id);

  TenantLimits limits_for(const std::string& tenant_id);
  void forget_tenant(const std::string& tenant_id);  // after its limits changed
  void forget_caches();                              // after a user, membership or key changed

  auth::LoginGuard& login_guard() { return login_guard_; }
  const auth::PasswordParams& password_params() const { return password_params_; }
  const Config& config() const { return config_; }
  const SecretKeys& keys() const { return keys_; }
  auth::IdentityStore& identity() { return identity_; }
  auth::AuditLog& audit() { return audit_; }

 private:
  struct Cached {
    auth::Principal principal;
    std::int64_t fetched_at = 0;
    std::int64_t expires_at = 0;  // of the API key, 0: none
  };
  auth::Principal from_jwt(const std::string& token, std::int64_t now);
  auth::Principal from_api_key(const std::string& key, std::int64_t now);
  void charge(const auth::Principal& p, const TenantLimits& limits);

  const Config& config_;
  auth::IdentityStore& identity_;
  auth::AuditLog& audit_;
  SecretKeys keys_;
  auth::PasswordParams password_params_;
  auth::JwtVerifyOptions verify_options_;
  auth::RateLimiter limiter_;
  auth::LoginGuard login_guard_;
  auth::PasswordBlocklist blocklist_;
  metrics::Family<metrics::Counter>& failures_;

  std::mutex password_mutex_;
  std::condition_variable password_freed_;
  int password_running_ = 0;  // guarded by password_mutex_
  int password_waiting_ = 0;  // guarded by password_mutex_
  int password_concurrency_ = 1;

  std::mutex mutex_;
  // By "jwt:<user>:<tenant>", by the verified token itself, or by "key:<hash>".
  std::unordered_map<std::string, Cached> principals_;
  std::unordered_map<std::string, std::pair<TenantLimits, std::int64_t>> limits_;
  std::unordered_map<std::string, std::int64_t> key_touched_;  // API key id → last_used_at written
};

}  // namespace tyto::api
