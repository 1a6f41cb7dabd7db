#include "cli/components.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace tyto::cli {

namespace {
constexpr std::array<std::string_view, 7> kPlatformCommands = {"serve",   "migrate", "apikey", "config",
                                                               "version", "help",    "--help"};
}  // namespace

void Components::add_command(CliCommand command) {
  if (std::find(kPlatformCommands.begin(), kPlatformCommands.end(), command.name) != kPlatformCommands.end() ||
      this->command(command.name) != nullptr || command.name.empty() || command.name.front() == '-') {
    throw std::logic_error("the command name \"" + command.name + "\" is taken or invalid");
  }
  commands_.push_back(std::move(command));
}

const CliCommand* Components::command(std::string_view name) const noexcept {
  for (const auto& c : commands_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<ExtraOption> Components::options() const {
  std::vector<ExtraOption> out;
  for (const auto& m : modules_) out.insert(out.end(), m.options.begin(), m.options.end());
  for (const auto& p : products_) out.insert(out.end(), p.options.begin(), p.options.end());
  return out;
}

}  // namespace tyto::cli
