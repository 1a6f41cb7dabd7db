// Roles and what each one may do.
//
// Two kinds of role:
//   - platform roles form a ladder, each including everything below it:
//       viewer < user < admin < superadmin
//   - product roles (labeler, partner, tailor, fixer, verifier, curator) open one product each. They are
//     granted explicitly and sit beside the ladder, not on it: a product role includes its own product and
//     viewer-level reads, nothing else (not user, not another product role). admin and superadmin include
//     every product role; user and viewer include none.
// So role_allows(have, need) is true when
//   need == viewer                              (every role may read), or
//   have == need, or
//   have is on the ladder above need            (need is user/admin), or
//   have is admin or superadmin and need is a product role.
//
// Names are stable and are what the database and tokens store; the enumerators' numeric values are not.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace tyto::auth {

enum class Role {
  kViewer,
  kUser,
  kAdmin,
  kLabeler,
  kPartner,
  kTailor,
  kFixer,
  kVerifier,
  kCurator,
  kSuperadmin,
};

// "viewer", "user", "admin", "labeler", "partner", "tailor", "fixer", "verifier", "curator", "superadmin".
std::string_view role_name(Role role) noexcept;

// The role with exactly this name (lowercase, no surrounding space); nullopt otherwise.
std::optional<Role> parse_role(std::string_view name) noexcept;

// Every role, in declaration order.
std::span<const Role> all_roles() noexcept;

// True for labeler, partner, tailor, fixer, verifier and curator.
bool is_product_role(Role role) noexcept;

// Whether a holder of `have` may do what requires `need`, by the rule above.
bool role_allows(Role have, Role need) noexcept;

// The role that allows only what both allow: the one of the two the other includes, else viewer
// (a product role and user share nothing but reading). What an API key may do while its owner
// holds `owner`.
Role lesser_role(Role a, Role b) noexcept;

}  // namespace tyto::auth
