#include "support/private_postgres.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdlib>

namespace tyto::test {

PrivatePostgres::PrivatePostgres() {
  if (!run("start")) {
    run("stop");
    FAIL("cannot start a private PostgreSQL server");
  }
  const std::string url = read_file(dir_.path() / "postgres.url");
  url_ = url.substr(0, url.find_last_not_of(" \n") + 1);
}

PrivatePostgres::~PrivatePostgres() { run("stop"); }

bool PrivatePostgres::restart() { return run("restart"); }

bool PrivatePostgres::stop() { return run("stop"); }

bool PrivatePostgres::run(const char* verb) {
  const auto script = source_dir() / "tests" / "services" / "postgres.sh";
  const std::string command = fmt::format("'{}' {} '{}'", script.string(), verb, dir_.path().string());
  return std::system(command.c_str()) == 0;
}

}  // namespace tyto::test
