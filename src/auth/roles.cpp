#include "tyto/auth/roles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>

namespace tyto::auth {

// The process-wide table: the ladder in slots 0–3, product roles after them. Append-only; an entry is written
// before count_ moves past it (release), and readers look only below count_ (acquire), so reads need no lock.
class RoleTable {
 public:
  static constexpr std::size_t kCapacity = 244;
  static constexpr std::uint16_t kLadderSize = 4;

  static RoleTable& get() {
    static RoleTable table;
    return table;
  }

  std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }
  const ProductRole& entry(std::size_t i) const noexcept { return entries_[i]; }
  std::span<const Role> roles() const noexcept { return {roles_.data(), size()}; }

  std::optional<Role> find(std::string_view name) const noexcept {
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) {
      if (entries_[i].name == name) return Role(static_cast<std::uint16_t>(i));
    }
    return std::nullopt;
  }

  void add(std::span<const ProductRole> declared) {
    std::lock_guard lock(write_mutex_);
    std::vector<const ProductRole*> fresh;
    for (const auto& r : declared) {
      check_name(r);
      for (const auto* other : fresh) {
        if (other->name == r.name) {
          throw std::invalid_argument(fmt::format("role \"{}\" is declared twice by {}", r.name, r.product));
        }
      }
      if (const auto existing = find(r.name)) {
        if (existing->index() < kLadderSize) {
          throw std::invalid_argument(
              fmt::format("product {} declares role \"{}\", which is a platform role", r.product, r.name));
        }
        const auto& owner = entries_[existing->index()].product;
        if (owner != r.product) {
          throw std::invalid_argument(
              fmt::format("role \"{}\" is declared by both {} and {}", r.name, owner, r.product));
        }
        continue;  // the same product registering again
      }
      fresh.push_back(&r);
    }
    std::size_t n = size();
    if (n + fresh.size() > kCapacity) throw std::invalid_argument("too many product roles");
    for (const auto* r : fresh) {
      entries_[n] = *r;
      roles_[n] = Role(static_cast<std::uint16_t>(n));
      ++n;
    }
    count_.store(n, std::memory_order_release);
  }

 private:
  RoleTable() {
    const std::array<std::string_view, kLadderSize> ladder = {"viewer", "user", "admin", "superadmin"};
    for (std::uint16_t i = 0; i < kLadderSize; ++i) {
      entries_[i] = {std::string(ladder[i]), "", ""};
      roles_[i] = Role(i);
    }
    count_.store(kLadderSize, std::memory_order_release);
  }

  static void check_name(const ProductRole& r) {
    const auto& n = r.name;
    const bool ok = !n.empty() && n.size() <= 32 && n[0] >= 'a' && n[0] <= 'z' &&
                    std::all_of(n.begin(), n.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!ok) {
      throw std::invalid_argument(
          fmt::format("product {}: role name \"{}\" must match [a-z][a-z0-9_]{{0,31}}", r.product, n));
    }
  }

  std::mutex write_mutex_;
  std::array<ProductRole, kCapacity> entries_;
  std::array<Role, kCapacity> roles_{};
  std::atomic<std::size_t> count_{0};
};

namespace {

// Position on the platform ladder; nullopt for product roles.
constexpr std::optional<int> ladder_rank(Role role) noexcept {
  if (role.index() < RoleTable::kLadderSize) return role.index();
  return std::nullopt;
}

}  // namespace

Role Role::product(std::string_view name) {
  const auto role = RoleTable::get().find(name);
  if (!role || !is_product_role(*role)) {
    throw std::invalid_argument(fmt::format("no product declares the role \"{}\" (Product::roles())", name));
  }
  return *role;
}

void register_product_roles(std::span<const ProductRole> roles) { RoleTable::get().add(roles); }

std::string_view role_name(Role role) noexcept {
  const auto& table = RoleTable::get();
  if (role.index() >= table.size()) return "unknown";
  return table.entry(role.index()).name;
}

std::optional<Role> parse_role(std::string_view name) noexcept { return RoleTable::get().find(name); }

std::span<const Role> all_roles() noexcept { return RoleTable::get().roles(); }

std::vector<ProductRole> product_roles() {
  const auto& table = RoleTable::get();
  std::vector<ProductRole> out;
  for (std::size_t i = RoleTable::kLadderSize; i < table.size(); ++i) out.push_back(table.entry(i));
  return out;
}

bool is_product_role(Role role) noexcept {
  return role.index() >= RoleTable::kLadderSize && role.index() < RoleTable::get().size();
}

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

bool role_allows(Role have, std::span<const Role> grants, Role need) noexcept {
  if (role_allows(have, need)) return true;
  return is_product_role(need) && std::find(grants.begin(), grants.end(), need) != grants.end();
}

Role lesser_role(Role a, Role b) noexcept {
  if (role_allows(a, b)) return b;
  if (role_allows(b, a)) return a;
  return Role::kViewer;
}

}  // namespace tyto::auth
