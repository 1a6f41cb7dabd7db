// Shared helpers for Tyto's tests: temporary directories, the test services' addresses, and a
// child-process wrapper for tests that start the real binary.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tyto::test {

// The admin API key and password every TytoProcess::serve starts with (TYTO_AUTH_BOOTSTRAP_API_KEY,
// TYTO_AUTH_ADMIN_PASSWORD), and that api() sends unless told otherwise.
inline constexpr const char* kAdminKey = "tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq";
inline constexpr const char* kAdminEmail = "admin@localhost";
inline constexpr const char* kAdminPassword = "correct horse battery staple";

// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// URL of the PostgreSQL server that `make test` (the ctest fixture tests/services/postgres.sh)
// started: $TYTO_TEST_POSTGRES_URL, else $TYTO_TEST_SERVICES_DIR/postgres.url. Fails the test (never
// skips it) when neither is there.
std::string postgres_url();

// A database of its own on that server for one test, dropped in the destructor, so tests never see
// each other's tables.
class ScratchPostgres {
 public:
  ScratchPostgres();
  ~ScratchPostgres();
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

// Reads a whole file; fails the test if it cannot.
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

// Path of the real `tyto` binary under test ($TYTO_BINARY) and of the source tree ($TYTO_SOURCE_DIR).
std::filesystem::path tyto_binary();
std::filesystem::path source_dir();

}  // namespace tyto::test
