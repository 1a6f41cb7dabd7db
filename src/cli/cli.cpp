#include "cli/cli.hpp"

#include "tyto/core/logging.hpp"
#include "tyto/core/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace tyto::cli {
namespace {

constexpr std::string_view kUsageFormat = R"(Usage: tyto COMMAND [OPTIONS]

Commands:
  serve      Start the HTTP server (migrates the database first unless configured not to)
  migrate    Apply pending database migrations and exit
  apikey create --tenant NAME --role ROLE [--name NAME]
             Create an API key and print it once
  config     Print the effective configuration as JSON (secrets masked);
             `tyto config --describe` lists every option
  version    Print the version and build facts
  help       Show this text
{}
Common options (each also read from the environment and the config file):
  --config FILE        JSON config file (default: ./config/tyto.json or /etc/tyto/tyto.json if present)
  --listen HOST:PORT   Address to listen on (default 127.0.0.1:8080)
  --data-dir DIR       Data directory (default ./data)
  --database URL       sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB (default sqlite:<data-dir>/tyto.db)
  --log-level LEVEL    trace, debug, info, warn, error, off
)";

// The usage text, with the commands the build's modules and products add.
std::string usage(const Components& components) {
  std::string added;
  for (const auto& c : components.commands()) {
    added += fmt::format("  {}\n             {}\n", c.synopsis, c.summary);
  }
  return fmt::format(fmt::runtime(kUsageFormat), added);
}

void describe_options(const std::vector<ExtraOption>& extra) {
  const auto defaults = config_to_json(Config{});
  std::cout << "| key | environment | flag | type | default | meaning |\n|---|---|---|---|---|---|\n";
  for (const auto& o : config_options()) {
    std::string key_path(o.key);
    std::replace(key_path.begin(), key_path.end(), '.', '/');
    const auto& value = defaults.at(nlohmann::json::json_pointer("/" + key_path));
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.empty()) shown = "(empty)";
    std::cout << fmt::format("| `{}` | `{}` | `{}` | {} | `{}` | {} |\n", o.key, o.env, o.flag, o.type, shown, o.help);
  }
  for (const auto& o : extra) {
    std::string shown = o.default_value.is_string() ? o.default_value.get<std::string>() : o.default_value.dump();
    if (shown.empty()) shown = "(empty)";
    std::cout << fmt::format("| `{}` | `{}` | `{}` | {} | `{}` | {} |\n", o.key, o.env, o.flag, o.type, shown, o.help);
  }
}

}  // namespace

int run(int argc, char** argv, const Components& components) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << usage(components);
    return 2;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << usage(components);
    return 0;
  }
  if (command == "version" || command == "--version") {
    const auto& b = build_info();
    std::cout << fmt::format("tyto {} (commit {}, {}, {})\n", b.version, b.commit, b.build_type, b.compiler);
    return 0;
  }
  if (command == "apikey") return apikey(args, components);
  if (const CliCommand* added = components.command(command)) {
    try {
      return added->run(args, std::cout, std::cerr);
    } catch (const std::exception& e) {
      std::cerr << fmt::format("tyto {}: {}\n", command, e.what());
      return 1;
    }
  }
  if (command != "serve" && command != "migrate" && command != "config") {
    std::cerr << fmt::format("tyto: unknown command \"{}\"\n\n{}", command, usage(components));
    return 2;
  }
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage(components);
      return 0;
    }
  }
  if (command == "config" && args.size() == 1 && args[0] == "--describe") {
    describe_options(components.options());
    return 0;
  }

  Config config;
  try {
    config = load_config(args, process_env, components.options());
  } catch (const ConfigError& e) {
    std::cerr << "tyto: " << e.what() << "\n";
    return 2;
  }
  log::set_level(*log::parse_level(config.log_level));

  if (command == "config") {
    std::cout << config_to_json(config).dump(2) << "\n";
    return 0;
  }
  if (command == "migrate") return migrate(config, components);
  return serve(config, components);
}

}  // namespace tyto::cli
