#include "support/test_support.hpp"

#include "tyto/core/hash.hpp"

#include <libpq-fe.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>

namespace tyto::test {
namespace {

std::string random_hex(std::size_t bytes) { return hex_encode(random_bytes(bytes)); }

std::string getenv_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string trim(std::string s) {
  constexpr std::string_view kSpace = " \t\r\n";
  s.erase(0, s.find_first_not_of(kSpace));
  s.erase(s.find_last_not_of(kSpace) + 1);
  return s;
}

// The same URL naming another database: the path after the host is replaced, the query kept.
std::string with_database(const std::string& url, const std::string& database) {
  std::size_t scheme = url.find("://");
  std::size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t path = url.find_first_of("/?", host);
  if (path == std::string::npos) return url + "/" + database;
  std::size_t query = url.find('?', path);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return url.substr(0, path) + "/" + database + rest;
}

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};

// Runs one statement on the server's maintenance database; returns libpq's error, empty on success.
std::string run_admin(const std::string& sql) {
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdb(postgres_url().c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) return PQerrorMessage(conn.get());
  PGresult* res = PQexec(conn.get(), sql.c_str());
  std::string error = PQresultStatus(res) == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(res);
  PQclear(res);
  return error;
}

std::filesystem::path required_env_path(const char* name) {
  std::string value = getenv_or_empty(name);
  if (value.empty()) FAIL(name << " is not set; run the tests through ctest (make test), which sets it");
  return value;
}

}  // namespace

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() / ("tyto-test-" + random_hex(8));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string postgres_url() {
  std::string url = getenv_or_empty("TYTO_TEST_POSTGRES_URL");
  if (!url.empty()) return url;
  std::string services = getenv_or_empty("TYTO_TEST_SERVICES_DIR");
  if (!services.empty()) {
    std::ifstream in(std::filesystem::path(services) / "postgres.url");
    std::stringstream content;
    content << in.rdbuf();
    url = trim(content.str());
    if (!url.empty()) return url;
  }
  FAIL(
      "no PostgreSQL for the storage tests: set TYTO_TEST_POSTGRES_URL, or run through ctest (make test), whose "
      "fixture tests/services/postgres.sh writes $TYTO_TEST_SERVICES_DIR/postgres.url (dir: '"
      << services << "')");
  return {};
}

ScratchPostgres::ScratchPostgres() : name_("tyto_test_" + random_hex(8)) {
  std::string error = run_admin("CREATE DATABASE " + name_);
  if (!error.empty()) FAIL("cannot create scratch database " << name_ << ": " << error);
  url_ = with_database(postgres_url(), name_);
}

ScratchPostgres::~ScratchPostgres() {
  // Best effort: a failure here must not hide the test's own result.
  try {
    run_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) FAIL("cannot read " << p.string());
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) FAIL("cannot write " << p.string());
}

std::filesystem::path tyto_binary() { return required_env_path("TYTO_BINARY"); }

std::filesystem::path source_dir() { return required_env_path("TYTO_SOURCE_DIR"); }

}  // namespace tyto::test
