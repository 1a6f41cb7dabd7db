// The modules and products of a build, as main.cpp lists them:
//
//   tyto::cli::Components components;
//   components.module<tyto::modules::BuiltinModule>();
//   components.product<tyto::products::MusicCatalog>();
//
// Nothing registers itself: a component is in the build when main (or a test) names it here. Each is
// constructed only when the server starts, after the configuration (which includes the options its
// class declares through a static `options()`) has been loaded.
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace tyto::cli {

// What a module gets at construction (a module knows nothing of HTTP or of the database's tenants).
struct ModuleServices {
  const Config& config;  // config.option("modules.<name>.<key>")
  metrics::Registry& metrics;
};

class Components {
 public:
  template <class M>
  Components& module() {
    static_assert(std::is_base_of_v<pipeline::Module, M>, "a module derives from tyto::pipeline::Module");
    modules_.push_back({std::string(M::kName), declared_options<M>("modules", M::kName),
                        [](const ModuleServices& services) -> std::unique_ptr<pipeline::Module> {
                          if constexpr (std::is_constructible_v<M, const ModuleServices&>) {
                            return std::make_unique<M>(services);
                          } else {
                            (void)services;
                            return std::make_unique<M>();
                          }
                        }});
    add_commands<M>();
    return *this;
  }

  template <class P>
  Components& product() {
    static_assert(std::is_base_of_v<Product, P>, "a product derives from tyto::Product");
    products_.push_back({std::string(P::kName), declared_options<P>("products", P::kName),
                         [] { return std::unique_ptr<Product>(std::make_unique<P>()); }});
    add_commands<P>();
    return *this;
  }

  struct ModuleEntry {
    std::string name;
    std::vector<ExtraOption> options;
    std::function<std::unique_ptr<pipeline::Module>(const ModuleServices&)> make;
  };
  struct ProductEntry {
    std::string name;
    std::vector<ExtraOption> options;
    std::function<std::unique_ptr<Product>()> make;
  };

  const std::vector<ModuleEntry>& modules() const noexcept { return modules_; }
  const std::vector<ProductEntry>& products() const noexcept { return products_; }
  // Every option the components declare, for load_config.
  std::vector<ExtraOption> options() const;
  // Every command the components declare (static `commands()`), in list order.
  const std::vector<CliCommand>& commands() const noexcept { return commands_; }
  const CliCommand* command(std::string_view name) const noexcept;

 private:
  template <class C>
  static std::vector<ExtraOption> declared_options(std::string_view kind, std::string_view name) {
    if constexpr (requires { C::options(); }) {
      const std::vector<ComponentOption> declared = C::options();
      return component_options(kind, name, declared);
    } else {
      return {};
    }
  }

  template <class C>
  void add_commands() {
    if constexpr (requires { C::commands(); }) {
      for (CliCommand& c : C::commands()) add_command(std::move(c));
    }
  }
  // Throws std::logic_error when the name is a platform command or already taken.
  void add_command(CliCommand command);

  std::vector<ModuleEntry> modules_;
  std::vector<ProductEntry> products_;
  std::vector<CliCommand> commands_;
};

}  // namespace tyto::cli
