// The command line: `tyto serve | migrate | config | version | help`.
#pragma once

#include "cli/platform.hpp"
#include "tyto/core/config.hpp"

#include <string>
#include <vector>

namespace tyto::cli {

// Runs one command and returns the process exit status: 0 success, 1 a runtime failure (database
// unreachable, port taken, changed migration), 2 a usage or configuration error.
int run(int argc, char** argv, const Components& components);

// `tyto serve` with a loaded configuration. Blocks until SIGTERM/SIGINT.
int serve(const Config& config, const Components& components);

// `tyto migrate`.
int migrate(const Config& config, const Components& components);

// `tyto apikey create …`; args are those after "apikey".
int apikey(std::vector<std::string> args, const Components& components);

}  // namespace tyto::cli
