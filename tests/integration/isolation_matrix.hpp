// The isolation matrix: every registered route, walked from the server's own OpenAPI document, called
// with an admin credential of ANOTHER tenant and with a credential whose role is too small. A new route
// that forgets its tenant scope or its role fails here without anyone writing a test for it.
//
// Products add a hook that creates one of each of their resources in the victim's tenant, so their
// routes are tried with another tenant's real ids, not only unknown ones (tests/products/example).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tyto::test {

// Resources of the victim tenant, by the path prefix whose {id} names them.
struct Victim {
  std::map<std::string, std::string> ids;  // "/api/v1/jobs/" → id
  std::vector<std::string> all;            // every id, to look for in other tenants' answers
  // Valid bodies by route pattern ("/api/v1/brands/{id}/scans"), for routes whose schema requires members:
  // the router checks a body before the handler looks the resource up, so {} would be 422, not 404.
  std::map<std::string, nlohmann::json> bodies;

  void add(const std::string& prefix, const std::string& id) {
    ids[prefix] = id;
    all.push_back(id);
  }
  std::string id_for(const std::string& path) const;
};

// Creates a product's resources in the victim's tenant through the API (the bootstrap admin key is the
// victim's admin) and adds each id under the path prefix that names it ("/api/v1/example/notes/").
using IsolationHook = std::function<void(std::uint16_t port, Victim& victim)>;

// Runs the whole matrix against a started server (tests/support/process.hpp's serve()).
void check_isolation(std::uint16_t port, const std::vector<IsolationHook>& hooks = {});

}  // namespace tyto::test
