// The isolation matrix (isolation_matrix.hpp) over the platform's own routes, on both databases.
#include "integration/backends.hpp"
#include "integration/isolation_matrix.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

using namespace tyto::test;

TEMPLATE_TEST_CASE("No route leaks across tenants or lets a small role through", "[integration][auth][isolation]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(server->port());
}
