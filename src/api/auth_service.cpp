#include "tyto/api/auth_service.hpp"

#include "tyto/auth/tokens.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

#include <cmath>
#include <thread>

namespace tyto::api {
namespace {

using nlohmann::json;

constexpr std::string_view kIssuer = "tyto";
constexpr std::string_view kAudience = "tyto-api";
constexpr std::int64_t kMicros = 1'000'000;
constexpr std::int64_t kCacheTtlMicros = kPrincipalCacheTtl.count() * kMicros;
constexpr std::size_t kMaxCachedPrincipals = 50'000;
constexpr std::int64_t kTouchEveryMicros = 60 * kMicros;  // last_used_at precision of API keys

[[noreturn]] void unauthorized(std::string_view why = "missing or invalid credentials") {
  throw Error(ErrorCode::kUnauthorized, std::string(why));
}

// The bearer credential of req: the Authorization header, or ?access_token= where browsers cannot set
// headers (WebSocket upgrades and EventSource). The query form is accepted on GET only.
std::optional<std::string> bearer(const http::Request& req) {
  if (auto h = req.headers.get("Authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && http::iequals(v.substr(0, 7), "Bearer ")) {
      v.remove_prefix(7);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    unauthorized("the Authorization header must be \"Bearer <token>\"");
  }
  if (req.method == http::Method::kGet) {
    if (auto q = req.query("access_token")) return *q;
  }
  return std::nullopt;
}

std::string derive(const std::string& master, std::string_view purpose) {
  return hmac_sha256(master, "tyto key derivation v1: " + std::string(purpose));
}

}  // namespace

json TenantLimits::to_json() const {
  return {{"tenant_rps", tenant_rps},    {"tenant_burst", tenant_burst},       {"key_rps", key_rps},
          {"key_burst", key_burst},      {"concurrent_jobs", concurrent_jobs}, {"jobs_per_day", jobs_per_day},
          {"stored_bytes", stored_bytes}};
}

json limit_overrides_schema() {
  const json rate = {{"type", {"number", "null"}}, {"exclusiveMinimum", 0}};
  const json burst = {{"type", {"number", "null"}}, {"minimum", 1}};
  const json count = {{"type", {"integer", "null"}}, {"minimum", 0}, {"description", "0: no limit"}};
  return {{"type", "object"},
          {"additionalProperties", false},
          {"properties",
           {{"tenant_rps", rate},
            {"key_rps", rate},
            {"tenant_burst", burst},
            {"key_burst", burst},
            {"concurrent_jobs", count},
            {"jobs_per_day", count},
            {"stored_bytes", count}}}};
}

std::string load_master_secret(storage::Database& db, const AuthConfig& config) {
  if (!config.secret.empty()) return config.secret;
  db.execute(
      "INSERT INTO settings (key, value, updated_at) VALUES ('auth.secret', $1, $2) ON CONFLICT (key) DO NOTHING",
      {hex_encode(random_bytes(32)), now_micros()});
  auto row = db.query_one("SELECT value FROM settings WHERE key = 'auth.secret'");
  if (!row) throw Error(ErrorCode::kInternal, "the generated auth secret could not be stored");
  return row->get<std::string>(0);
}

SecretKeys derive_keys(const std::string& master, const std::vector<std::string>& previous) {
  SecretKeys k;
  auto jwt_key = [](const std::string& secret) {
    std::string key = derive(secret, "jwt");
    return auth::JwtKey{sha256_hex(key).substr(0, 12), key};
  };
  k.jwt.push_back(jwt_key(master));
  for (const auto& p : previous) k.jwt.push_back(jwt_key(p));
  k.upload_url = derive(master, "upload-url");
  k.share_url = derive(master, "share-url");
  k.webhook_secrets = derive(master, "webhook-secrets");
  k.product_secrets = derive(master, "product-secrets");
  return k;
}

AuthService::AuthService(const Config& config, auth::IdentityStore& identity, auth::AuditLog& audit, SecretKeys keys,
                         metrics::Registry& registry)
    : config_(config),
      identity_(identity),
      audit_(audit),
      keys_(std::move(keys)),
      password_params_{static_cast<std::uint64_t>(config.auth.argon2_ops),
                       static_cast<std::size_t>(config.auth.argon2_mem_mib) * 1024 * 1024},
      failures_(
          registry.counter("tyto_auth_failures_total", "Requests refused authentication, by reason", {"reason"})) {
  verify_options_.issuer = std::string(kIssuer);
  verify_options_.audience = std::string(kAudience);
  password_concurrency_ = config.auth.password_concurrency > 0
                              ? config.auth.password_concurrency
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / 2));
  if (!config.auth.password_blocklist.empty()) {
    if (auto list = auth::PasswordBlocklist::load(config.auth.password_blocklist)) {
      blocklist_ = std::move(*list);
    } else {
      log::warn("the password blocklist cannot be read; new passwords are checked by the built-in rules only",
                {{"path", config.auth.password_blocklist}});
    }
  }
}

AuthService::PasswordSlot::PasswordSlot(AuthService& svc) : svc_(svc) {
  std::unique_lock lock(svc_.password_mutex_);
  if (svc_.password_running_ >= svc_.password_concurrency_) {
    if (svc_.password_waiting_ >= svc_.password_concurrency_) {
      throw Error(ErrorCode::kRateLimited, "too many password checks at once; try again in a moment",
                  {{"scope", "password_checks"}, {"retry_after_s", 1}});
    }
    ++svc_.password_waiting_;
    svc_.password_freed_.wait(lock, [&] { return svc_.password_running_ < svc_.password_concurrency_; });
    --svc_.password_waiting_;
  }
  ++svc_.password_running_;
}

AuthService::PasswordSlot::~PasswordSlot() {
  {
    std::lock_guard lock(svc_.password_mutex_);
    --svc_.password_running_;
  }
  svc_.password_freed_.notify_one();
}

void AuthService::admit_login(const http::Request& req) {
  const auto d =
      limiter_.take("login:" + req.remote_address, {config_.auth.login_rps, config_.auth.login_burst}, now_micros());
  if (!d.allowed) {
    throw Error(ErrorCode::kRateLimited, "too many login attempts from this address",
                {{"scope", "login"}, {"retry_after_s", static_cast<std::int64_t>(d.retry_after.count())}});
  }
}

AuthService::~AuthService() = default;

auth::Principal AuthService::authenticate(const http::Request& req) {
  auto token = bearer(req);
  if (!token || token->empty()) {
    failures_.with({"missing"}).inc();
    unauthorized();
  }
  const std::int64_t now = now_micros();
  if (token->starts_with(auth::kApiKeyPrefix)) return from_api_key(*token, now);
  return from_jwt(*token, now);
}

auth::Principal AuthService::from_jwt(const std::string& token, std::int64_t now) {
  // A token verified a moment ago is the same bytes now: skip the signature and JSON work until its
  // principal goes stale or the token expires.
  {
    std::lock_guard lock(mutex_);
    if (auto it = principals_.find(token);
        it != principals_.end() && now - it->second.fetched_at < kCacheTtlMicros && now < it->second.expires_at) {
      return it->second.principal;
    }
  }
  auto result = auth::verify_jwt(token, keys_.jwt, now, verify_options_);
  if (!result.ok()) {
    failures_.with({std::string(auth::jwt_error_name(*result.error))}).inc();
    unauthorized(*result.error == auth::JwtError::kExpired ? "the access token expired" : "invalid access token");
  }
  const json& c = result.claims;
  if (!c.contains("sub") || !c["sub"].is_string() || !c.contains("tid") || !c["tid"].is_string()) {
    failures_.with({"malformed"}).inc();
    unauthorized("invalid access token");
  }
  const std::string user_id = c["sub"];
  const std::string tenant_id = c["tid"];
  const std::string session_id = c.contains("sid") && c["sid"].is_string() ? c["sid"].get<std::string>() : "";
  const std::string cache_key = "jwt:" + user_id + ":" + tenant_id + ":" + session_id;
  const std::int64_t token_expires = c["exp"].get<std::int64_t>() * kMicros;
  {
    std::lock_guard lock(mutex_);
    if (auto it = principals_.find(cache_key);
        it != principals_.end() && now - it->second.fetched_at < kCacheTtlMicros) {
      if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
      principals_[token] = {it->second.principal, it->second.fetched_at, token_expires};
      return principals_[token].principal;
    }
  }
  // The user and membership as they are now: deletion, disabling and role changes apply within the TTL.
  auto user = identity_.user_by_id(user_id);
  auto tenant = identity_.tenant_by_id(tenant_id);
  std::optional<auth::Role> role;
  if (user && !user->disabled && tenant) role = role_in(*user, tenant_id);
  if (!role) {
    failures_.with({"no_membership"}).inc();
    unauthorized("the account no longer has access to this tenant");
  }
  // Logout, a password change elsewhere or a detected refresh reuse ends the session's access tokens too.
  if (!session_id.empty() && identity_.session_revoked(session_id)) {
    failures_.with({"session_revoked"}).inc();
    unauthorized("the session ended; log in again");
  }
  auth::Principal p;
  p.kind = auth::Principal::Kind::kUser;
  p.session_id = session_id;
  p.subject_id = user->id;
  p.user_id = user->id;
  p.tenant_id = tenant->id;
  p.tenant_name = tenant->name;
  p.role = *role;
  // Admins already hold every product role: only smaller roles need their grants read.
  if (!auth::role_allows(p.role, auth::Role::kAdmin)) p.grants = identity_.grants(tenant->id, user->id);
  p.email = user->email;
  std::lock_guard lock(mutex_);
  if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
  principals_[cache_key] = {p, now, 0};
  principals_[token] = {p, now, token_expires};
  return p;
}

auth::Principal AuthService::from_api_key(const std::string& key, std::int64_t now) {
  if (!auth::looks_like_api_key(key)) {
    failures_.with({"malformed_key"}).inc();
    unauthorized("invalid API key");
  }
  // Keyed by the key itself, as tokens are: the cache lives only in this process's memory, which sees the key
  // anyway, and a hit then costs no digest. The database still holds only the key's hash.
  const std::string cache_key = "key:" + key;
  std::optional<auth::Principal> to_touch;  // cached, but last_used_at is due for an update
  {
    std::lock_guard lock(mutex_);
    if (auto it = principals_.find(cache_key);
        it != principals_.end() && now - it->second.fetched_at < kCacheTtlMicros) {
      if (it->second.expires_at != 0 && it->second.expires_at <= now) unauthorized("the API key expired");
      auto& touched = key_touched_[it->second.principal.subject_id];
      if (now - touched < kTouchEveryMicros) return it->second.principal;
      touched = now;
      to_touch = it->second.principal;  // a copy: the cache may be cleared while the lock is released
    }
  }
  if (to_touch) {
    identity_.touch_api_key(to_touch->subject_id, now);
    return *to_touch;
  }
  auto k = identity_.find_api_key(key);
  if (!k || k->revoked_at) {
    failures_.with({k ? "revoked_key" : "unknown_key"}).inc();
    unauthorized("invalid API key");
  }
  if (k->expires_at && *k->expires_at <= now) {
    failures_.with({"expired_key"}).inc();
    unauthorized("the API key expired");
  }
  auto tenant = identity_.tenant_by_id(k->tenant_id);
  if (!tenant) unauthorized("invalid API key");
  // A key never carries more than its owner's membership as it is now (re-read when the cache entry
  // goes stale): removal, disabling and demotion reach the owner's keys too.
  auth::Role role = k->role;
  if (!k->created_by.empty()) {
    auto owner = identity_.user_by_id(k->created_by);
    std::optional<auth::Role> owner_role;
    if (owner && !owner->disabled) owner_role = role_in(*owner, tenant->id);
    if (!owner_role) {
      failures_.with({"owner_removed"}).inc();
      unauthorized("the API key's owner no longer has access to this tenant");
    }
    // A key made with a product role its owner holds by grant keeps it while the grant lasts.
    const bool granted = auth::is_product_role(role) && !auth::role_allows(*owner_role, auth::Role::kAdmin) &&
                         auth::role_allows(*owner_role, identity_.grants(tenant->id, owner->id), role);
    if (!granted) role = auth::lesser_role(role, *owner_role);
  }
  auth::Principal p;
  p.kind = auth::Principal::Kind::kApiKey;
  p.subject_id = k->id;
  p.user_id = k->created_by;
  p.tenant_id = tenant->id;
  p.tenant_name = tenant->name;
  p.role = role;
  identity_.touch_api_key(k->id, now);
  std::lock_guard lock(mutex_);
  if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
  principals_[cache_key] = {p, now, k->expires_at.value_or(0)};
  key_touched_[k->id] = now;
  return p;
}

std::optional<auth::Principal> AuthService::authenticate_cached(const http::Request& req) {
  auto token = bearer(req);
  if (!token || token->empty()) return std::nullopt;  // authenticate() answers 401 and counts the failure
  const std::int64_t now = now_micros();
  const bool api_key = token->starts_with(auth::kApiKeyPrefix);
  if (!api_key && token->find(':') != std::string::npos) return std::nullopt;  // no JWT has one; cache keys do
  std::lock_guard lock(mutex_);
  auto it = principals_.find(api_key ? "key:" + *token : *token);
  if (it == principals_.end() || now - it->second.fetched_at >= kCacheTtlMicros) return std::nullopt;
  const Cached& c = it->second;
  if (api_key) {
    if (c.expires_at != 0 && c.expires_at <= now) return std::nullopt;
    auto touched = key_touched_.find(c.principal.subject_id);
    if (touched == key_touched_.end() || now - touched->second >= kTouchEveryMicros) return std::nullopt;
  } else if (now >= c.expires_at) {
    return std::nullopt;
  }
  return c.principal;
}

bool AuthService::admit_cached(const http::Request&, const auth::Principal& p) {
  std::optional<TenantLimits> limits;
  {
    std::lock_guard lock(mutex_);
    if (auto it = limits_.find(p.tenant_id);
        it != limits_.end() && now_micros() - it->second.second < kCacheTtlMicros) {
      limits = it->second.first;
    }
  }
  if (!limits) return false;
  charge(p, *limits);
  return true;
}

void AuthService::admit(const http::Request&, const auth::Principal& p) { charge(p, limits_for(p.tenant_id)); }

void AuthService::charge(const auth::Principal& p, const TenantLimits& limits) {
  const std::int64_t now = now_micros();
  auto refuse = [](const auth::RateLimiter::Decision& d, std::string_view scope) {
    throw Error(ErrorCode::kRateLimited, "too many requests",
                {{"scope", scope}, {"retry_after_s", static_cast<std::int64_t>(d.retry_after.count())}});
  };
  // The caller's own bucket first, so one noisy key does not drain its tenant's bucket when refused.
  const auto own = limiter_.take(p.actor(), {limits.key_rps, limits.key_burst}, now);
  if (!own.allowed) refuse(own, p.kind == auth::Principal::Kind::kApiKey ? "api_key" : "user");
  const auto tenant = limiter_.take("tenant:" + p.tenant_id, {limits.tenant_rps, limits.tenant_burst}, now);
  if (!tenant.allowed) refuse(tenant, "tenant");
}

TenantLimits AuthService::limits_for(const std::string& tenant_id) {
  const std::int64_t now = now_micros();
  {
    std::lock_guard lock(mutex_);
    if (auto it = limits_.find(tenant_id); it != limits_.end() && now - it->second.second < kCacheTtlMicros) {
      return it->second.first;
    }
  }
  const auto& d = config_.limits;
  TenantLimits l{d.tenant_rps,      d.tenant_burst, d.key_rps,     d.key_burst,
                 d.concurrent_jobs, d.jobs_per_day, d.stored_bytes};
  if (auto t = identity_.tenant_by_id(tenant_id)) {
    const json& o = t->limits;
    auto num = [&](const char* name, double& out) {
      if (o.contains(name) && o[name].is_number()) out = o[name].get<double>();
    };
    num("tenant_rps", l.tenant_rps);
    num("tenant_burst", l.tenant_burst);
    num("key_rps", l.key_rps);
    num("key_burst", l.key_burst);
    if (o.contains("concurrent_jobs") && o["concurrent_jobs"].is_number_integer())
      l.concurrent_jobs = o["concurrent_jobs"];
    if (o.contains("jobs_per_day") && o["jobs_per_day"].is_number_integer()) l.jobs_per_day = o["jobs_per_day"];
    if (o.contains("stored_bytes") && o["stored_bytes"].is_number_integer()) l.stored_bytes = o["stored_bytes"];
  }
  std::lock_guard lock(mutex_);
  limits_[tenant_id] = {l, now};
  return l;
}

void AuthService::forget_tenant(const std::string& tenant_id) {
  std::lock_guard lock(mutex_);
  limits_.erase(tenant_id);
}

void AuthService::forget_caches() {
  std::lock_guard lock(mutex_);
  principals_.clear();
}

std::optional<auth::Role> AuthService::role_in(const auth::User& user, const std::string& tenant_id) {
  if (user.superadmin) return auth::Role::kSuperadmin;
  if (auto m = identity_.membership(user.id, tenant_id)) return m->role;
  return std::nullopt;
}

AuthService::Session AuthService::start_session(const auth::User& user, const auth::Tenant& tenant) {
  const std::int64_t expires = now_micros() + config_.auth.refresh_ttl.count() * kMicros;
  Session session;
  session.id = new_uuid_v7();
  session.refresh_token = identity_.issue_refresh_token(identity_.db(), user.id, tenant.id, session.id, expires);
  return session;
}

json AuthService::issue_tokens(const auth::User& user, const auth::Tenant& tenant, auth::Role role,
                               const Session& session) {
  const std::int64_t now_s = now_micros() / kMicros;
  const json claims = {{"iss", kIssuer},    {"aud", kAudience},
                       {"sub", user.id},    {"tid", tenant.id},
                       {"sid", session.id}, {"role", auth::role_name(role)},
                       {"iat", now_s},      {"exp", now_s + config_.auth.access_ttl.count()}};
  const std::string& refresh_token = session.refresh_token;
  return {{"access_token", auth::sign_jwt(claims, keys_.jwt.front().secret, keys_.jwt.front().kid)},
          {"token_type", "Bearer"},
          {"expires_in", config_.auth.access_ttl.count()},
          {"refresh_token", refresh_token},
          {"user", user.to_json()},
          {"tenant", tenant.to_json()},
          {"role", auth::role_name(role)}};
}

}  // namespace tyto::api
