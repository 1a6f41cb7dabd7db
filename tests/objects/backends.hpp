// The two stores the object suite runs every shared case against, and helpers for the cases.
#pragma once

#include "support/http_client.hpp"
#include "support/test_support.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/objects/object_store.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace tyto::test {

// The S3 server of the ctest fixture `radosgw` (tests/services/radosgw.sh): the TYTO_TEST_S3_* variables
// if TYTO_TEST_S3_ENDPOINT is set, else $TYTO_TEST_SERVICES_DIR/s3.env. Fails the test (never skips it)
// when neither is there. Multipart settings are S3's minimum, so a 12 MiB object takes three parts.
inline objects::S3Options s3_test_options() {
  std::map<std::string, std::string> vars;
  const char* names[] = {"TYTO_TEST_S3_ENDPOINT", "TYTO_TEST_S3_REGION", "TYTO_TEST_S3_BUCKET",
                         "TYTO_TEST_S3_ACCESS_KEY", "TYTO_TEST_S3_SECRET_KEY"};
  if (std::getenv("TYTO_TEST_S3_ENDPOINT") != nullptr) {
    for (const char* name : names) vars[name] = std::getenv(name) != nullptr ? std::getenv(name) : "";
  } else {
    const char* services = std::getenv("TYTO_TEST_SERVICES_DIR");
    if (services == nullptr) FAIL("TYTO_TEST_SERVICES_DIR is not set; run the tests through ctest (make test)");
    std::ifstream in(std::filesystem::path(services) / "s3.env");
    if (!in) FAIL("no " << services << "/s3.env: the radosgw fixture (tests/services/radosgw.sh) did not start");
    for (std::string line; std::getline(in, line);) {
      if (auto eq = line.find('='); eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  objects::S3Options options;
  options.endpoint = vars["TYTO_TEST_S3_ENDPOINT"];
  options.region = vars["TYTO_TEST_S3_REGION"].empty() ? "us-east-1" : vars["TYTO_TEST_S3_REGION"];
  options.bucket = vars["TYTO_TEST_S3_BUCKET"];
  options.access_key = vars["TYTO_TEST_S3_ACCESS_KEY"];
  options.secret_key = vars["TYTO_TEST_S3_SECRET_KEY"];
  options.multipart_threshold = 5u << 20;
  options.part_size = 5u << 20;
  options.timeout = std::chrono::seconds(15);
  return options;
}

struct LocalBackend {
  TempDir dir;
  std::unique_ptr<objects::ObjectStore> open() const { return objects::open_local_store(dir.path() / "objects"); }
};

struct RadosgwBackend {
  std::unique_ptr<objects::ObjectStore> open() const { return objects::open_s3_store(s3_test_options()); }
};

// A prefix of its own for one test, so tests sharing the bucket never see each other's objects.
inline std::string unique_prefix() { return "t-" + hex_encode(random_bytes(6)) + "/"; }

// The code of the tyto::Error that fn throws; fails the test if it throws anything else or nothing.
template <class Fn>
ErrorCode error_code_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  } catch (const std::exception& e) {
    FAIL("threw something other than tyto::Error: " << e.what());
  }
  FAIL("threw nothing");
  return ErrorCode::kInternal;
}

// The message of the tyto::Error that fn throws (empty if it throws none).
template <class Fn>
std::string error_message_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Deterministic bytes covering every byte value, different for each seed.
inline std::string pattern_bytes(std::size_t size, std::uint32_t seed = 1) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

// One request with a plain socket to an "http://host:port/path?query" URL, as a browser would send it.
inline HttpResponse fetch_url(const std::string& url, const std::string& method, const std::string& body = "",
                              const std::map<std::string, std::string>& headers = {}) {
  REQUIRE(url.starts_with("http://"));
  std::size_t path = url.find('/', 7);
  std::string authority = url.substr(7, path - 7);
  std::size_t colon = authority.rfind(':');
  REQUIRE(colon != std::string::npos);
  Client client(static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1))), authority.substr(0, colon));
  std::string request =
      method + " " + url.substr(path) + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (method == "PUT" || !body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  client.send(request + "\r\n" + body);
  auto response = client.read_response(std::chrono::seconds(30), method == "HEAD");
  REQUIRE(response);
  return *response;
}

}  // namespace tyto::test
