#include "tyto/auth/roles.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using tyto::auth::ProductRole;
using tyto::auth::Role;
using tyto::auth::role_allows;

namespace {

// The role table is process-wide and only grows: each test declares roles of its own names, and declaring
// them again for the same product is a no-op, so test cases may run in any order.
std::vector<Role> declare(const std::string& product, const std::vector<std::string>& names) {
  std::vector<ProductRole> roles;
  for (const auto& n : names) roles.push_back({n, "the " + n + " role of the tests", product});
  tyto::auth::register_product_roles(roles);
  std::vector<Role> out;
  for (const auto& n : names) out.push_back(Role::product(n));
  return out;
}

}  // namespace

TEST_CASE("Role names are stable and parse back", "[auth]") {
  const std::string ladder[] = {"viewer", "user", "admin", "superadmin"};
  const auto all = tyto::auth::all_roles();
  REQUIRE(all.size() >= std::size(ladder));
  CHECK(all[0] == Role::kViewer);
  CHECK(all[1] == Role::kUser);
  CHECK(all[2] == Role::kAdmin);
  CHECK(all[3] == Role::kSuperadmin);
  for (std::size_t i = 0; i < std::size(ladder); ++i) {
    CHECK(tyto::auth::role_name(all[i]) == ladder[i]);
    CHECK(tyto::auth::parse_role(ladder[i]) == all[i]);
    CHECK_FALSE(tyto::auth::is_product_role(all[i]));
  }
  CHECK(Role() == Role::kViewer);
  CHECK(tyto::auth::parse_role("Admin") == std::nullopt);
  CHECK(tyto::auth::parse_role(" admin") == std::nullopt);
  CHECK(tyto::auth::parse_role("") == std::nullopt);
  CHECK(tyto::auth::parse_role("root") == std::nullopt);
  // Nothing declares the old hard-coded product roles any more.
  CHECK(tyto::auth::parse_role("labeler") == std::nullopt);
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

TEST_CASE("Declared product roles parse, are listed with their product and open only themselves", "[auth]") {
  const auto products = declare("unit_a", {"unit_tailor", "unit_labeler"});
  const auto more = declare("unit_b", {"unit_fixer"});
  std::vector<Role> all = products;
  all.insert(all.end(), more.begin(), more.end());

  const auto listed = tyto::auth::product_roles();
  auto find = [&](const std::string& name) {
    return std::find_if(listed.begin(), listed.end(), [&](const ProductRole& r) { return r.name == name; });
  };
  REQUIRE(find("unit_tailor") != listed.end());
  CHECK(find("unit_tailor")->product == "unit_a");
  CHECK(find("unit_tailor")->description == "the unit_tailor role of the tests");
  REQUIRE(find("unit_fixer") != listed.end());
  CHECK(find("unit_fixer")->product == "unit_b");

  for (const Role product : all) {
    const auto name = tyto::auth::role_name(product);
    INFO(name);
    CHECK(tyto::auth::parse_role(name) == product);
    CHECK(std::count(tyto::auth::all_roles().begin(), tyto::auth::all_roles().end(), product) == 1);
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
    for (const Role other : all) {
      CHECK(role_allows(product, other) == (product == other));
    }
  }
}

TEST_CASE("lesser_role keeps what both roles allow, product roles included", "[auth]") {
  const Role tailor = declare("unit_a", {"unit_tailor"}).front();
  const Role fixer = declare("unit_b", {"unit_fixer"}).front();
  CHECK(tyto::auth::lesser_role(Role::kAdmin, Role::kUser) == Role::kUser);
  CHECK(tyto::auth::lesser_role(Role::kUser, Role::kSuperadmin) == Role::kUser);
  // An admin's key made with a product role keeps it; a product role's key made as admin drops to it.
  CHECK(tyto::auth::lesser_role(tailor, Role::kAdmin) == tailor);
  CHECK(tyto::auth::lesser_role(Role::kAdmin, tailor) == tailor);
  // A product role and user, or two product roles, share nothing but reading.
  CHECK(tyto::auth::lesser_role(tailor, Role::kUser) == Role::kViewer);
  CHECK(tyto::auth::lesser_role(tailor, fixer) == Role::kViewer);
  CHECK(tyto::auth::lesser_role(tailor, tailor) == tailor);
}

TEST_CASE("A member's grants add product roles beside its role", "[auth]") {
  const auto roles = declare("unit_a", {"unit_tailor", "unit_labeler"});
  const Role tailor = roles[0], labeler = roles[1];
  const std::vector<Role> grants = {tailor};
  CHECK(role_allows(Role::kUser, grants, tailor));
  CHECK(role_allows(Role::kUser, grants, Role::kUser));
  CHECK_FALSE(role_allows(Role::kUser, grants, labeler));
  CHECK_FALSE(role_allows(Role::kUser, grants, Role::kAdmin));
  CHECK_FALSE(role_allows(Role::kUser, {}, tailor));
  CHECK(role_allows(Role::kViewer, grants, tailor));
  CHECK_FALSE(role_allows(Role::kViewer, grants, Role::kUser));
  // A grant names product roles only: a ladder role among grants opens nothing.
  const std::vector<Role> odd = {Role::kAdmin};
  CHECK_FALSE(role_allows(Role::kUser, odd, Role::kAdmin));
}

TEST_CASE("Two products declaring the same role stop start-up, naming both", "[auth]") {
  declare("unit_captures", {"unit_partner"});
  try {
    declare("unit_music", {"unit_partner"});
    FAIL("a clash was accepted");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("unit_partner") != std::string::npos);
    CHECK(what.find("unit_captures") != std::string::npos);
    CHECK(what.find("unit_music") != std::string::npos);
  }
  // The first declaration stands; declaring it again for the same product changes nothing.
  const auto before = tyto::auth::all_roles().size();
  CHECK(declare("unit_captures", {"unit_partner"}).front() == Role::product("unit_partner"));
  CHECK(tyto::auth::all_roles().size() == before);
  const auto listed = tyto::auth::product_roles();
  const auto it =
      std::find_if(listed.begin(), listed.end(), [](const ProductRole& r) { return r.name == "unit_partner"; });
  REQUIRE(it != listed.end());
  CHECK(it->product == "unit_captures");
}

TEST_CASE("A product may not declare a ladder name, a bad name or one name twice, and a refused set adds nothing",
          "[auth]") {
  const auto before = tyto::auth::all_roles().size();
  for (const std::string name : {"admin", "viewer", "superadmin", "user"}) {
    INFO(name);
    CHECK_THROWS_AS(declare("unit_bad", {"unit_ok_first", name}), std::invalid_argument);
  }
  for (const std::string& name :
       std::vector<std::string>{"", "Tailor", "1st", "tai lor", "tailor-x", std::string(33, 'a')}) {
    INFO("\"" << name << "\"");
    CHECK_THROWS_AS(declare("unit_bad", {"unit_ok_first", name}), std::invalid_argument);
  }
  CHECK_THROWS_AS(declare("unit_bad", {"unit_twice", "unit_twice"}), std::invalid_argument);
  CHECK(tyto::auth::all_roles().size() == before);
  CHECK(tyto::auth::parse_role("unit_ok_first") == std::nullopt);
  CHECK(tyto::auth::parse_role("unit_twice") == std::nullopt);
}

TEST_CASE("A route naming an undeclared role is refused when it is installed", "[auth]") {
  CHECK_THROWS_AS(Role::product("unit_never_declared"), std::invalid_argument);
  CHECK_THROWS_AS(Role::product("admin"), std::invalid_argument);  // ladder roles are spelled Role::kAdmin
  try {
    (void)Role::product("unit_never_declared");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("unit_never_declared") != std::string::npos);
  }
}
