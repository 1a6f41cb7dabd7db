#include "cli/platform.hpp"

#include "api/detail/signed_urls.hpp"

#include "tyto/api/auth_routes.hpp"
#include "tyto/api/docs_routes.hpp"
#include "tyto/api/jobs_routes.hpp"
#include "tyto/api/object_routes.hpp"
#include "tyto/api/personal_data_routes.hpp"
#include "tyto/api/system_routes.hpp"
#include "tyto/api/webhook_routes.hpp"
#include "tyto/core/embedded.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/periodic.hpp"
#include "tyto/core/time.hpp"
#include "tyto/objects/artifacts.hpp"
#include "tyto/objects/retention_stage.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

namespace tyto::cli {

// Periodic housekeeping: event retention, and every 10 minutes a platform.retention_sweep job (objects
// past their retention, expired uploads) run by the job runner. Its unique key keeps one unfinished
// sweep at a time across every instance; with jobs.enabled false another instance runs it.
class Platform::Janitor {
 public:
  Janitor(events::Events& events, std::chrono::hours retention, jobs::JobSubmitter& submitter)
      : thread_("housekeeping", std::chrono::minutes(10), [&events, retention, &submitter, first = true]() mutable {
          const auto cutoff = now_micros() - std::chrono::duration_cast<std::chrono::microseconds>(retention).count();
          if (auto n = events.delete_older_than(cutoff); n > 0) log::info("deleted old events", {{"count", n}});
          if (std::exchange(first, false)) return;  // the first sweep comes one interval after start
          auto sweep = submitter.spec("platform.retention_sweep", "system", nlohmann::json::object());
          sweep.unique_key = "platform.retention_sweep";
          submitter.submit(sweep);
        }) {
    thread_.start();
  }

 private:
  PeriodicThread thread_;
};

void register_roles(const std::vector<std::unique_ptr<Product>>& products) {
  for (const auto& p : products) {
    auto roles = p->roles();
    for (auto& r : roles) r.product = std::string(p->name());
    try {
      auth::register_product_roles(roles);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("the roles of product {} cannot be registered: {}", p->name(), e.what()));
    }
  }
}

void register_roles(const Components& components) {
  std::vector<std::unique_ptr<Product>> products;
  for (const auto& p : components.products()) products.push_back(p.make());
  register_roles(products);
}

std::unique_ptr<storage::Database> open_database(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    throw Error(ErrorCode::kUnavailable, fmt::format("cannot create data dir {}: {}", config.data_dir, ec.message()));
  storage::DatabaseOptions options;
  options.url = config.database.url;
  options.pool_size = config.database.pool_size;
  options.acquire_timeout = config.database.acquire_timeout;
  options.busy_timeout = config.database.busy_timeout;
  return storage::open_database(options);
}

std::unique_ptr<objects::ObjectStore> open_object_store(const Config& config) {
  const auto& o = config.objects;
  if (o.store == "s3") {
    objects::S3Options options;
    options.endpoint = o.s3_endpoint;
    options.region = o.s3_region;
    options.bucket = o.s3_bucket;
    options.access_key = o.s3_access_key;
    options.secret_key = o.s3_secret_key;
    options.path_style = o.s3_path_style;
    options.ca_file = o.s3_ca_file;
    options.public_endpoint = o.s3_public_endpoint;
    // put_stream holds up to max(threshold + 1, part_size) bytes, and the request copies them once more:
    // 8 MiB for both keeps a completing upload within about 20 MB of memory.
    options.multipart_threshold = 8ull << 20;
    options.part_size = 8ull << 20;
    return objects::open_s3_store(options);
  }
  return objects::open_local_store(o.local_dir.empty() ? std::filesystem::path(config.data_dir) / "objects"
                                                       : std::filesystem::path(o.local_dir));
}

std::vector<storage::Migration> migrations_for(const Config& config, storage::Dialect dialect) {
  if (config.database.migrations_dir.empty()) return storage::builtin_migrations(dialect);
  return storage::load_migrations(std::filesystem::path(config.database.migrations_dir) /
                                  std::string(storage::dialect_name(dialect)));
}

std::vector<storage::MigrationSet> migration_sets(const Config& config, storage::Dialect dialect,
                                                  const std::vector<std::unique_ptr<pipeline::Module>>& modules,
                                                  const std::vector<std::unique_ptr<Product>>& products) {
  std::vector<storage::MigrationSet> sets{{std::string(storage::kPlatformComponent), migrations_for(config, dialect)}};
  for (const auto& m : modules) {
    auto files = m->migrations();
    if (!files.empty()) {
      sets.push_back({std::string(m->name()),
                      storage::embedded_migrations_for(files, dialect, fmt::format("module {}", m->name()))});
    }
  }
  for (const auto& p : products) {
    auto files = p->migrations();
    if (!files.empty()) {
      sets.push_back({std::string(p->name()),
                      storage::embedded_migrations_for(files, dialect, fmt::format("product {}", p->name()))});
    }
  }
  return sets;
}

std::vector<storage::MigrationSet> migration_sets(const Config& config, storage::Dialect dialect,
                                                  const Components& components) {
  metrics::Registry registry;
  std::vector<std::unique_ptr<pipeline::Module>> modules;
  for (const auto& m : components.modules()) modules.push_back(m.make({config, registry}));
  std::vector<std::unique_ptr<Product>> products;
  for (const auto& p : components.products()) products.push_back(p.make());
  return migration_sets(config, dialect, modules, products);
}

Platform::Platform(const Config& config, const Components& components, Environment environment)
    : config_(config), outbound_(config_.outbound.allow) {
  metrics::add_process_collector(registry_);
  for (const auto& m : components.modules()) modules_.push_back(m.make({config_, registry_}));
  for (const auto& p : components.products()) products_.push_back(p.make());
  register_roles(products_);
  outbound_client_ = std::make_unique<http::OutboundClient>(outbound_);

  db_ = open_database(config_);
  if (environment.wrap_database) db_ = environment.wrap_database(std::move(db_));
  migrations_ = migration_sets(config_, db_->dialect(), modules_, products_);
  storage::MigrationRunner migrator(*db_, migrations_);
  if (config_.database.migrate_on_start) {
    for (const auto& m : migrator.migrate_all()) {
      log::info("applied migration", {{"component", m.component}, {"version", m.version}, {"name", m.name}});
    }
  }
  const auto migration_status = migrator.status();
  if (!migration_status.current()) {
    log::warn("database migrations are pending; /ready answers 503 until `tyto migrate` runs",
              {{"pending", static_cast<std::int64_t>(migration_status.pending.size())}});
  }
  for (const auto& absent : migration_status.absent) {
    log::info("the database has tables of a component this build leaves out; they are left alone",
              {{"component", absent}});
  }

  // Identity: keys derived from the master secret, the tables, the first tenant, admin and API key.
  identity_ = std::make_unique<auth::IdentityStore>(*db_);
  audit_ = std::make_unique<auth::AuditLog>(*db_);
  if (migration_status.current()) {
    auth_ = std::make_unique<api::AuthService>(
        config_, *identity_, *audit_,
        api::derive_keys(api::load_master_secret(*db_, config_.auth), config_.auth.previous_secrets), registry_);
    api::bootstrap_identity(*auth_);
  } else {
    // Nothing can be authenticated before `tyto migrate`; every protected route answers 401 until then.
    auth_ = std::make_unique<api::AuthService>(
        config_, *identity_, *audit_,
        api::derive_keys(config_.auth.secret.empty() ? "unmigrated" : config_.auth.secret, {}), registry_);
  }

  object_store_ = open_object_store(config_);
  if (environment.wrap_object_store) object_store_ = environment.wrap_object_store(std::move(object_store_));
  catalog_ = std::make_unique<objects::Catalog>(
      *db_, *object_store_, config_.objects.store == "s3" ? config_.objects.s3_bucket : std::string("local"),
      std::filesystem::path(config_.data_dir) / "staging");

  events_ = std::make_unique<events::Events>(*db_, registry_);
  store_ = std::make_unique<jobs::JobStore>(*db_, *events_);
  // Webhook signing secrets are sealed under a key derived from the current master secret only: rotating
  // auth.secret makes existing webhook secrets unreadable (their deliveries fail until rotate-secret).
  outbox_ = std::make_unique<webhooks::Outbox>(webhooks::WebhooksDeps{
      *db_, *store_, *events_, outbound_, config_.webhooks, auth_->keys().webhook_secrets, [this] {
        if (runner_) runner_->wake();
      }});
  store_->on_finish([outbox = outbox_.get()](storage::Session& tx, const std::vector<jobs::FinishedJob>& jobs,
                                             std::vector<events::NewEvent>& pending) {
    outbox->on_jobs_finished(tx, jobs, pending);
  });
  submitter_ = std::make_unique<jobs::JobSubmitter>(
      *store_, pipelines_, [this](const std::string& tenant, std::size_t n) { admit_jobs(tenant, n); },
      [this] {
        if (runner_) runner_->wake();
      });
  schedules_ = std::make_unique<jobs::ScheduleStore>(*store_, *submitter_);
  mailer_ = std::make_unique<mail::Mailer>(config_.mail, *submitter_);
  api::StreamOptions stream_options;
  stream_options.queue_limit = static_cast<std::size_t>(config_.jobs.stream_queue_limit);
  stream_options.queue_bytes = config_.jobs.stream_queue_bytes;
  stream_options.send_timeout = config_.jobs.stream_send_timeout;
  stream_options.per_principal = static_cast<std::size_t>(config_.jobs.streams_per_principal);
  streams_ = std::make_unique<api::Streams>(*events_, registry_, stream_options);
  secrets_ = std::make_unique<webhooks::SecretBox>(auth_->keys().product_secrets);
  for (auto& m : modules_) module_list_.push_back(m.get());
  services_ = std::make_unique<Services>(Services{config_, *db_, *catalog_, *events_, *streams_, *submitter_,
                                                  *schedules_, *audit_, *outbox_, *mailer_, *secrets_, outbound_,
                                                  *outbound_client_, registry_, module_list_});
  services_->identity = identity_.get();
  services_->roles_changed = [this] { auth_->forget_caches(); };
  services_->share_link = [this](std::string_view object_id, std::chrono::seconds ttl) {
    const std::int64_t expires = now_micros() / 1'000'000 + ttl.count();
    return nlohmann::json{
        {"url", api::detail::share_url(auth_->keys().share_url, config_.public_url, object_id, expires)},
        {"expires_at", format_rfc3339(expires * 1'000'000)}};
  };

  for (auto& m : modules_) m->register_stages(stages_);
  stages_.add(outbox_->stage());
  stages_.add(mailer_->stage());
  objects::register_retention_stage(stages_, *catalog_);
  platform_data_ = api::platform_personal_data(*db_, *catalog_);
  for (auto& d : platform_data_) personal_data_.push_back(d.get());
  api::register_user_export_stage(stages_, {*db_, *catalog_, *audit_, personal_data_});
  install_products();
  load_pipelines();

  jobs::RunnerOptions options;
  options.workers = config_.jobs.workers;
  options.lease = config_.jobs.lease;
  options.heartbeat_interval = config_.jobs.heartbeat;
  options.poll_interval = config_.jobs.poll;
  options.rescue_interval = config_.jobs.rescue_interval;
  options.shutdown_timeout = config_.jobs.shutdown_timeout;
  options.backoff = {config_.jobs.backoff_base, config_.jobs.backoff_max};
  options.pipeline_concurrency = config_.jobs.pipeline_concurrency;
  options.tenant_concurrency = config_.jobs.tenant_concurrency;
  options.artifacts = [this](const jobs::Job& job) {
    // Artifacts belong to the user who submitted the job, so export and erasure reach them.
    std::optional<std::string> owner;
    if (auto row = db_->query_one("SELECT created_by FROM jobs WHERE id = $1", {job.id});
        row && !row->at(0).is_null()) {
      owner = row->get<std::string>(0);
    }
    return objects::catalog_artifacts(*catalog_, job.tenant_id, std::move(owner));
  };
  for (const auto& [name, limit] : options.pipeline_concurrency) {
    if (!pipelines_.count(name)) {
      throw pipeline::PipelineError("jobs.pipeline_concurrency names unknown pipeline \"" + name + "\"");
    }
  }
  runner_ = std::make_unique<jobs::Runner>(options, *store_, pipelines_, registry_);
  scheduler_ = std::make_unique<jobs::Scheduler>(*schedules_, config_.jobs.schedule_tick,
                                                 [submitter = submitter_.get()] { submitter->wake(); });

  // Queue depth is read at scrape time, on the blocking pool that serves /metrics.
  registry_.add_collector([store = store_.get()](std::string& out) {
    out +=
        "# HELP tyto_jobs_queue_depth Unfinished jobs by state and pipeline (all instances).\n"
        "# TYPE tyto_jobs_queue_depth gauge\n";
    try {
      for (const auto& [state, pipeline, count] : store->depth()) {
        out += fmt::format("tyto_jobs_queue_depth{{state=\"{}\",pipeline=\"", state);
        metrics::append_label_value(out, pipeline);
        out += fmt::format("\"}} {}\n", count);
      }
    } catch (const std::exception&) {
      // the database is unreachable; /ready says so
    }
  });

  std::vector<const pipeline::Module*> ready_modules(module_list_.begin(), module_list_.end());
  api::add_system_routes(router_, {*db_, migrations_, registry_, config_.auth.metrics_public, object_store_.get(),
                                   config_.extra_options, std::move(ready_modules)});
  api::add_auth_routes(router_, {*auth_});
  api::add_jobs_routes(router_,
                       {*store_, *submitter_, *runner_, pipelines_, *events_, registry_, *schedules_, *streams_});
  api::add_object_routes(router_,
                         {*db_, *object_store_, *catalog_, *audit_, config_.uploads,
                          [this](const std::string& tenant_id) { return auth_->limits_for(tenant_id).stored_bytes; },
                          auth_->keys().upload_url, auth_->keys().share_url, config_.public_url,
                          [this](const objects::Object& o) {
                            // After the object's commit: a failed emit loses a webhook, not the upload.
                            try {
                              outbox_->emit(*db_, o.tenant_id, "object.created", o.to_json());
                            } catch (const std::exception& e) {
                              log::error("object.created webhook not queued", {{"error", e.what()}});
                            }
                          }});
  std::vector<std::string> product_events;
  for (const auto& p : products_) {
    for (auto& e : p->webhook_events()) product_events.push_back(std::move(e));
  }
  api::add_webhook_routes(router_, {*outbox_, *audit_, outbound_, std::move(product_events)});
  api::add_personal_data_routes(router_, {*db_, *catalog_, *audit_, personal_data_}, *submitter_, [this] {
    auth_->forget_caches();
    store_->views().invalidate();  // the user's jobs went with the account
  });
  auto pages = api::platform_console_pages();
  std::vector<api::ConsoleFiles> console_files;
  for (const auto& p : products_) {
    for (auto& page : p->console_pages()) {
      if (!page.id.starts_with(std::string(p->name()) + ".")) {
        throw std::runtime_error(
            fmt::format("product {}: console page id \"{}\" must start with \"{}.\"", p->name(), page.id, p->name()));
      }
      pages.push_back(std::move(page));
    }
    console_files.push_back({std::string(p->name()), p->console_files()});
  }
  api::add_console_routes(router_, config_.console, std::move(pages), std::move(console_files));
  api::add_docs_routes(router_, {config_.auth.api_docs_public});

  server_ = std::make_unique<http::Server>(config_.http, router_, registry_, auth_.get());
}

// Each product registers its stages and routes with the same services, then lists its personal data.
void Platform::install_products() {
  for (auto& p : products_) {
    try {
      p->install(*services_, stages_, router_);
    } catch (const pipeline::PipelineError&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("product {} could not be installed: {}", p->name(), e.what()));
    }
    for (auto* d : p->personal_data()) personal_data_.push_back(d);
  }
}

// The platform's pipelines, then each module's and product's, then jobs.pipelines_dir (which may replace
// any of them, for operators' hot fixes).
void Platform::load_pipelines() {
  pipeline::load_owned_pipelines(pipeline::pipeline_files(embedded_pipelines(), "config/pipelines"), "platform",
                                 stages_, pipelines_);
  for (const auto& m : modules_) pipeline::load_owned_pipelines(m->pipelines(), m->name(), stages_, pipelines_);
  for (const auto& p : products_) pipeline::load_owned_pipelines(p->pipelines(), p->name(), stages_, pipelines_);
  if (!config_.jobs.pipelines_dir.empty()) {
    for (auto& [name, p] : pipeline::load_pipelines(config_.jobs.pipelines_dir, stages_)) {
      if (pipelines_.count(name))
        log::info("pipeline replaces the built-in one", {{"pipeline", name}, {"file", p.source}});
      pipelines_.insert_or_assign(name, std::move(p));
    }
  }
  for (const auto& [name, p] : pipelines_) {
    if (p.internal) internal_pipelines_.push_back(name);
  }
}

Platform::~Platform() { stop(); }

// The per-tenant job quotas: unfinished jobs at once, and jobs submitted per UTC day. Checked before the
// insert, so concurrent submissions may overshoot by the requests in flight (documented).
void Platform::admit_jobs(const std::string& tenant, std::size_t n) {
  const auto limits = auth_->limits_for(tenant);
  if (limits.concurrent_jobs <= 0 && limits.jobs_per_day <= 0) return;
  constexpr std::int64_t kDay = 86'400'000'000;
  const std::int64_t now = now_micros();
  const auto counts = store_->tenant_counts(tenant, now - now % kDay, internal_pipelines_);
  const auto want = static_cast<std::int64_t>(n);
  if (limits.concurrent_jobs > 0 && counts.unfinished + want > limits.concurrent_jobs) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant has too many unfinished jobs",
                {{"quota", "concurrent_jobs"},
                 {"limit", limits.concurrent_jobs},
                 {"current", counts.unfinished},
                 {"retry_after_s", 5}});
  }
  if (limits.jobs_per_day > 0 && counts.created_since + want > limits.jobs_per_day) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant's daily job quota is used up",
                {{"quota", "jobs_per_day"},
                 {"limit", limits.jobs_per_day},
                 {"current", counts.created_since},
                 {"retry_after_s", (kDay - now % kDay) / 1'000'000 + 1}});
  }
}

void Platform::start() {
  server_->listen();  // an instance that cannot bind its port exits before it starts claiming jobs
  for (auto& m : modules_) m->start();
  events_->start();
  if (config_.jobs.enabled) {
    runner_->start();
    scheduler_->start();
  }
  janitor_ = std::make_unique<Janitor>(*events_, std::chrono::hours(config_.jobs.event_retention_hours), *submitter_);
  for (auto& p : products_) p->start();
  server_->start();
  started_ = true;
}

void Platform::stop() {
  if (!started_) return;
  started_ = false;
  server_->stop();
  for (auto it = products_.rbegin(); it != products_.rend(); ++it) (*it)->stop();
  scheduler_->stop();
  runner_->stop();
  janitor_.reset();
  events_->stop();
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) (*it)->stop();
}

}  // namespace tyto::cli
