// Roles and what each one may do.
//
// Two kinds of role:
//   - platform roles form a ladder, each including everything below it:
//       viewer < user < admin < superadmin
//   - product roles open one product each. Products declare them (Product::roles(), product.hpp), the
//     platform registers them at start-up, before any route is installed. They are granted explicitly and
//     sit beside the ladder, not on it: a product role includes its own product and viewer-level reads,
//     nothing else (not user, not another product role). admin and superadmin include every product role;
//     user and viewer include none.
// So role_allows(have, need) is true when
//   need == viewer                              (every role may read), or
//   have == need, or
//   have is on the ladder above need            (need is user/admin), or
//   have is admin or superadmin and need is a product role.
// A member holds one role in a tenant (its membership's) plus any product roles granted to it there
// (Principal::grants): a `user` who is also a `tailor`. Principal::allows checks both.
//
// Names are stable and are what the database and tokens store; a Role's numeric index is not (it depends on
// the build's products and their order).
//
// Thread-safety: register_product_roles runs on the main thread at start-up; everything else reads the
// table and is safe from any thread once registration is over (a registration publishes its entries
// before it returns; the table only grows).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::auth {

class Role {
 public:
  // The ladder, spelled as enumerators were: Role::kViewer … Role::kSuperadmin.
  static const Role kViewer;
  static const Role kUser;
  static const Role kAdmin;
  static const Role kSuperadmin;

  constexpr Role() noexcept = default;  // viewer

  // The product role registered under `name`. Throws std::invalid_argument when the build declares no
  // such product role (a ladder name or an unknown one), so a route that names an undeclared role stops
  // start-up: RouteOptions{.role = auth::Role::product("tailor")}.
  static Role product(std::string_view name);

  // Position in the role table: 0–3 the ladder, then product roles in registration order.
  constexpr std::uint16_t index() const noexcept { return index_; }

  friend constexpr bool operator==(Role, Role) noexcept = default;
  friend constexpr auto operator<=>(Role a, Role b) noexcept { return a.index_ <=> b.index_; }

 private:
  friend class RoleTable;
  constexpr explicit Role(std::uint16_t index) noexcept : index_(index) {}
  std::uint16_t index_ = 0;
};

inline constexpr Role Role::kViewer{0};
inline constexpr Role Role::kUser{1};
inline constexpr Role Role::kAdmin{2};
inline constexpr Role Role::kSuperadmin{3};

// A role a product declares. `product` is the owning product's name: the platform fills it in from
// Product::name() when it registers the product's roles (what a product writes there is replaced).
struct ProductRole {
  std::string name;         // [a-z][a-z0-9_]{0,31}; not a ladder name; unique across the build
  std::string description;  // one line, shown in the OpenAPI document (x-tyto-roles) and the console
  std::string product;
};

// Registers roles (all or none). Throws std::invalid_argument, naming what is wrong, for a bad name, a
// ladder name, a name declared twice in `roles`, or a name another product registered already ("role
// \"tailor\" is declared by both captures and music"). Registering the same name again for the same product
// is a no-op (a process that starts the platform twice, as tests do). At most 240 product roles.
void register_product_roles(std::span<const ProductRole> roles);

// "viewer", "user", "admin", "superadmin", or the product role's name; "unknown" for an index the table
// does not hold (never made by this API).
std::string_view role_name(Role role) noexcept;

// The role with exactly this name (lowercase, no surrounding space), ladder or registered; nullopt otherwise.
std::optional<Role> parse_role(std::string_view name) noexcept;

// Every role: the ladder (viewer, user, admin, superadmin), then product roles in registration order.
std::span<const Role> all_roles() noexcept;

// The registered product roles with their descriptions and owning products, in registration order.
std::vector<ProductRole> product_roles();

// True for a registered product role.
bool is_product_role(Role role) noexcept;

// Whether a holder of `have` may do what requires `need`, by the rule above.
bool role_allows(Role have, Role need) noexcept;

// Whether a holder of `have` plus the product roles `grants` may do what requires `need`: role_allows, or
// need is a product role among grants.
bool role_allows(Role have, std::span<const Role> grants, Role need) noexcept;

// The role that allows only what both allow: the one of the two the other includes, else viewer
// (a product role and user share nothing but reading). What an API key may do while its owner
// holds `owner`.
Role lesser_role(Role a, Role b) noexcept;

}  // namespace tyto::auth
