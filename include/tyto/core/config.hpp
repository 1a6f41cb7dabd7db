// Configuration: every option has one key, one environment variable and one command-line flag.
//
// Precedence, highest first: flag > environment (TYTO_*) > config file > built-in default.
// The config file is JSON with comments, nested by the dots of the keys:
//   {"listen": "127.0.0.1:8080", "database": {"url": "sqlite:./data/tyto.db"}}
// It is the file named by --config or TYTO_CONFIG, else ./config/tyto.json or /etc/tyto/tyto.json
// when one exists. Unknown keys and bad values are errors (ConfigError), never silently ignored.
//
// config_options() is the single table behind parsing, `tyto config` and docs/configuration.md.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tyto {

struct HttpConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int io_threads = 0;        // 0: one per core
  int blocking_threads = 0;  // 0: max(4, 2 × cores)
  int commit_threads = 0;    // 0: 64
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;            // routes may allow more
  std::size_t max_json_depth = 256;                    // nesting of JSON bodies; deeper gets 400 invalid_json
  std::chrono::milliseconds read_timeout{30'000};      // to receive one whole request once it started
  std::chrono::milliseconds idle_timeout{60'000};      // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30'000};     // to send one whole response
  std::chrono::milliseconds shutdown_timeout{10'000};  // in-flight requests may finish within this
  std::vector<std::string> cors_allowed_origins;       // empty: no CORS headers; "*" allows any origin
  bool cors_allow_credentials = false;
  int cors_max_age_s = 600;
  bool access_log = true;
  std::size_t max_connections = 0;                 // 0: automatic, from the open-file limit (see Server)
  std::size_t max_connections_per_address = 1024;  // 0: no limit (e.g. behind a reverse proxy)
};

struct DatabaseConfig {
  std::string url;  // empty until resolved: sqlite:<data_dir>/tyto.db
  int pool_size = 8;
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds busy_timeout{5'000};
  bool migrate_on_start = true;
  std::string migrations_dir;  // empty: the migrations compiled into the binary
};

struct ConsoleConfig {
  std::string assets_dir;  // empty: the console compiled into the binary; set to edit it live
};

struct JobsConfig {
  bool enabled = true;  // run jobs in this process (false: API only)
  int workers = 0;      // 0: one per core
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds heartbeat{10'000};
  std::chrono::milliseconds poll{1'000};
  std::chrono::milliseconds rescue_interval{5'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::chrono::milliseconds schedule_tick{1'000};
  std::chrono::milliseconds backoff_base{1'000};
  std::chrono::milliseconds backoff_max{300'000};
  std::string pipelines_dir;                        // extra pipeline definitions; empty: only the built-in ones
  std::map<std::string, int> pipeline_concurrency;  // pipeline → most running at once (all instances)
  int tenant_concurrency = 0;                       // most running at once per tenant; 0: no limit
  int event_retention_hours = 168;
  int stream_queue_limit = 1000;
  std::size_t stream_queue_bytes = 256 * 1024;           // serialized events a stream may hold for a slow client
  std::chrono::milliseconds stream_send_timeout{5'000};  // one send blocked longer cuts the client off
  int streams_per_principal = 64;                        // open event streams per user or API key; 0: no limit
};

struct OutboundConfig {
  std::vector<std::string> allow;  // CIDRs that outbound fetches may reach besides public addresses
};

struct AuthConfig {
  std::string secret;  // signs access tokens, upload and share URLs; empty: generated once, kept in the database
  std::vector<std::string> previous_secrets;  // still accepted for verification (rotation)
  std::string registration = "invite";        // "open", "invite" or "closed"
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::chrono::milliseconds refresh_grace{2000};  // a refresh token reused within this is a race, not theft
  std::string admin_email = "admin@localhost";
  std::string admin_password;              // first start only; empty: a random one, printed once in the log
  std::string bootstrap_api_key;           // when set, an admin API key with exactly this value exists (automation)
  bool metrics_public = true;              // /metrics without authentication
  bool api_docs_public = true;             // /api/v1/openapi.json and /docs without authentication
  int argon2_ops = 3;                      // argon2id passes
  int argon2_mem_mib = 64;                 // argon2id memory per hash
  int password_concurrency = 0;            // password hashes at once (as many more may wait); 0: max(1, cores / 2)
  double login_rps = 5, login_burst = 20;  // login and registration attempts per client address
  std::string password_blocklist = "/usr/share/john/password.lst";  // common passwords refused; "": none
};

struct LimitsConfig {
  double tenant_rps = 200, tenant_burst = 400;  // per-tenant request bucket
  double key_rps = 100, key_burst = 200;        // per-API-key (or per-user) request bucket
  int concurrent_jobs = 0;                      // per tenant, 0: no limit
  int jobs_per_day = 0;                         // per tenant, 0: no limit
  std::int64_t stored_bytes = 0;                // per tenant, 0: no limit
};

struct ObjectsConfig {
  std::string store = "local";  // "local" or "s3"
  std::string local_dir;        // empty: <data_dir>/objects
  std::string s3_endpoint;
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  std::string s3_access_key;
  std::string s3_secret_key;
  bool s3_path_style = true;
  std::string s3_ca_file;
  std::string s3_public_endpoint;  // where presigned URLs point; empty: s3_endpoint
};

struct UploadsConfig {
  std::chrono::seconds url_ttl{3600};             // how long an upload URL stays valid
  std::chrono::seconds share_ttl_max{7 * 86400};  // longest a share URL may live
  bool strip_metadata = true;                     // remove EXIF/GPS and text chunks from images
  std::map<std::string, int> retention_hours;     // purpose → hours objects are kept (overrides)
};

struct WebhooksConfig {
  int max_attempts = 8;
  std::chrono::milliseconds timeout{10'000};
};

// Outgoing e-mail through an SMTP relay (include/tyto/mail/mailer.hpp). Off unless enabled and smtp_url is set.
struct MailConfig {
  bool enabled = true;                // false: Mailer::send records nothing and answers "disabled"
  std::string smtp_url;               // smtp://host[:port] or smtps://host[:port]; empty: mail is off
  std::string from;                   // the From address, "Name <addr@host>" or "addr@host"
  std::string username;               // SMTP AUTH; empty: no authentication
  std::string password;               // secret
  std::string starttls = "required";  // smtp:// only: "required", "opportunistic" or "off"
  std::chrono::seconds timeout{30};   // one delivery attempt: connect, dialogue and data
  int max_attempts = 8;               // delivery attempts (the job queue's retries and backoff) before failing
};

// An option of a module or product: "<kind>.<name>.<key>" (kind "modules" or "products"), with an
// environment variable and a flag generated from it: products.music.max_maps → TYTO_PRODUCTS_MUSIC_MAX_MAPS,
// --products-music-max-maps. Parsed, shown and documented like the platform's own options.
struct ComponentOption {
  std::string key;   // relative to the component: "max_maps"
  std::string type;  // "string", "integer", "number", "boolean", "duration_ms" or "list"
  nlohmann::json default_value;
  std::string help;
  bool secret = false;
};

// A component option with its full key, environment variable and flag.
struct ExtraOption {
  std::string key;   // "products.music.max_maps"
  std::string env;   // "TYTO_PRODUCTS_MUSIC_MAX_MAPS"
  std::string flag;  // "--products-music-max-maps"
  std::string type;
  nlohmann::json default_value;
  std::string help;
  bool secret = false;
};

// The full options of one component. Throws std::logic_error on a malformed key or type, or a default
// that does not fit the type (a programming error, found by the first test that starts the server).
std::vector<ExtraOption> component_options(std::string_view kind, std::string_view name,
                                           std::span<const ComponentOption> options);

struct Config {
  std::string config_file;  // the file that was read, empty if none
  std::string data_dir = "./data";
  std::string log_level = "info";
  HttpConfig http;
  DatabaseConfig database;
  ConsoleConfig console;
  JobsConfig jobs;
  OutboundConfig outbound;
  AuthConfig auth;
  LimitsConfig limits;
  ObjectsConfig objects;
  UploadsConfig uploads;
  WebhooksConfig webhooks;
  MailConfig mail;
  std::string public_url;  // the server's external base URL for links it hands out; empty: relative links

  // Options of the modules and products of this build (see ComponentOption), and their values by full key.
  std::vector<ExtraOption> extra_options;
  std::map<std::string, nlohmann::json, std::less<>> extra;

  // The value of a component option by its full key; throws std::out_of_range for an undeclared one.
  const nlohmann::json& option(std::string_view key) const;
};

// A bad option, value or file. The message names the option and says what was expected; the CLI
// prints it and exits with status 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionInfo {
  std::string_view key;   // "database.url"
  std::string_view env;   // "TYTO_DATABASE_URL"
  std::string_view flag;  // "--database"
  std::string_view type;  // "string", "integer", "boolean", "duration_ms", "list", "address"
  std::string_view help;
  bool secret = false;  // masked by `tyto config`
};

std::span<const OptionInfo> config_options();

using GetEnv = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the process environment.
std::optional<std::string> process_env(std::string_view name);

// Builds the effective configuration from flags ("--listen", "127.0.0.1:9000" or "--listen=…"),
// the environment and the config file. Throws ConfigError on an unknown flag, a missing value, an
// unreadable or malformed file, an unknown key or a bad value.
// `extra`: the options of the modules and products of this build.
Config load_config(std::span<const std::string> flags, const GetEnv& getenv = process_env,
                   std::span<const ExtraOption> extra = {});

// Applies a config-file document (nested JSON) on top of config (whose extra_options it also knows).
// Throws ConfigError naming the first unknown key or bad value.
void apply_config_json(Config& config, const nlohmann::json& document);

// The dotted key a ConfigError message is about ("http.max_body_bytes"), or empty.
std::string config_error_key(const ConfigError& error);

// The configuration as nested JSON, keyed like the config file; secrets masked when asked.
nlohmann::json config_to_json(const Config& config, bool mask_secrets = true);

// "host:port" or "[v6]:port" → host, port. Throws ConfigError.
std::pair<std::string, std::uint16_t> parse_listen_address(std::string_view text);

}  // namespace tyto
