// The tyto binary. Modules and products are listed here explicitly, in dependency order, each
// constructed with its configuration; nothing registers itself behind the linker's back.
#include "cli/cli.hpp"
#include "tyto/modules/builtin.hpp"

int main(int argc, char** argv) {
  tyto::cli::Modules modules;
  modules.push_back(std::make_unique<tyto::modules::BuiltinModule>());
  // Products (accessibility, brand protection, live sessions, captures, music catalog) follow.
  return tyto::cli::run(argc, argv, std::move(modules));
}
