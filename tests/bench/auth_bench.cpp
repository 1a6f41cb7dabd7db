// Authentication cost, in process: what AuthService adds to every protected request (authenticate +
// rate-limit admission) for a JWT access token and for an API key, once their principal is cached and
// on a cache miss (database read), and what a login costs in argon2id with the configured parameters.
//
//   build/tests/bench/tyto_bench_auth [sqlite:/tmp/auth-bench.db | postgres://…]
#include "tyto/api/auth_routes.hpp"
#include "tyto/api/auth_service.hpp"
#include "tyto/auth/password.hpp"
#include "tyto/core/time.hpp"
#include "tyto/storage/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

using namespace tyto;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Per-call time of fn in microseconds: median of 5 runs of n calls.
template <class Fn>
double per_call_us(int n, Fn&& fn) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) fn();
    runs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n);
  }
  return percentile(runs, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / fmt::format("tyto-auth-bench-{}", ::getpid())).string();
  std::filesystem::create_directories(dir);
  const std::string url = argc > 1 ? argv[1] : "sqlite:" + dir + "/bench.db";
  Config config;
  config.auth.admin_password = "benchmark admin password";
  config.limits.tenant_rps = config.limits.key_rps = 1e12;
  config.limits.tenant_burst = config.limits.key_burst = 1e12;
  auto db = storage::open_database({url});
  storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
  metrics::Registry registry;
  auth::IdentityStore ids(*db);
  auth::AuditLog audit(*db);
  api::AuthService svc(config, ids, audit, api::derive_keys(api::load_master_secret(*db, config.auth), {}), registry);
  api::bootstrap_identity(svc);

  auto user = *ids.user_by_email("admin@localhost");
  auto tenant = *ids.tenant_by_name("default");
  const std::string access = svc.issue_tokens(user, tenant, auth::Role::kAdmin, {})["access_token"];
  auto [key, secret] = ids.create_api_key(*db, tenant.id, "bench", auth::Role::kUser, {}, std::nullopt);

  auto request_with = [](const std::string& token) {
    http::Request req;
    req.method = http::Method::kGet;
    req.path = "/api/v1/jobs";
    req.headers.add("Authorization", "Bearer " + token);
    req.remote_address = "127.0.0.1";
    return req;
  };
  const auto jwt_req = request_with(access);
  const auto key_req = request_with(secret);
  auto full = [&](const http::Request& req) {
    auto p = svc.authenticate(req);
    svc.admit(req, p);
  };
  std::cout << fmt::format("== auth overhead per request ({}), authenticate + rate-limit admission\n",
                           db->display_url());
  std::cout << fmt::format("JWT access token, cached principal: {:.2f} us\n",
                           per_call_us(200'000, [&] { full(jwt_req); }));
  std::cout << fmt::format("API key, cached principal:          {:.2f} us\n",
                           per_call_us(200'000, [&] { full(key_req); }));
  std::cout << fmt::format("JWT access token, cache miss:       {:.2f} us\n", per_call_us(2'000, [&] {
                             svc.forget_caches();
                             full(jwt_req);
                           }));
  std::cout << fmt::format("API key, cache miss:                {:.2f} us\n", per_call_us(2'000, [&] {
                             svc.forget_caches();
                             full(key_req);
                           }));

  std::vector<double> hash_ms, verify_ms;
  const std::string hash = auth::hash_password("benchmark admin password", svc.password_params());
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    (void)auth::hash_password("benchmark admin password", svc.password_params());
    auto t1 = Clock::now();
    (void)auth::verify_password("benchmark admin password", hash);
    auto t2 = Clock::now();
    hash_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    verify_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::cout << fmt::format("== argon2id (t={}, m={} MiB): hash p50 {:.1f} ms, verify p50 {:.1f} ms p95 {:.1f} ms\n",
                           config.auth.argon2_ops, config.auth.argon2_mem_mib, percentile(hash_ms, 0.5),
                           percentile(verify_ms, 0.5), percentile(verify_ms, 0.95));
  db.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
