// Products: the accessibility auditor, brand protection, live sessions, captures, the music catalog.
//
// A product is one folder, src/products/<name>/ (its Product class, routes, store, migrations,
// pipelines, console pages, tests, docs), and one line in main.cpp:
//
//   components.product<tyto::products::MusicCatalog>();
//
// Its name (kName) prefixes everything it owns: tables ("music_"), pipelines and stages ("music."),
// metrics ("tyto_music_"), options ("products.music.*"), console page ids ("music."). The platform knows
// nothing of products and products nothing of each other: everything a product needs comes through the
// Services below, and everything it adds goes through the hooks of the Product interface.
//
// Lifecycle, on the main thread:
//   1. The class's static `options()` (if any) is read before the configuration is loaded, so its
//      options parse, print (`tyto config`) and document like the platform's. Then it is constructed
//      (default constructor; it must not touch the database yet).
//   2. roles() are registered (auth/roles.hpp), before any route is installed, so routes, role checks and
//      grants know them; then migrations(): its own numbered set, applied after the platform's
//      (storage/migrations.hpp).
//   3. install(services, stages, router): registers stages and routes and keeps the services it needs.
//   4. pipelines(), console_pages(), personal_data() are read once, after install().
//   5. start() after the platform started; stop() before it stops, in reverse list order.
#pragma once

#include "tyto/api/console_page.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/auth/roles.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/embedded.hpp"
#include "tyto/pipeline/stage.hpp"

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto {

namespace storage {
class Database;
}
namespace objects {
class Catalog;
}
namespace events {
class Events;
}
namespace api {
class Streams;
}
namespace jobs {
class JobSubmitter;
class ScheduleStore;
}  // namespace jobs
namespace auth {
class AuditLog;
class IdentityStore;
}  // namespace auth
namespace webhooks {
class Outbox;
class SecretBox;
}  // namespace webhooks
namespace mail {
class Mailer;
}
namespace http {
class OutboundPolicy;
class OutboundClient;
class Router;
}  // namespace http
namespace metrics {
class Registry;
}

// What the platform hands every product. Every service outlives the product. Unless it says otherwise,
// a service blocks (database, network): call it from a handler on the blocking pool (the default for
// routes) or from a stage, never from an I/O thread (RunOn::kIoThread handlers, coroutines).
struct Services {
  const Config& config;  // config.option("products.<name>.<key>") reads the product's own options
  // Every query names its tenant: rows belong to tenants, and routes scope by req.who().tenant_id.
  storage::Database& db;
  // Objects (bytes in the object store, rows in the catalog): quotas, retention, signed URLs.
  objects::Catalog& objects;
  // Durable events, delivered to streams and, on PostgreSQL, to every instance. Thread-safe.
  events::Events& events;
  // Live streams of the product's resources over WebSocket and SSE (api/streams.hpp): a product names the
  // routes and how a request finds its topic; bounds, resume and per-credential limits are the platform's.
  api::Streams& streams;
  // Submits jobs: quotas, group-committed enqueue or inside the caller's transaction, runner wake-up.
  jobs::JobSubmitter& jobs;
  // Cron schedules of the tenant's (they show in /api/v1/schedules): a product's recurring jobs, fired once
  // per time across instances.
  jobs::ScheduleStore& schedules;
  // Security-relevant actions ("music.map_publish"), in the caller's transaction or on their own.
  auth::AuditLog& audit;
  // Webhook events for the tenant's endpoints ("music.map.ready"): Outbox::emit in a transaction.
  webhooks::Outbox& webhooks;
  // E-mail to users (tyto/mail/mailer.hpp): mail.send(tenant_id, message) validates and queues a durable job
  // that delivers it through the SMTP relay with retries; answers SendStatus::kDisabled (not an error) when
  // mail is off. Thread-safe; blocks on the database.
  mail::Mailer& mail;
  // Seals what a product must keep secret at rest and read back later (a provider's API key): libsodium's
  // secretbox under a key derived from the master secret (auth.secret). Sealed values do not survive a
  // change of auth.secret. Thread-safe.
  const webhooks::SecretBox& secrets;
  // Every fetch of a URL a user chose goes through these: private addresses are refused unless allowed.
  const http::OutboundPolicy& outbound;
  http::OutboundClient& http_client;
  // Counters and histograms, exposed on /metrics; name them tyto_<product>_*. Thread-safe.
  metrics::Registry& metrics;
  // The build's modules, as main lists them. A product that builds on a module (the accessibility auditor on
  // the browser's renderer) finds it with module<T>(); products never reach each other this way.
  std::span<pipeline::Module* const> modules;
  // A signed link that lets anyone holding it download the object until it expires, as
  // POST /api/v1/objects/{id}/share answers: {"url", "expires_at"}. For an object of the tenant the
  // caller already checked. Thread-safe; does not block.
  std::function<nlohmann::json(std::string_view object_id, std::chrono::seconds ttl)> share_link;

  // Users and memberships, for what a product needs of them: a user's e-mail address and display name
  // (notifications), and the product's OWN roles for products that earn roles by rules of their own (the music
  // catalog grants `verifier` from karma) through grant_role/revoke_role in the caller's transaction. A
  // product never changes memberships, platform roles or another product's grants. Set by the platform
  // before install(); blocking.
  auth::IdentityStore* identity = nullptr;
  // Call after committing a grant or revoke made through `identity`: the platform forgets the principals it
  // cached, so this instance's next request sees the change (other instances within their cache's lifetime,
  // a few seconds, as for the platform's own grant routes). Thread-safe.
  std::function<void()> roles_changed;
  // The module of type M, or nullptr when the build left it out.
  template <class M>
  M* module() const {
    for (auto* m : modules) {
      if (auto* found = dynamic_cast<M*>(m)) return found;
    }
    return nullptr;
  }
};

using api::ConsolePage;

class Product {
 public:
  virtual ~Product() = default;

  virtual std::string_view name() const = 0;

  // Files "sqlite/NNNN_*.sql" and "postgres/NNNN_*.sql" (tyto_add_product embeds the product's
  // migrations/ folder). Never edited once landed.
  virtual std::span<const EmbeddedFile> migrations() const { return {}; }

  // The product's own roles, beside the platform's ladder (auth/roles.hpp): each opens this product's routes
  // that require it (RouteOptions{.role = auth::Role::product("tailor")}) and viewer-level reads, nothing
  // else; admins hold them all; an admin grants them to members (PUT /api/v1/users/{id}/grants/{role}).
  // Names are unique across the build (a clash stops start-up) and are stored in the database: never rename
  // one. `product` is filled in by the platform.
  virtual std::vector<auth::ProductRole> roles() const { return {}; }

  // Registers the product's stages and routes. Routes live under /api/v1/<resource> where a design
  // document names the path, else under the product's own resource; they declare their schemas and
  // roles (http/router.hpp). Throws to stop start-up with a message for operators.
  virtual void install(Services& services, pipeline::StageRegistry& stages, http::Router& router) = 0;

  // Pipeline definitions (tyto_add_product embeds the product's pipelines/ folder). Their names start
  // with "<name>.".
  virtual std::vector<pipeline::PipelineFile> pipelines() const { return {}; }

  // Console pages and the files they load (tyto_add_product embeds the product's console/ folder, served
  // under /console/products/<name>/). Page ids start with "<name>.".
  virtual std::vector<ConsolePage> console_pages() const { return {}; }
  virtual std::span<const EmbeddedFile> console_files() const { return {}; }

  // Webhook event types the product emits through Services::webhooks ("brand.listing_flagged"): tenants'
  // endpoints may subscribe to them (and to their family, "brand.*") like the platform's own.
  virtual std::vector<std::string> webhook_events() const { return {}; }
  // What the product keeps about a user: exported by GET /api/v1/me/export, erased by DELETE /me.
  // Owned by the product. A product that stores anything keyed by a user must list it here.
  virtual std::vector<api::PersonalData*> personal_data() { return {}; }

  virtual void start() {}
  virtual void stop() {}
};

}  // namespace tyto
