// A PostgreSQL server of one test's own, for tests that restart or stop it (doing that to the suite's
// shared server would break the tests beside it). Started with tests/services/postgres.sh in a
// temporary directory; stopped and deleted in the destructor.
#pragma once

#include "support/test_support.hpp"

#include <string>

namespace tyto::test {

class PrivatePostgres {
 public:
  PrivatePostgres();  // fails the test if the server cannot start
  ~PrivatePostgres();
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // pg_ctl restart -m fast: every session ends; the port and the data stay. Reports failure rather
  // than asserting, so a thread other than the test's may call it; so does stop().
  bool restart();
  // Gone for good: data deleted, nothing listens on the port.
  bool stop();
  const std::string& url() const { return url_; }

 private:
  bool run(const char* verb);

  TempDir dir_;
  std::string url_;
};

}  // namespace tyto::test
