#include "tyto/auth/roles.hpp"

#include <array>
#include <utility>

namespace tyto::auth {

namespace {

constexpr std::array<std::pair<Role, std::string_view>, 10> kRoles = {{
    {Role::kViewer, "viewer"},
    {Role::kUser, "user"},
    {Role::kAdmin, "admin"},
    {Role::kLabeler, "labeler"},
    {Role::kPartner, "partner"},
    {Role::kTailor, "tailor"},
    {Role::kFixer, "fixer"},
    {Role::kVerifier, "verifier"},
    {Role::kCurator, "curator"},
    {Role::kSuperadmin, "superadmin"},
}};

constexpr std::array<Role, kRoles.size()> kAllRoles = [] {
  std::array<Role, kRoles.size()> roles{};
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    roles[i] = kRoles[i].first;
  }
  return roles;
}();

// Position on the platform ladder; nullopt for product roles.
constexpr std::optional<int> ladder_rank(Role role) noexcept {
  switch (role) {
    case Role::kViewer:
      return 0;
    case Role::kUser:
      return 1;
    case Role::kAdmin:
      return 2;
    case Role::kSuperadmin:
      return 3;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view role_name(Role role) noexcept {
  for (const auto& [value, name] : kRoles) {
    if (value == role) {
      return name;
    }
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) noexcept {
  for (const auto& [value, role_name] : kRoles) {
    if (role_name == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::span<const Role> all_roles() noexcept { return kAllRoles; }

bool is_product_role(Role role) noexcept { return !ladder_rank(role).has_value(); }

bool role_allows(Role have, Role need) noexcept {
  if (need == Role::kViewer || have == need) {
    return true;
  }
  const auto have_rank = ladder_rank(have);
  const auto need_rank = ladder_rank(need);
  if (need_rank) {
    return have_rank && *have_rank >= *need_rank;
  }
  // need is a product role that have is not: only admin and above include it.
  return have_rank && *have_rank >= *ladder_rank(Role::kAdmin);
}

Role lesser_role(Role a, Role b) noexcept {
  if (role_allows(a, b)) return b;
  if (role_allows(b, a)) return a;
  return Role::kViewer;
}

}  // namespace tyto::auth
