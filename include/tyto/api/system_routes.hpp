// The platform's own routes: liveness, readiness, metrics, the API index and the browser console
// (the OpenAPI document and the reference page: docs_routes.hpp). Products add theirs next to these in main.
#pragma once

#include "tyto/api/console_page.hpp"
#include "tyto/core/config.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/http/router.hpp"
#include "tyto/objects/object_store.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/storage/database.hpp"
#include "tyto/storage/migrations.hpp"

#include <vector>

namespace tyto::api {

struct SystemDeps {
  storage::Database& db;
  std::vector<storage::MigrationSet> migrations;  // what "current" means for /ready
  metrics::Registry& registry;
  bool metrics_public = true;  // /metrics without authentication (auth.metrics_public)
  // When set, /ready also writes and deletes a probe object (objects::probe_write; a success is trusted
  // for 2 s) and answers 503 with checks.objects = "unwritable" while the store cannot take writes.
  objects::ObjectStore* objects = nullptr;
  // The modules' and products' options, which POST /api/v1/config/validate knows besides the platform's.
  std::vector<ExtraOption> extra_options;
  // The modules, whose readiness() /ready adds to its checks (as "<module>.<check>").
  std::vector<const pipeline::Module*> modules;
};

// GET /health, /ready, /metrics and /api/v1.
void add_system_routes(http::Router& router, SystemDeps deps);

// GET / (the console shell) and GET /console/{path...} (its files), from the copy built into the
// binary or, when console.assets_dir is set, from that directory; GET /console/products/{product}/{path...}
// (the products' page files); GET /api/v1/console/pages (the pages the caller's role may open, which the
// console builds its navigation from).
void add_console_routes(http::Router& router, const ConsoleConfig& config, std::vector<ConsolePage> pages = {},
                        std::vector<ConsoleFiles> files = {});

}  // namespace tyto::api
