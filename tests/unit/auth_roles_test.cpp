#include "tyto/auth/roles.hpp"

#include <catch2/catch.hpp>

#include <string>

using tyto::auth::Role;
using tyto::auth::role_allows;

TEST_CASE("Role names are stable and parse back", "[auth]") {
  const std::string expected[] = {"viewer", "user",  "admin",    "labeler", "partner",
                                  "tailor", "fixer", "verifier", "curator", "superadmin"};
  REQUIRE(tyto::auth::all_roles().size() == std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const Role role = tyto::auth::all_roles()[i];
    CHECK(tyto::auth::role_name(role) == expected[i]);
    CHECK(tyto::auth::parse_role(expected[i]) == role);
  }
  CHECK(tyto::auth::parse_role("Admin") == std::nullopt);
  CHECK(tyto::auth::parse_role(" admin") == std::nullopt);
  CHECK(tyto::auth::parse_role("") == std::nullopt);
  CHECK(tyto::auth::parse_role("root") == std::nullopt);
}

TEST_CASE("Platform roles form the ladder viewer < user < admin < superadmin", "[auth]") {
  const Role ladder[] = {Role::kViewer, Role::kUser, Role::kAdmin, Role::kSuperadmin};
  for (std::size_t have = 0; have < std::size(ladder); ++have) {
    for (std::size_t need = 0; need < std::size(ladder); ++need) {
      INFO(tyto::auth::role_name(ladder[have]) << " needs " << tyto::auth::role_name(ladder[need]));
      CHECK(role_allows(ladder[have], ladder[need]) == (have >= need));
    }
  }
}

TEST_CASE("Product roles are granted explicitly - admins hold them all", "[auth]") {
  const Role products[] = {Role::kLabeler, Role::kPartner,  Role::kTailor,
                           Role::kFixer,   Role::kVerifier, Role::kCurator};
  for (const Role product : products) {
    INFO(tyto::auth::role_name(product));
    CHECK(tyto::auth::is_product_role(product));
    CHECK(role_allows(product, product));
    CHECK(role_allows(product, Role::kViewer));
    CHECK_FALSE(role_allows(product, Role::kUser));
    CHECK_FALSE(role_allows(product, Role::kAdmin));
    CHECK_FALSE(role_allows(product, Role::kSuperadmin));
    CHECK(role_allows(Role::kAdmin, product));
    CHECK(role_allows(Role::kSuperadmin, product));
    CHECK_FALSE(role_allows(Role::kUser, product));
    CHECK_FALSE(role_allows(Role::kViewer, product));
    for (const Role other : products) {
      CHECK(role_allows(product, other) == (product == other));
    }
  }
  CHECK_FALSE(tyto::auth::is_product_role(Role::kAdmin));
  CHECK_FALSE(tyto::auth::is_product_role(Role::kViewer));
}
