#include "tyto/core/config.hpp"

#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace tyto {
namespace {

using nlohmann::json;
using Setter = void (*)(Config&, const json&);
using Getter = json (*)(const Config&);

struct OptionDef {
  OptionInfo info;
  Setter set;
  Getter get;
};

[[noreturn]] void bad_value(std::string_view key, std::string_view expected, const json& value) {
  throw ConfigError(fmt::format("option {}: expected {}, got {}", key, expected, value.dump()));
}

std::int64_t to_int(std::string_view key, const json& v, std::int64_t min, std::int64_t max) {
  std::int64_t out = 0;
  if (v.is_number_integer()) {
    out = v.get<std::int64_t>();
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) bad_value(key, "an integer", v);
  } else {
    bad_value(key, "an integer", v);
  }
  if (out < min || out > max) {
    throw ConfigError(fmt::format("option {}: {} is out of range [{}, {}]", key, out, min, max));
  }
  return out;
}

bool to_bool(std::string_view key, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  }
  bad_value(key, "true or false", v);
}

std::string to_string(std::string_view key, const json& v) {
  if (!v.is_string()) bad_value(key, "a string", v);
  return v.get<std::string>();
}

std::vector<std::string> to_list(std::string_view key, const json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& item : v) out.push_back(to_string(key, item));
  } else if (v.is_string()) {
    std::stringstream ss(v.get<std::string>());
    std::string item;
    while (std::getline(ss, item, ',')) {
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
    }
  } else {
    bad_value(key, "a list of strings", v);
  }
  return out;
}

double to_double(std::string_view key, const json& v, double min, double max) {
  double out = 0;
  if (v.is_number()) {
    out = v.get<double>();
  } else if (v.is_string()) {
    try {
      std::size_t used = 0;
      out = std::stod(v.get<std::string>(), &used);
      if (used != v.get_ref<const std::string&>().size()) bad_value(key, "a number", v);
    } catch (const std::logic_error&) {
      bad_value(key, "a number", v);
    }
  } else {
    bad_value(key, "a number", v);
  }
  if (!(out >= min && out <= max))
    throw ConfigError(fmt::format("option {}: {} is out of range [{}, {}]", key, out, min, max));
  return out;
}

std::chrono::seconds to_seconds(std::string_view key, const json& v, std::int64_t max) {
  return std::chrono::seconds(to_int(key, v, 1, max));
}

std::chrono::milliseconds to_ms(std::string_view key, const json& v) {
  return std::chrono::milliseconds(to_int(key, v, 1, 24LL * 3600 * 1000));
}

// Replaces the password of scheme://user:password@host… with "***".
std::string mask_url_password(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto at = url.find('@', scheme_end + 3);
  if (at == std::string::npos) return url;
  const auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// The one table of options. Keep docs/configuration.md in step with it (`tyto config --describe`).
const OptionDef kOptions[] = {
    {{"listen", "TYTO_LISTEN", "--listen", "address", "HOST:PORT the HTTP server listens on ([::1]:8080 for IPv6)"},
     [](Config& c, const json& v) {
       if (!v.is_string()) bad_value("listen", "HOST:PORT", v);
       std::tie(c.http.host, c.http.port) = parse_listen_address(v.get<std::string>());
     },
     [](const Config& c) -> json {
       return c.http.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", c.http.host, c.http.port)
                                                         : fmt::format("{}:{}", c.http.host, c.http.port);
     }},
    {{"data_dir", "TYTO_DATA_DIR", "--data-dir", "string", "Directory for the SQLite database and local objects"},
     [](Config& c, const json& v) { c.data_dir = to_string("data_dir", v); },
     [](const Config& c) -> json { return c.data_dir; }},
    {{"log.level", "TYTO_LOG_LEVEL", "--log-level", "string", "trace, debug, info, warn, error or off"},
     [](Config& c, const json& v) {
       auto s = to_string("log.level", v);
       if (!log::parse_level(s)) bad_value("log.level", "one of trace, debug, info, warn, error, off", v);
       c.log_level = s;
     },
     [](const Config& c) -> json { return c.log_level; }},
    {{"database.url", "TYTO_DATABASE_URL", "--database", "string",
      "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB; default sqlite:<data_dir>/tyto.db", true},
     [](Config& c, const json& v) { c.database.url = to_string("database.url", v); },
     [](const Config& c) -> json { return c.database.url; }},
    {{"database.pool_size", "TYTO_DATABASE_POOL_SIZE", "--database-pool-size", "integer",
      "PostgreSQL connections (SQLite: reader connections)"},
     [](Config& c, const json& v) {
       c.database.pool_size = static_cast<int>(to_int("database.pool_size", v, 1, 1000));
     },
     [](const Config& c) -> json { return c.database.pool_size; }},
    {{"database.acquire_timeout_ms", "TYTO_DATABASE_ACQUIRE_TIMEOUT_MS", "--database-acquire-timeout-ms", "duration_ms",
      "How long a request waits for a pooled connection before 503"},
     [](Config& c, const json& v) { c.database.acquire_timeout = to_ms("database.acquire_timeout_ms", v); },
     [](const Config& c) -> json { return c.database.acquire_timeout.count(); }},
    {{"database.busy_timeout_ms", "TYTO_DATABASE_BUSY_TIMEOUT_MS", "--database-busy-timeout-ms", "duration_ms",
      "SQLite: how long to wait for another process's lock"},
     [](Config& c, const json& v) { c.database.busy_timeout = to_ms("database.busy_timeout_ms", v); },
     [](const Config& c) -> json { return c.database.busy_timeout.count(); }},
    {{"database.migrate_on_start", "TYTO_DATABASE_MIGRATE_ON_START", "--database-migrate-on-start", "boolean",
      "Apply pending migrations when `tyto serve` starts"},
     [](Config& c, const json& v) { c.database.migrate_on_start = to_bool("database.migrate_on_start", v); },
     [](const Config& c) -> json { return c.database.migrate_on_start; }},
    {{"database.migrations_dir", "TYTO_DATABASE_MIGRATIONS_DIR", "--database-migrations-dir", "string",
      "Read migrations from this directory (with sqlite/ and postgres/ inside) instead of the built-in ones"},
     [](Config& c, const json& v) { c.database.migrations_dir = to_string("database.migrations_dir", v); },
     [](const Config& c) -> json { return c.database.migrations_dir; }},
    {{"http.io_threads", "TYTO_HTTP_IO_THREADS", "--http-io-threads", "integer", "Network threads; 0 = one per core"},
     [](Config& c, const json& v) { c.http.io_threads = static_cast<int>(to_int("http.io_threads", v, 0, 256)); },
     [](const Config& c) -> json { return c.http.io_threads; }},
    {{"http.blocking_threads", "TYTO_HTTP_BLOCKING_THREADS", "--http-blocking-threads", "integer",
      "Threads for handlers that block (database, files); 0 = max(4, 2 x cores)"},
     [](Config& c, const json& v) {
       c.http.blocking_threads = static_cast<int>(to_int("http.blocking_threads", v, 0, 1024));
     },
     [](const Config& c) -> json { return c.http.blocking_threads; }},
    {{"http.commit_threads", "TYTO_HTTP_COMMIT_THREADS", "--http-commit-threads", "integer",
      "Threads for handlers that wait for a shared commit (batch job submissions, and single ones whose "
      "caller is not in the caches), so that concurrent submissions share one; 0 = 64"},
     [](Config& c, const json& v) {
       c.http.commit_threads = static_cast<int>(to_int("http.commit_threads", v, 0, 1024));
     },
     [](const Config& c) -> json { return c.http.commit_threads; }},
    {{"http.max_header_bytes", "TYTO_HTTP_MAX_HEADER_BYTES", "--http-max-header-bytes", "integer",
      "Largest request line + headers; larger gets 431"},
     [](Config& c, const json& v) {
       c.http.max_header_bytes = static_cast<std::size_t>(to_int("http.max_header_bytes", v, 1024, 1 << 20));
     },
     [](const Config& c) -> json { return c.http.max_header_bytes; }},
    {{"http.max_body_bytes", "TYTO_HTTP_MAX_BODY_BYTES", "--http-max-body-bytes", "integer",
      "Largest request body on ordinary routes; larger gets 413 (upload routes set their own)"},
     [](Config& c, const json& v) {
       c.http.max_body_bytes = static_cast<std::size_t>(to_int("http.max_body_bytes", v, 0, 1LL << 40));
     },
     [](const Config& c) -> json { return c.http.max_body_bytes; }},
    {{"http.max_json_depth", "TYTO_HTTP_MAX_JSON_DEPTH", "--http-max-json-depth", "integer",
      "Deepest nesting of arrays and objects a JSON body may have; deeper gets 400 invalid_json"},
     [](Config& c, const json& v) {
       c.http.max_json_depth = static_cast<std::size_t>(to_int("http.max_json_depth", v, 1, 10'000));
     },
     [](const Config& c) -> json { return c.http.max_json_depth; }},
    {{"http.read_timeout_ms", "TYTO_HTTP_READ_TIMEOUT_MS", "--http-read-timeout-ms", "duration_ms",
      "Time allowed to receive a whole request once its first byte arrived"},
     [](Config& c, const json& v) { c.http.read_timeout = to_ms("http.read_timeout_ms", v); },
     [](const Config& c) -> json { return c.http.read_timeout.count(); }},
    {{"http.idle_timeout_ms", "TYTO_HTTP_IDLE_TIMEOUT_MS", "--http-idle-timeout-ms", "duration_ms",
      "A connection that sends nothing for this long is closed"},
     [](Config& c, const json& v) { c.http.idle_timeout = to_ms("http.idle_timeout_ms", v); },
     [](const Config& c) -> json { return c.http.idle_timeout.count(); }},
    {{"http.write_timeout_ms", "TYTO_HTTP_WRITE_TIMEOUT_MS", "--http-write-timeout-ms", "duration_ms",
      "Time allowed to send a whole response to a slow reader"},
     [](Config& c, const json& v) { c.http.write_timeout = to_ms("http.write_timeout_ms", v); },
     [](const Config& c) -> json { return c.http.write_timeout.count(); }},
    {{"http.shutdown_timeout_ms", "TYTO_HTTP_SHUTDOWN_TIMEOUT_MS", "--http-shutdown-timeout-ms", "duration_ms",
      "On SIGTERM/SIGINT, in-flight requests may finish within this"},
     [](Config& c, const json& v) { c.http.shutdown_timeout = to_ms("http.shutdown_timeout_ms", v); },
     [](const Config& c) -> json { return c.http.shutdown_timeout.count(); }},
    {{"http.cors.allowed_origins", "TYTO_HTTP_CORS_ALLOWED_ORIGINS", "--http-cors-allowed-origins", "list",
      "Origins allowed by CORS (comma-separated; * for any); empty disables CORS"},
     [](Config& c, const json& v) { c.http.cors_allowed_origins = to_list("http.cors.allowed_origins", v); },
     [](const Config& c) -> json { return c.http.cors_allowed_origins; }},
    {{"http.cors.allow_credentials", "TYTO_HTTP_CORS_ALLOW_CREDENTIALS", "--http-cors-allow-credentials", "boolean",
      "Send Access-Control-Allow-Credentials: true to allowed origins"},
     [](Config& c, const json& v) { c.http.cors_allow_credentials = to_bool("http.cors.allow_credentials", v); },
     [](const Config& c) -> json { return c.http.cors_allow_credentials; }},
    {{"http.cors.max_age_s", "TYTO_HTTP_CORS_MAX_AGE_S", "--http-cors-max-age-s", "integer",
      "How long browsers may cache a preflight answer"},
     [](Config& c, const json& v) {
       c.http.cors_max_age_s = static_cast<int>(to_int("http.cors.max_age_s", v, 0, 86400));
     },
     [](const Config& c) -> json { return c.http.cors_max_age_s; }},
    {{"http.access_log", "TYTO_HTTP_ACCESS_LOG", "--http-access-log", "boolean", "One log line per request"},
     [](Config& c, const json& v) { c.http.access_log = to_bool("http.access_log", v); },
     [](const Config& c) -> json { return c.http.access_log; }},
    {{"http.max_connections", "TYTO_HTTP_MAX_CONNECTIONS", "--http-max-connections", "integer",
      "Connections served at once; more get 503 overloaded (a few more are kept for /health, /ready, /metrics); "
      "0 = automatic: the open-file limit minus a reserve for the database and files"},
     [](Config& c, const json& v) {
       c.http.max_connections = static_cast<std::size_t>(to_int("http.max_connections", v, 0, 100'000'000));
     },
     [](const Config& c) -> json { return c.http.max_connections; }},
    {{"http.max_connections_per_address", "TYTO_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "--http-max-connections-per-address",
      "integer",
      "Connections one client address (IPv6: one /64) may hold open; more get 503 overloaded; 0 = no limit "
      "(behind a reverse proxy every client has the proxy's address)"},
     [](Config& c, const json& v) {
       c.http.max_connections_per_address =
           static_cast<std::size_t>(to_int("http.max_connections_per_address", v, 0, 100'000'000));
     },
     [](const Config& c) -> json { return c.http.max_connections_per_address; }},
    {{"jobs.enabled", "TYTO_JOBS_ENABLED", "--jobs-enabled", "boolean", "Run jobs in this process (false: API only)"},
     [](Config& c, const json& v) { c.jobs.enabled = to_bool("jobs.enabled", v); },
     [](const Config& c) -> json { return c.jobs.enabled; }},
    {{"jobs.workers", "TYTO_JOBS_WORKERS", "--jobs-workers", "integer", "Job threads; 0 = one per core"},
     [](Config& c, const json& v) { c.jobs.workers = static_cast<int>(to_int("jobs.workers", v, 0, 1024)); },
     [](const Config& c) -> json { return c.jobs.workers; }},
    {{"jobs.lease_ms", "TYTO_JOBS_LEASE_MS", "--jobs-lease-ms", "duration_ms",
      "A running job's lease; a runner that stops renewing it loses the job to the rescuer"},
     [](Config& c, const json& v) { c.jobs.lease = to_ms("jobs.lease_ms", v); },
     [](const Config& c) -> json { return c.jobs.lease.count(); }},
    {{"jobs.heartbeat_ms", "TYTO_JOBS_HEARTBEAT_MS", "--jobs-heartbeat-ms", "duration_ms",
      "How often leases are renewed and cancel requests picked up (keep well under the lease)"},
     [](Config& c, const json& v) { c.jobs.heartbeat = to_ms("jobs.heartbeat_ms", v); },
     [](const Config& c) -> json { return c.jobs.heartbeat.count(); }},
    {{"jobs.poll_ms", "TYTO_JOBS_POLL_MS", "--jobs-poll-ms", "duration_ms",
      "Fallback poll for due jobs when no wake-up arrives (delayed runs, retries)"},
     [](Config& c, const json& v) { c.jobs.poll = to_ms("jobs.poll_ms", v); },
     [](const Config& c) -> json { return c.jobs.poll.count(); }},
    {{"jobs.rescue_interval_ms", "TYTO_JOBS_RESCUE_INTERVAL_MS", "--jobs-rescue-interval-ms", "duration_ms",
      "How often expired leases are looked for"},
     [](Config& c, const json& v) { c.jobs.rescue_interval = to_ms("jobs.rescue_interval_ms", v); },
     [](const Config& c) -> json { return c.jobs.rescue_interval.count(); }},
    {{"jobs.shutdown_timeout_ms", "TYTO_JOBS_SHUTDOWN_TIMEOUT_MS", "--jobs-shutdown-timeout-ms", "duration_ms",
      "On shutdown, running jobs may finish within this; the rest are released to be run again"},
     [](Config& c, const json& v) { c.jobs.shutdown_timeout = to_ms("jobs.shutdown_timeout_ms", v); },
     [](const Config& c) -> json { return c.jobs.shutdown_timeout.count(); }},
    {{"jobs.schedule_tick_ms", "TYTO_JOBS_SCHEDULE_TICK_MS", "--jobs-schedule-tick-ms", "duration_ms",
      "How often due schedules are looked for (the finest useful cron granularity)"},
     [](Config& c, const json& v) { c.jobs.schedule_tick = to_ms("jobs.schedule_tick_ms", v); },
     [](const Config& c) -> json { return c.jobs.schedule_tick.count(); }},
    {{"jobs.backoff_base_ms", "TYTO_JOBS_BACKOFF_BASE_MS", "--jobs-backoff-base-ms", "duration_ms",
      "First retry delay ceiling; doubles per attempt, with jitter"},
     [](Config& c, const json& v) { c.jobs.backoff_base = to_ms("jobs.backoff_base_ms", v); },
     [](const Config& c) -> json { return c.jobs.backoff_base.count(); }},
    {{"jobs.backoff_max_ms", "TYTO_JOBS_BACKOFF_MAX_MS", "--jobs-backoff-max-ms", "duration_ms", "Longest retry delay"},
     [](Config& c, const json& v) { c.jobs.backoff_max = to_ms("jobs.backoff_max_ms", v); },
     [](const Config& c) -> json { return c.jobs.backoff_max.count(); }},
    {{"jobs.pipeline_concurrency", "TYTO_JOBS_PIPELINE_CONCURRENCY", "--jobs-pipeline-concurrency", "list",
      "Caps on running jobs per pipeline across all instances, as PIPELINE=N (comma-separated)"},
     [](Config& c, const json& v) {
       c.jobs.pipeline_concurrency.clear();
       for (const auto& item : to_list("jobs.pipeline_concurrency", v)) {
         const auto eq = item.find('=');
         if (eq == std::string::npos || eq == 0)
           bad_value("jobs.pipeline_concurrency", "entries like builtin.sleep=2", v);
         c.jobs.pipeline_concurrency[item.substr(0, eq)] =
             static_cast<int>(to_int("jobs.pipeline_concurrency", json(item.substr(eq + 1)), 1, 100000));
       }
     },
     [](const Config& c) -> json {
       json out = json::array();
       for (const auto& [p, n] : c.jobs.pipeline_concurrency) out.push_back(p + "=" + std::to_string(n));
       return out;
     }},
    {{"jobs.tenant_concurrency", "TYTO_JOBS_TENANT_CONCURRENCY", "--jobs-tenant-concurrency", "integer",
      "Most jobs running at once per tenant across all instances; 0 = no limit"},
     [](Config& c, const json& v) {
       c.jobs.tenant_concurrency = static_cast<int>(to_int("jobs.tenant_concurrency", v, 0, 1000000));
     },
     [](const Config& c) -> json { return c.jobs.tenant_concurrency; }},
    {{"jobs.pipelines_dir", "TYTO_JOBS_PIPELINES_DIR", "--jobs-pipelines-dir", "string",
      "Directory of extra pipeline definitions (*.json); one named like a built-in replaces it"},
     [](Config& c, const json& v) { c.jobs.pipelines_dir = to_string("jobs.pipelines_dir", v); },
     [](const Config& c) -> json { return c.jobs.pipelines_dir; }},
    {{"jobs.event_retention_hours", "TYTO_JOBS_EVENT_RETENTION_HOURS", "--jobs-event-retention-hours", "integer",
      "Events older than this are deleted"},
     [](Config& c, const json& v) {
       c.jobs.event_retention_hours = static_cast<int>(to_int("jobs.event_retention_hours", v, 1, 24 * 3650));
     },
     [](const Config& c) -> json { return c.jobs.event_retention_hours; }},
    {{"jobs.stream_queue_limit", "TYTO_JOBS_STREAM_QUEUE_LIMIT", "--jobs-stream-queue-limit", "integer",
      "Events a WebSocket/SSE client may fall behind before it is cut off"},
     [](Config& c, const json& v) {
       c.jobs.stream_queue_limit = static_cast<int>(to_int("jobs.stream_queue_limit", v, 1, 1000000));
     },
     [](const Config& c) -> json { return c.jobs.stream_queue_limit; }},
    {{"jobs.stream_queue_bytes", "TYTO_JOBS_STREAM_QUEUE_BYTES", "--jobs-stream-queue-bytes", "integer",
      "Bytes of events a WebSocket/SSE client may fall behind before it is cut off"},
     [](Config& c, const json& v) {
       c.jobs.stream_queue_bytes = static_cast<std::size_t>(to_int("jobs.stream_queue_bytes", v, 4096, 1LL << 30));
     },
     [](const Config& c) -> json { return c.jobs.stream_queue_bytes; }},
    {{"jobs.stream_send_timeout_ms", "TYTO_JOBS_STREAM_SEND_TIMEOUT_MS", "--jobs-stream-send-timeout-ms", "duration_ms",
      "A WebSocket/SSE client that takes no data for this long while the server sends is cut off"},
     [](Config& c, const json& v) { c.jobs.stream_send_timeout = to_ms("jobs.stream_send_timeout_ms", v); },
     [](const Config& c) -> json { return c.jobs.stream_send_timeout.count(); }},
    {{"jobs.streams_per_principal", "TYTO_JOBS_STREAMS_PER_PRINCIPAL", "--jobs-streams-per-principal", "integer",
      "WebSocket/SSE event streams one user or API key may have open at once; more get 429; 0 = no limit"},
     [](Config& c, const json& v) {
       c.jobs.streams_per_principal = static_cast<int>(to_int("jobs.streams_per_principal", v, 0, 1'000'000));
     },
     [](const Config& c) -> json { return c.jobs.streams_per_principal; }},
    {{"outbound.allow", "TYTO_OUTBOUND_ALLOW", "--outbound-allow", "list",
      "CIDRs outbound fetches (webhooks, images, audited pages) may reach besides public addresses"},
     [](Config& c, const json& v) { c.outbound.allow = to_list("outbound.allow", v); },
     [](const Config& c) -> json { return c.outbound.allow; }},
    {{"public_url", "TYTO_PUBLIC_URL", "--public-url", "string",
      "External base URL (https://tyto.example.com) for links the server hands out; empty: relative links"},
     [](Config& c, const json& v) {
       c.public_url = to_string("public_url", v);
       while (c.public_url.ends_with('/')) c.public_url.pop_back();
     },
     [](const Config& c) -> json { return c.public_url; }},
    {{"auth.secret", "TYTO_AUTH_SECRET", "--auth-secret", "string",
      "Key (32+ bytes) that signs access tokens, upload and share URLs; empty: generated once and kept in the database",
      true},
     [](Config& c, const json& v) {
       c.auth.secret = to_string("auth.secret", v);
       if (!c.auth.secret.empty() && c.auth.secret.size() < 32) bad_value("auth.secret", "at least 32 bytes", v);
     },
     [](const Config& c) -> json { return c.auth.secret; }},
    {{"auth.previous_secrets", "TYTO_AUTH_PREVIOUS_SECRETS", "--auth-previous-secrets", "list",
      "Former auth.secret values still accepted when verifying (key rotation)", true},
     [](Config& c, const json& v) { c.auth.previous_secrets = to_list("auth.previous_secrets", v); },
     [](const Config& c) -> json { return c.auth.previous_secrets.empty() ? "" : "***"; }},
    {{"auth.registration", "TYTO_AUTH_REGISTRATION", "--auth-registration", "string",
      "Who may register: open (anyone, into a new tenant), invite (with an invitation), closed"},
     [](Config& c, const json& v) {
       auto r = to_string("auth.registration", v);
       if (r != "open" && r != "invite" && r != "closed") bad_value("auth.registration", "open, invite or closed", v);
       c.auth.registration = r;
     },
     [](const Config& c) -> json { return c.auth.registration; }},
    {{"auth.access_ttl_s", "TYTO_AUTH_ACCESS_TTL_S", "--auth-access-ttl-s", "integer",
      "Lifetime of access tokens (JWT)"},
     [](Config& c, const json& v) { c.auth.access_ttl = to_seconds("auth.access_ttl_s", v, 24 * 3600); },
     [](const Config& c) -> json { return c.auth.access_ttl.count(); }},
    {{"auth.refresh_ttl_s", "TYTO_AUTH_REFRESH_TTL_S", "--auth-refresh-ttl-s", "integer",
      "Lifetime of a refresh token family from its login"},
     [](Config& c, const json& v) { c.auth.refresh_ttl = to_seconds("auth.refresh_ttl_s", v, 365LL * 24 * 3600); },
     [](const Config& c) -> json { return c.auth.refresh_ttl.count(); }},
    {{"auth.refresh_grace_ms", "TYTO_AUTH_REFRESH_GRACE_MS", "--auth-refresh-grace-ms", "duration_ms",
      "A refresh token presented again within this of its use is refused as a race (409) instead of revoking its "
      "session as theft"},
     [](Config& c, const json& v) { c.auth.refresh_grace = to_ms("auth.refresh_grace_ms", v); },
     [](const Config& c) -> json { return c.auth.refresh_grace.count(); }},
    {{"auth.admin_email", "TYTO_AUTH_ADMIN_EMAIL", "--auth-admin-email", "string",
      "Email of the admin the first start creates"},
     [](Config& c, const json& v) { c.auth.admin_email = to_string("auth.admin_email", v); },
     [](const Config& c) -> json { return c.auth.admin_email; }},
    {{"auth.admin_password", "TYTO_AUTH_ADMIN_PASSWORD", "--auth-admin-password", "string",
      "Password of the admin the first start creates; empty: a random one, printed once in the log", true},
     [](Config& c, const json& v) { c.auth.admin_password = to_string("auth.admin_password", v); },
     [](const Config& c) -> json { return c.auth.admin_password; }},
    {{"auth.bootstrap_api_key", "TYTO_AUTH_BOOTSTRAP_API_KEY", "--auth-bootstrap-api-key", "string",
      "A tyto_… key that is made an admin API key of the default tenant at start (for automation)", true},
     [](Config& c, const json& v) { c.auth.bootstrap_api_key = to_string("auth.bootstrap_api_key", v); },
     [](const Config& c) -> json { return c.auth.bootstrap_api_key; }},
    {{"auth.metrics_public", "TYTO_AUTH_METRICS_PUBLIC", "--auth-metrics-public", "boolean",
      "Serve /metrics without authentication (false: admins only)"},
     [](Config& c, const json& v) { c.auth.metrics_public = to_bool("auth.metrics_public", v); },
     [](const Config& c) -> json { return c.auth.metrics_public; }},
    {{"auth.api_docs_public", "TYTO_AUTH_API_DOCS_PUBLIC", "--auth-api-docs-public", "boolean",
      "Serve the OpenAPI document (/api/v1/openapi.json) and the API reference page (/docs) without "
      "authentication (false: signed-in callers only)"},
     [](Config& c, const json& v) { c.auth.api_docs_public = to_bool("auth.api_docs_public", v); },
     [](const Config& c) -> json { return c.auth.api_docs_public; }},
    {{"auth.argon2_ops", "TYTO_AUTH_ARGON2_OPS", "--auth-argon2-ops", "integer", "argon2id passes per password hash"},
     [](Config& c, const json& v) { c.auth.argon2_ops = static_cast<int>(to_int("auth.argon2_ops", v, 1, 10)); },
     [](const Config& c) -> json { return c.auth.argon2_ops; }},
    {{"auth.argon2_mem_mib", "TYTO_AUTH_ARGON2_MEM_MIB", "--auth-argon2-mem-mib", "integer",
      "argon2id memory per password hash, MiB"},
     [](Config& c, const json& v) {
       c.auth.argon2_mem_mib = static_cast<int>(to_int("auth.argon2_mem_mib", v, 8, 1024));
     },
     [](const Config& c) -> json { return c.auth.argon2_mem_mib; }},
    {{"auth.password_concurrency", "TYTO_AUTH_PASSWORD_CONCURRENCY", "--auth-password-concurrency", "integer",
      "Password hashes (argon2id) run at once; as many more may wait, the rest get 429. 0 = max(1, cores / 2)"},
     [](Config& c, const json& v) {
       c.auth.password_concurrency = static_cast<int>(to_int("auth.password_concurrency", v, 0, 256));
     },
     [](const Config& c) -> json { return c.auth.password_concurrency; }},
    {{"auth.login_rps", "TYTO_AUTH_LOGIN_RPS", "--auth-login-rps", "number",
      "Login and registration attempts per second per client address, successful or not"},
     [](Config& c, const json& v) { c.auth.login_rps = to_double("auth.login_rps", v, 0.01, 1e9); },
     [](const Config& c) -> json { return c.auth.login_rps; }},
    {{"auth.login_burst", "TYTO_AUTH_LOGIN_BURST", "--auth-login-burst", "number",
      "Login and registration attempts a client address may make at once"},
     [](Config& c, const json& v) { c.auth.login_burst = to_double("auth.login_burst", v, 1, 1e9); },
     [](const Config& c) -> json { return c.auth.login_burst; }},
    {{"auth.password_blocklist", "TYTO_AUTH_PASSWORD_BLOCKLIST", "--auth-password-blocklist", "string",
      "File of common passwords (one a line) that new passwords may not be; empty: none"},
     [](Config& c, const json& v) { c.auth.password_blocklist = to_string("auth.password_blocklist", v); },
     [](const Config& c) -> json { return c.auth.password_blocklist; }},
    {{"limits.tenant_rps", "TYTO_LIMITS_TENANT_RPS", "--limits-tenant-rps", "number",
      "Requests per second a tenant may make (token bucket); per-tenant overrides through the admin API"},
     [](Config& c, const json& v) { c.limits.tenant_rps = to_double("limits.tenant_rps", v, 0.01, 1e9); },
     [](const Config& c) -> json { return c.limits.tenant_rps; }},
    {{"limits.tenant_burst", "TYTO_LIMITS_TENANT_BURST", "--limits-tenant-burst", "number",
      "Requests a tenant may make at once"},
     [](Config& c, const json& v) { c.limits.tenant_burst = to_double("limits.tenant_burst", v, 1, 1e9); },
     [](const Config& c) -> json { return c.limits.tenant_burst; }},
    {{"limits.key_rps", "TYTO_LIMITS_KEY_RPS", "--limits-key-rps", "number",
      "Requests per second one API key or user may make"},
     [](Config& c, const json& v) { c.limits.key_rps = to_double("limits.key_rps", v, 0.01, 1e9); },
     [](const Config& c) -> json { return c.limits.key_rps; }},
    {{"limits.key_burst", "TYTO_LIMITS_KEY_BURST", "--limits-key-burst", "number",
      "Requests one API key or user may make at once"},
     [](Config& c, const json& v) { c.limits.key_burst = to_double("limits.key_burst", v, 1, 1e9); },
     [](const Config& c) -> json { return c.limits.key_burst; }},
    {{"limits.concurrent_jobs", "TYTO_LIMITS_CONCURRENT_JOBS", "--limits-concurrent-jobs", "integer",
      "Unfinished (queued or running) jobs a tenant may have; 0 = no limit"},
     [](Config& c, const json& v) {
       c.limits.concurrent_jobs = static_cast<int>(to_int("limits.concurrent_jobs", v, 0, 100000000));
     },
     [](const Config& c) -> json { return c.limits.concurrent_jobs; }},
    {{"limits.jobs_per_day", "TYTO_LIMITS_JOBS_PER_DAY", "--limits-jobs-per-day", "integer",
      "Jobs a tenant may submit per UTC day; 0 = no limit"},
     [](Config& c, const json& v) {
       c.limits.jobs_per_day = static_cast<int>(to_int("limits.jobs_per_day", v, 0, 1000000000));
     },
     [](const Config& c) -> json { return c.limits.jobs_per_day; }},
    {{"limits.stored_bytes", "TYTO_LIMITS_STORED_BYTES", "--limits-stored-bytes", "integer",
      "Bytes of objects a tenant may store; 0 = no limit"},
     [](Config& c, const json& v) { c.limits.stored_bytes = to_int("limits.stored_bytes", v, 0, INT64_MAX); },
     [](const Config& c) -> json { return c.limits.stored_bytes; }},
    {{"objects.store", "TYTO_OBJECTS_STORE", "--objects-store", "string", "Where objects live: local or s3"},
     [](Config& c, const json& v) {
       auto s = to_string("objects.store", v);
       if (s != "local" && s != "s3") bad_value("objects.store", "local or s3", v);
       c.objects.store = s;
     },
     [](const Config& c) -> json { return c.objects.store; }},
    {{"objects.local_dir", "TYTO_OBJECTS_LOCAL_DIR", "--objects-local-dir", "string",
      "Directory of the local object store; empty: <data_dir>/objects"},
     [](Config& c, const json& v) { c.objects.local_dir = to_string("objects.local_dir", v); },
     [](const Config& c) -> json { return c.objects.local_dir; }},
    {{"objects.s3.endpoint", "TYTO_OBJECTS_S3_ENDPOINT", "--objects-s3-endpoint", "string",
      "S3 endpoint, http(s)://host[:port] (AWS: https://s3.REGION.amazonaws.com)"},
     [](Config& c, const json& v) { c.objects.s3_endpoint = to_string("objects.s3.endpoint", v); },
     [](const Config& c) -> json { return c.objects.s3_endpoint; }},
    {{"objects.s3.region", "TYTO_OBJECTS_S3_REGION", "--objects-s3-region", "string", "S3 region (signing scope)"},
     [](Config& c, const json& v) { c.objects.s3_region = to_string("objects.s3.region", v); },
     [](const Config& c) -> json { return c.objects.s3_region; }},
    {{"objects.s3.bucket", "TYTO_OBJECTS_S3_BUCKET", "--objects-s3-bucket", "string", "S3 bucket (must exist)"},
     [](Config& c, const json& v) { c.objects.s3_bucket = to_string("objects.s3.bucket", v); },
     [](const Config& c) -> json { return c.objects.s3_bucket; }},
    {{"objects.s3.access_key", "TYTO_OBJECTS_S3_ACCESS_KEY", "--objects-s3-access-key", "string", "S3 access key id"},
     [](Config& c, const json& v) { c.objects.s3_access_key = to_string("objects.s3.access_key", v); },
     [](const Config& c) -> json { return c.objects.s3_access_key; }},
    {{"objects.s3.secret_key", "TYTO_OBJECTS_S3_SECRET_KEY", "--objects-s3-secret-key", "string", "S3 secret key",
      true},
     [](Config& c, const json& v) { c.objects.s3_secret_key = to_string("objects.s3.secret_key", v); },
     [](const Config& c) -> json { return c.objects.s3_secret_key; }},
    {{"objects.s3.path_style", "TYTO_OBJECTS_S3_PATH_STYLE", "--objects-s3-path-style", "boolean",
      "Path-style addressing (MinIO, Ceph RGW); false: virtual-host style (AWS)"},
     [](Config& c, const json& v) { c.objects.s3_path_style = to_bool("objects.s3.path_style", v); },
     [](const Config& c) -> json { return c.objects.s3_path_style; }},
    {{"objects.s3.ca_file", "TYTO_OBJECTS_S3_CA_FILE", "--objects-s3-ca-file", "string",
      "PEM bundle to trust for an https endpoint instead of the system's"},
     [](Config& c, const json& v) { c.objects.s3_ca_file = to_string("objects.s3.ca_file", v); },
     [](const Config& c) -> json { return c.objects.s3_ca_file; }},
    {{"objects.s3.public_endpoint", "TYTO_OBJECTS_S3_PUBLIC_ENDPOINT", "--objects-s3-public-endpoint", "string",
      "Where presigned URLs point when clients reach S3 under another name (compose: http://localhost:9000); empty: "
      "the endpoint"},
     [](Config& c, const json& v) { c.objects.s3_public_endpoint = to_string("objects.s3.public_endpoint", v); },
     [](const Config& c) -> json { return c.objects.s3_public_endpoint; }},
    {{"uploads.url_ttl_s", "TYTO_UPLOADS_URL_TTL_S", "--uploads-url-ttl-s", "integer",
      "How long an upload URL stays valid"},
     [](Config& c, const json& v) { c.uploads.url_ttl = to_seconds("uploads.url_ttl_s", v, 7 * 86400); },
     [](const Config& c) -> json { return c.uploads.url_ttl.count(); }},
    {{"uploads.share_ttl_max_s", "TYTO_UPLOADS_SHARE_TTL_MAX_S", "--uploads-share-ttl-max-s", "integer",
      "Longest lifetime a share URL may ask for"},
     [](Config& c, const json& v) { c.uploads.share_ttl_max = to_seconds("uploads.share_ttl_max_s", v, 7 * 86400); },
     [](const Config& c) -> json { return c.uploads.share_ttl_max.count(); }},
    {{"uploads.strip_metadata", "TYTO_UPLOADS_STRIP_METADATA", "--uploads-strip-metadata", "boolean",
      "Remove EXIF (GPS included) and text metadata from uploaded images"},
     [](Config& c, const json& v) { c.uploads.strip_metadata = to_bool("uploads.strip_metadata", v); },
     [](const Config& c) -> json { return c.uploads.strip_metadata; }},
    {{"uploads.retention_hours", "TYTO_UPLOADS_RETENTION_HOURS", "--uploads-retention-hours", "list",
      "How long objects of a purpose are kept, as PURPOSE=HOURS (comma-separated; 0 = forever); overrides the built-in "
      "policy"},
     [](Config& c, const json& v) {
       c.uploads.retention_hours.clear();
       for (const auto& item : to_list("uploads.retention_hours", v)) {
         const auto eq = item.find('=');
         if (eq == std::string::npos || eq == 0) bad_value("uploads.retention_hours", "entries like capture=24", v);
         c.uploads.retention_hours[item.substr(0, eq)] =
             static_cast<int>(to_int("uploads.retention_hours", json(item.substr(eq + 1)), 0, 24 * 3650 * 10));
       }
     },
     [](const Config& c) -> json {
       json out = json::array();
       for (const auto& [p, n] : c.uploads.retention_hours) out.push_back(p + "=" + std::to_string(n));
       return out;
     }},
    {{"webhooks.max_attempts", "TYTO_WEBHOOKS_MAX_ATTEMPTS", "--webhooks-max-attempts", "integer",
      "Delivery attempts per webhook event before it is marked failed"},
     [](Config& c, const json& v) {
       c.webhooks.max_attempts = static_cast<int>(to_int("webhooks.max_attempts", v, 1, 50));
     },
     [](const Config& c) -> json { return c.webhooks.max_attempts; }},
    {{"webhooks.timeout_ms", "TYTO_WEBHOOKS_TIMEOUT_MS", "--webhooks-timeout-ms", "duration_ms",
      "Timeout of one webhook delivery (connect, send and answer)"},
     [](Config& c, const json& v) { c.webhooks.timeout = to_ms("webhooks.timeout_ms", v); },
     [](const Config& c) -> json { return c.webhooks.timeout.count(); }},
    {{"mail.enabled", "TYTO_MAIL_ENABLED", "--mail-enabled", "boolean",
      "Send e-mail (with mail.smtp_url set); false: Mailer::send records nothing and answers \"disabled\""},
     [](Config& c, const json& v) { c.mail.enabled = to_bool("mail.enabled", v); },
     [](const Config& c) -> json { return c.mail.enabled; }},
    {{"mail.smtp_url", "TYTO_MAIL_SMTP_URL", "--mail-smtp-url", "string",
      "SMTP relay, smtp://host[:port] (STARTTLS per mail.starttls) or smtps://host[:port] (TLS from the start); "
      "empty: mail is off"},
     [](Config& c, const json& v) {
       c.mail.smtp_url = to_string("mail.smtp_url", v);
       if (!c.mail.smtp_url.empty() && !c.mail.smtp_url.starts_with("smtp://") &&
           !c.mail.smtp_url.starts_with("smtps://")) {
         bad_value("mail.smtp_url", "smtp://host[:port] or smtps://host[:port]", v);
       }
     },
     [](const Config& c) -> json { return mask_url_password(c.mail.smtp_url); }},
    {{"mail.from", "TYTO_MAIL_FROM", "--mail-from", "string",
      "The From of every message: addr@host or \"Name <addr@host>\" (required when mail is on)"},
     [](Config& c, const json& v) { c.mail.from = to_string("mail.from", v); },
     [](const Config& c) -> json { return c.mail.from; }},
    {{"mail.username", "TYTO_MAIL_USERNAME", "--mail-username", "string",
      "SMTP AUTH user name; empty: no authentication"},
     [](Config& c, const json& v) { c.mail.username = to_string("mail.username", v); },
     [](const Config& c) -> json { return c.mail.username; }},
    {{"mail.password", "TYTO_MAIL_PASSWORD", "--mail-password", "string", "SMTP AUTH password", true},
     [](Config& c, const json& v) { c.mail.password = to_string("mail.password", v); },
     [](const Config& c) -> json { return c.mail.password; }},
    {{"mail.starttls", "TYTO_MAIL_STARTTLS", "--mail-starttls", "string",
      "STARTTLS on smtp:// URLs: required (refuse a server without it), opportunistic (use it when offered) or off"},
     [](Config& c, const json& v) {
       const auto mode = to_string("mail.starttls", v);
       if (mode != "required" && mode != "opportunistic" && mode != "off") {
         bad_value("mail.starttls", "required, opportunistic or off", v);
       }
       c.mail.starttls = mode;
     },
     [](const Config& c) -> json { return c.mail.starttls; }},
    {{"mail.timeout_s", "TYTO_MAIL_TIMEOUT_S", "--mail-timeout-s", "integer",
      "Timeout of one delivery attempt (connect, SMTP dialogue and data)"},
     [](Config& c, const json& v) { c.mail.timeout = to_seconds("mail.timeout_s", v, 3600); },
     [](const Config& c) -> json { return c.mail.timeout.count(); }},
    {{"mail.max_attempts", "TYTO_MAIL_MAX_ATTEMPTS", "--mail-max-attempts", "integer",
      "Delivery attempts per message (retried with jobs.backoff_*) before it is marked failed"},
     [](Config& c, const json& v) { c.mail.max_attempts = static_cast<int>(to_int("mail.max_attempts", v, 1, 50)); },
     [](const Config& c) -> json { return c.mail.max_attempts; }},
    {{"console.assets_dir", "TYTO_CONSOLE_ASSETS_DIR", "--console-assets-dir", "string",
      "Serve the console from this directory instead of the copy built into the binary"},
     [](Config& c, const json& v) { c.console.assets_dir = to_string("console.assets_dir", v); },
     [](const Config& c) -> json { return c.console.assets_dir; }},
};

json extra_value(const ExtraOption& o, const json& v) {
  if (o.type == "string") return to_string(o.key, v);
  if (o.type == "integer")
    return to_int(o.key, v, std::numeric_limits<std::int64_t>::min() / 2, std::numeric_limits<std::int64_t>::max() / 2);
  if (o.type == "number") return to_double(o.key, v, -1e300, 1e300);
  if (o.type == "boolean") return to_bool(o.key, v);
  if (o.type == "duration_ms") return to_ms(o.key, v).count();
  return to_list(o.key, v);
}

void set_extra(Config& config, const ExtraOption& o, const json& v) { config.extra[o.key] = extra_value(o, v); }

const ExtraOption* find_extra(const Config& config, std::string_view key) {
  for (const auto& o : config.extra_options) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

const OptionDef* find_by_flag(std::string_view flag) {
  for (const auto& o : kOptions) {
    if (o.info.flag == flag) return &o;
  }
  return nullptr;
}

// Walks a parsed config file, applying every leaf whose dotted path is a known key.
void apply_file(Config& config, const json& node, const std::string& prefix) {
  if (!node.is_object()) throw ConfigError("config file: the top level must be a JSON object");
  for (const auto& [name, value] : node.items()) {
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const OptionDef* def = nullptr;
    for (const auto& o : kOptions) {
      if (o.info.key == key) def = &o;
    }
    if (def) {
      def->set(config, value);
    } else if (const ExtraOption* extra = find_extra(config, key)) {
      set_extra(config, *extra, value);
    } else if (value.is_object()) {
      apply_file(config, value, key);
    } else {
      throw ConfigError(fmt::format("config file: unknown option \"{}\"", key));
    }
  }
}

std::optional<std::string> find_config_file(const std::optional<std::string>& explicit_path) {
  if (explicit_path) {
    if (!std::filesystem::exists(*explicit_path)) {
      throw ConfigError(fmt::format("config file {} does not exist", *explicit_path));
    }
    return explicit_path;
  }
  for (const char* candidate : {"config/tyto.json", "/etc/tyto/tyto.json"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return std::string(candidate);
  }
  return std::nullopt;
}

json read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("cannot read config file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    throw ConfigError(fmt::format("config file {} is not valid JSON: {}", path, e.what()));
  }
}

}  // namespace

void apply_config_json(Config& config, const json& document) { apply_file(config, document, ""); }

std::string config_error_key(const ConfigError& error) {
  const std::string_view what = error.what();
  for (const auto& o : kOptions) {
    if (what.find("option " + std::string(o.info.key) + ":") != std::string_view::npos) return std::string(o.info.key);
  }
  if (auto start = what.find("unknown option \""); start != std::string_view::npos) {
    start += 16;
    return std::string(what.substr(start, what.find('"', start) - start));
  }
  return {};
}

std::span<const OptionInfo> config_options() {
  static const std::vector<OptionInfo> infos = [] {
    std::vector<OptionInfo> v;
    for (const auto& o : kOptions) v.push_back(o.info);
    return v;
  }();
  return infos;
}

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::pair<std::string, std::uint16_t> parse_listen_address(std::string_view text) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw ConfigError(fmt::format("listen address \"{}\": expected [IPV6]:PORT", text));
    }
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      throw ConfigError(fmt::format("listen address \"{}\": expected HOST:PORT", text));
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value > 65535) {
    throw ConfigError(fmt::format("listen address \"{}\": expected HOST:PORT with a port 0-65535", text));
  }
  return {host, static_cast<std::uint16_t>(value)};
}

std::vector<ExtraOption> component_options(std::string_view kind, std::string_view name,
                                           std::span<const ComponentOption> options) {
  static const std::set<std::string_view> types = {"string", "integer", "number", "boolean", "duration_ms", "list"};
  const auto word = [](std::string_view w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  if (!word(name))
    throw std::logic_error(fmt::format("component name \"{}\" must be lowercase letters, digits and _", name));
  std::vector<ExtraOption> out;
  for (const auto& o : options) {
    if (!word(o.key))
      throw std::logic_error(fmt::format("option {}.{}: key must be lowercase letters, digits and _", name, o.key));
    if (!types.count(o.type)) throw std::logic_error(fmt::format("option {}.{}: unknown type {}", name, o.key, o.type));
    ExtraOption e{fmt::format("{}.{}.{}", kind, name, o.key), "", "", o.type, o.default_value, o.help, o.secret};
    for (char c : e.key)
      e.env.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    e.env = "TYTO_" + e.env;
    e.flag = "--";
    for (char c : e.key) e.flag.push_back(c == '.' || c == '_' ? '-' : c);
    try {
      e.default_value = extra_value(e, o.default_value);
    } catch (const ConfigError& error) {
      throw std::logic_error(fmt::format("default of {}: {}", e.key, error.what()));
    }
    out.push_back(std::move(e));
  }
  return out;
}

const json& Config::option(std::string_view key) const {
  auto it = extra.find(key);
  if (it == extra.end()) throw std::out_of_range(fmt::format("no option {} is declared", key));
  return it->second;
}

Config load_config(std::span<const std::string> flags, const GetEnv& getenv, std::span<const ExtraOption> extra) {
  // Flags are parsed first so that --config can name the file, but applied last.
  std::optional<std::string> config_path = getenv("TYTO_CONFIG");
  std::vector<std::pair<const OptionDef*, std::string>> flag_values;
  std::vector<std::pair<const ExtraOption*, std::string>> extra_flag_values;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    std::string name = flags[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionDef* def = find_by_flag(name);
    const auto extra_def =
        std::find_if(extra.begin(), extra.end(), [&](const ExtraOption& o) { return o.flag == name; });
    if (!def && extra_def == extra.end() && name != "--config")
      throw ConfigError(fmt::format("unknown option {}", name));
    if (!value) {
      if (i + 1 >= flags.size()) throw ConfigError(fmt::format("option {} needs a value", name));
      value = flags[++i];
    }
    if (def) {
      flag_values.emplace_back(def, *value);
    } else if (extra_def != extra.end()) {
      extra_flag_values.emplace_back(&*extra_def, *value);
    } else {
      config_path = *value;
    }
  }

  Config config;
  config.extra_options.assign(extra.begin(), extra.end());
  for (const auto& o : config.extra_options) config.extra[o.key] = o.default_value;
  if (auto path = find_config_file(config_path)) {
    apply_file(config, read_config_file(*path), "");
    config.config_file = *path;
  }
  for (const auto& o : kOptions) {
    if (auto v = getenv(o.info.env)) {
      try {
        o.set(config, json(*v));
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{} (from {})", e.what(), o.info.env));
      }
    }
  }
  for (const auto& o : config.extra_options) {
    if (auto v = getenv(o.env)) {
      try {
        set_extra(config, o, json(*v));
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{} (from {})", e.what(), o.env));
      }
    }
  }
  for (const auto& [def, value] : flag_values) def->set(config, json(value));
  for (const auto& [def, value] : extra_flag_values) set_extra(config, *def, json(value));

  if (config.database.url.empty()) {
    config.database.url = "sqlite:" + (std::filesystem::path(config.data_dir) / "tyto.db").string();
  }
  return config;
}

json config_to_json(const Config& config, bool mask_secrets) {
  json out = json::object();
  for (const auto& o : kOptions) {
    json value = o.get(config);
    if (mask_secrets && o.info.secret && value.is_string() && !value.get_ref<const std::string&>().empty()) {
      const auto& text = value.get_ref<const std::string&>();
      value = text.find("://") != std::string::npos ? mask_url_password(text) : std::string("***");
    }
    json* node = &out;
    std::string_view key = o.info.key;
    for (auto dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.')) {
      node = &(*node)[std::string(key.substr(0, dot))];
      key.remove_prefix(dot + 1);
    }
    (*node)[std::string(key)] = std::move(value);
  }
  for (const auto& o : config.extra_options) {
    json value = config.extra.count(o.key) ? config.extra.at(o.key) : o.default_value;
    if (mask_secrets && o.secret && value.is_string() && !value.get_ref<const std::string&>().empty()) value = "***";
    out[json::json_pointer("/" + [&] {
      std::string path = o.key;
      std::replace(path.begin(), path.end(), '.', '/');
      return path;
    }())] = std::move(value);
  }
  return out;
}

}  // namespace tyto
