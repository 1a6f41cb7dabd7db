#include "tyto/core/config.hpp"

#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
     [](Config& c, const json& v) { c.database.pool_size = static_cast<int>(to_int("database.pool_size", v, 1, 1000)); },
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
    {{"jobs.backoff_max_ms", "TYTO_JOBS_BACKOFF_MAX_MS", "--jobs-backoff-max-ms", "duration_ms",
      "Longest retry delay"},
     [](Config& c, const json& v) { c.jobs.backoff_max = to_ms("jobs.backoff_max_ms", v); },
     [](const Config& c) -> json { return c.jobs.backoff_max.count(); }},
    {{"jobs.pipeline_concurrency", "TYTO_JOBS_PIPELINE_CONCURRENCY", "--jobs-pipeline-concurrency", "list",
      "Caps on running jobs per pipeline across all instances, as PIPELINE=N (comma-separated)"},
     [](Config& c, const json& v) {
       c.jobs.pipeline_concurrency.clear();
       for (const auto& item : to_list("jobs.pipeline_concurrency", v)) {
         const auto eq = item.find('=');
         if (eq == std::string::npos || eq == 0) bad_value("jobs.pipeline_concurrency", "entries like builtin.sleep=2", v);
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
    {{"outbound.allow", "TYTO_OUTBOUND_ALLOW", "--outbound-allow", "list",
      "CIDRs outbound fetches (webhooks, images, audited pages) may reach besides public addresses"},
     [](Config& c, const json& v) { c.outbound.allow = to_list("outbound.allow", v); },
     [](const Config& c) -> json { return c.outbound.allow; }},
    {{"console.assets_dir", "TYTO_CONSOLE_ASSETS_DIR", "--console-assets-dir", "string",
      "Serve the console from this directory instead of the copy built into the binary"},
     [](Config& c, const json& v) { c.console.assets_dir = to_string("console.assets_dir", v); },
     [](const Config& c) -> json { return c.console.assets_dir; }},
};

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
    if (colon == std::string_view::npos) throw ConfigError(fmt::format("listen address \"{}\": expected HOST:PORT", text));
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

Config load_config(std::span<const std::string> flags, const GetEnv& getenv) {
  // Flags are parsed first so that --config can name the file, but applied last.
  std::optional<std::string> config_path = getenv("TYTO_CONFIG");
  std::vector<std::pair<const OptionDef*, std::string>> flag_values;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    std::string name = flags[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionDef* def = find_by_flag(name);
    if (!def && name != "--config") throw ConfigError(fmt::format("unknown option {}", name));
    if (!value) {
      if (i + 1 >= flags.size()) throw ConfigError(fmt::format("option {} needs a value", name));
      value = flags[++i];
    }
    if (def) {
      flag_values.emplace_back(def, *value);
    } else {
      config_path = *value;
    }
  }

  Config config;
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
  for (const auto& [def, value] : flag_values) def->set(config, json(value));

  if (config.database.url.empty()) {
    config.database.url = "sqlite:" + (std::filesystem::path(config.data_dir) / "tyto.db").string();
  }
  return config;
}

json config_to_json(const Config& config, bool mask_secrets) {
  json out = json::object();
  for (const auto& o : kOptions) {
    json value = o.get(config);
    if (mask_secrets && o.info.secret && value.is_string()) value = mask_url_password(value.get<std::string>());
    json* node = &out;
    std::string_view key = o.info.key;
    for (auto dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.')) {
      node = &(*node)[std::string(key.substr(0, dot))];
      key.remove_prefix(dot + 1);
    }
    (*node)[std::string(key)] = std::move(value);
  }
  return out;
}

}  // namespace tyto
