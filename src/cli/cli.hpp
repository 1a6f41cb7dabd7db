// The command line: `tyto serve | migrate | config | version | help`.
#pragma once

#include "tyto/api/system_routes.hpp"
#include "tyto/core/config.hpp"
#include "tyto/http/router.hpp"

#include <string>
#include <vector>

namespace tyto::cli {

// Runs one command and returns the process exit status: 0 success, 1 a runtime failure (database
// unreachable, port taken, changed migration), 2 a usage or configuration error.
int run(int argc, char** argv);

// Every route the server answers: the platform's and, as they land, the products'. Used by serve
// and by the tests that walk the whole route table.
void add_routes(http::Router& router, const Config& config, api::SystemDeps deps);

// `tyto serve` with a loaded configuration. Blocks until SIGTERM/SIGINT.
int serve(const Config& config);

// `tyto migrate`.
int migrate(const Config& config);

}  // namespace tyto::cli
