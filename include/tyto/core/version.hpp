// What this binary is: version and build facts, for `tyto version`, /health and /metrics.
#pragma once

#include <string_view>

namespace tyto {

struct BuildInfo {
  std::string_view version;     // semantic version from CMakeLists.txt
  std::string_view commit;      // short git commit at configure time, or "unknown"
  std::string_view build_type;  // Release, Debug, …
  std::string_view compiler;    // "GNU 12.2.0"
};

const BuildInfo& build_info() noexcept;

}  // namespace tyto
