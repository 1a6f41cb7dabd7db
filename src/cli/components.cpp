#include "cli/components.hpp"

namespace tyto::cli {

std::vector<ExtraOption> Components::options() const {
  std::vector<ExtraOption> out;
  for (const auto& m : modules_) out.insert(out.end(), m.options.begin(), m.options.end());
  for (const auto& p : products_) out.insert(out.end(), p.options.begin(), p.options.end());
  return out;
}

}  // namespace tyto::cli
