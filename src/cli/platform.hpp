// Everything `tyto serve` runs, built in dependency order and stopped in reverse:
// database → modules and products (constructed) → migrations (platform, modules, products) → identity →
// object store and catalog → events → job store → webhook outbox → job submitter → mailer → stage registry
// (modules, platform stages) → products installed (their stages and routes) → pipelines (platform,
// modules, products, jobs.pipelines_dir) → runner → platform routes → HTTP server.
#pragma once

#include "cli/components.hpp"
#include "tyto/api/auth_service.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/api/streams.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/auth/identity.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/http/router.hpp"
#include "tyto/http/server.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/jobs/scheduler.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/mail/mailer.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/objects/object_store.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/storage/migrations.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace tyto::cli {

// Wrappers around what the platform opens, for tests that inject faults (tests/support/faulty_*.hpp): each
// receives the real database or object store and returns the one the platform uses. Empty: none.
struct Environment {
  std::function<std::unique_ptr<storage::Database>(std::unique_ptr<storage::Database>)> wrap_database;
  std::function<std::unique_ptr<objects::ObjectStore>(std::unique_ptr<objects::ObjectStore>)> wrap_object_store;
};

class Platform {
 public:
  // Opens and migrates the database, registers the modules' stages, loads and validates the
  // pipelines and registers every route. Throws (with a message for operators) if any of it fails.
  Platform(const Config& config, const Components& components, Environment environment = {});
  ~Platform();

  // Starts modules, event delivery, the job runner, products and the HTTP server.
  void start();
  // Stops in reverse: HTTP (drain), products, runner (finish or release jobs), events, modules. Idempotent.
  void stop();

  http::Router& router() { return router_; }
  http::Server& server() { return *server_; }
  storage::Database& db() { return *db_; }
  metrics::Registry& registry() { return registry_; }
  const jobs::Runner::Pipelines& pipelines() const { return pipelines_; }
  // The one way to submit jobs (quotas, group-committed enqueue, the runner's wake-up).
  jobs::JobSubmitter& submitter() { return *submitter_; }
  // Throws Error(kQuotaExceeded) when tenant may not enqueue n more jobs now.
  void admit_jobs(const std::string& tenant, std::size_t n);
  const std::vector<storage::MigrationSet>& migrations() const { return migrations_; }
  const http::OutboundPolicy& outbound() const { return outbound_; }
  objects::Catalog& catalog() { return *catalog_; }
  api::AuthService& auth() { return *auth_; }

 private:
  void install_products();
  void load_pipelines();

  const Config config_;
  metrics::Registry registry_;
  std::vector<std::unique_ptr<pipeline::Module>> modules_;
  std::vector<pipeline::Module*> module_list_;  // Services::modules
  std::vector<std::unique_ptr<Product>> products_;
  http::OutboundPolicy outbound_;  // every fetch on a user's behalf goes through it
  std::unique_ptr<http::OutboundClient> outbound_client_;
  std::unique_ptr<storage::Database> db_;
  std::vector<storage::MigrationSet> migrations_;
  std::unique_ptr<objects::ObjectStore> object_store_;
  std::unique_ptr<objects::Catalog> catalog_;
  std::unique_ptr<auth::IdentityStore> identity_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<api::AuthService> auth_;
  pipeline::StageRegistry stages_;
  jobs::Runner::Pipelines pipelines_;
  std::vector<std::string> internal_pipelines_;  // not counted against a tenant's job quotas
  std::unique_ptr<events::Events> events_;
  std::unique_ptr<api::Streams> streams_;
  std::unique_ptr<jobs::JobStore> store_;
  std::unique_ptr<webhooks::Outbox> outbox_;
  std::unique_ptr<jobs::JobSubmitter> submitter_;
  std::unique_ptr<mail::Mailer> mailer_;
  std::unique_ptr<webhooks::SecretBox> secrets_;
  std::unique_ptr<Services> services_;
  std::vector<std::unique_ptr<api::PersonalData>> platform_data_;
  std::vector<api::PersonalData*> personal_data_;  // the platform's, then each product's
  std::unique_ptr<jobs::Runner> runner_;
  std::unique_ptr<jobs::ScheduleStore> schedules_;
  std::unique_ptr<jobs::Scheduler> scheduler_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  class Janitor;
  std::unique_ptr<Janitor> janitor_;
  bool started_ = false;
};

// Registers each product's roles (Product::roles(), auth/roles.hpp) as owned by the product. Throws
// std::runtime_error, for operators, on a bad or clashing name ("role \"tailor\" is declared by both …").
void register_roles(const std::vector<std::unique_ptr<Product>>& products);
// The same for a build's components without constructing the server (`tyto apikey`).
void register_roles(const Components& components);

// Opens the database of the configuration (creating the data directory).
std::unique_ptr<storage::Database> open_database(const Config& config);

// The object store of the configuration: objects.local_dir (default <data_dir>/objects) or S3.
std::unique_ptr<objects::ObjectStore> open_object_store(const Config& config);

// The platform's migrations for a dialect: built in, or from database.migrations_dir.
std::vector<storage::Migration> migrations_for(const Config& config, storage::Dialect dialect);

// Every component's migration set, platform first, then the modules' and the products' in list order.
std::vector<storage::MigrationSet> migration_sets(const Config& config, storage::Dialect dialect,
                                                  const std::vector<std::unique_ptr<pipeline::Module>>& modules,
                                                  const std::vector<std::unique_ptr<Product>>& products);
// The same for a build's components without constructing the server (`tyto migrate`, `tyto apikey`).
std::vector<storage::MigrationSet> migration_sets(const Config& config, storage::Dialect dialect,
                                                  const Components& components);

}  // namespace tyto::cli
