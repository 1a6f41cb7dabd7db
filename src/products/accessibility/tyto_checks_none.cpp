// The build's run_tyto_checks until Tyto's pixel checks (checks/*.cpp) land: it runs none, so axe's
// undecided color-contrast nodes stay needs_review. tyto_checks.cpp replaces this file (CMakeLists.txt).
#include "tyto_checks.hpp"

namespace tyto::products::accessibility {

std::vector<std::string> run_tyto_checks(const TytoCheckContext&, const CheckDone&) { return {}; }

}  // namespace tyto::products::accessibility
