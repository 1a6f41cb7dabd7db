// `tyto apikey create --tenant NAME --role ROLE [--name N]`: an API key for a service, printed once.
#include "cli/cli.hpp"
#include "cli/platform.hpp"

#include "tyto/auth/audit.hpp"
#include "tyto/auth/identity.hpp"

#include <fmt/format.h>

#include <iostream>

namespace tyto::cli {

int apikey(std::vector<std::string> args, const Components& components) {
  if (args.empty() || args.front() != "create") {
    std::cerr << "Usage: tyto apikey create --tenant NAME --role ROLE [--name NAME] [config options]\n";
    return 2;
  }
  args.erase(args.begin());
  std::string tenant_name, role_text, name = "cli";
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto take = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    bool ok = true;
    if (args[i] == "--tenant")
      ok = take(tenant_name);
    else if (args[i] == "--role")
      ok = take(role_text);
    else if (args[i] == "--name")
      ok = take(name);
    else
      rest.push_back(args[i]);
    if (!ok) {
      std::cerr << "tyto apikey: " << args[i] << " needs a value\n";
      return 2;
    }
  }
  try {
    register_roles(components);
  } catch (const std::exception& e) {
    std::cerr << "tyto: " << e.what() << "\n";
    return 1;
  }
  const auto role = auth::parse_role(role_text);
  if (tenant_name.empty() || !role) {
    std::string names;
    for (const auto r : auth::all_roles()) {
      if (r == auth::Role::kSuperadmin) continue;
      names += (names.empty() ? "" : ", ") + std::string(auth::role_name(r));
    }
    std::cerr << "tyto apikey: --tenant NAME and --role ROLE are required (roles: " << names << ")\n";
    return 2;
  }
  if (*role == auth::Role::kSuperadmin) {
    std::cerr << "tyto apikey: API keys cannot be superadmin\n";
    return 2;
  }
  Config config;
  try {
    config = load_config(rest, process_env, components.options());
  } catch (const ConfigError& e) {
    std::cerr << "tyto: " << e.what() << "\n";
    return 2;
  }
  try {
    auto db = open_database(config);
    storage::MigrationRunner migrator(*db, migration_sets(config, db->dialect(), components));
    migrator.migrate();
    auth::IdentityStore ids(*db);
    auto tenant = ids.tenant_by_name(tenant_name);
    if (!tenant) {
      std::cerr << fmt::format("tyto apikey: no tenant named \"{}\" (the first `tyto serve` creates \"default\")\n",
                               tenant_name);
      return 1;
    }
    auto tx = db->begin(storage::TxMode::kWrite);
    auto [key, secret] = ids.create_api_key(*tx, tenant->id, name, *role, {}, std::nullopt);
    auth::AuditLog(*db).record(*tx, {tenant->id,
                                     "system",
                                     "api_key.create",
                                     "api_key:" + key.id,
                                     "",
                                     "",
                                     {{"name", name}, {"role", auth::role_name(*role)}, {"via", "cli"}}});
    tx->commit();
    std::cout << secret << "\n";
    std::cerr << fmt::format("created API key {} ({}, role {}, tenant {}); it is shown only this once\n", key.id, name,
                             role_text, tenant_name);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tyto apikey: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tyto::cli
