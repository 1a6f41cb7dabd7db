// The entries of a ZIP archive by name (libarchive), for tests that read data exports.
#pragma once

#include "support/api_client.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace tyto::test {

inline std::map<std::string, std::string> unzip(const std::string& bytes) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string content;
    char buf[8192];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;)
      content.append(buf, static_cast<std::size_t>(n));
    out[archive_entry_pathname(entry)] = content;
  }
  archive_read_free(a);
  return out;
}

// GET /api/v1/me/export as `who`, waits for the export job, downloads its archive (local store) and returns its
// entries by name; fails the test on any step.
inline std::map<std::string, std::string> exported_archive(std::uint16_t port,
                                                           const std::map<std::string, std::string>& who) {
  auto exp = api(port, "GET", "/api/v1/me/export", nullptr, who);
  INFO(exp.raw.body);
  REQUIRE(exp.status == 202);
  nlohmann::json done;
  REQUIRE(eventually([&] {
    done = api(port, "GET", "/api/v1/jobs/" + exp.body["id"].get<std::string>(), nullptr, who).body;
    return done["state"] == "succeeded" || done["state"] == "failed";
  }));
  INFO(done.dump());
  REQUIRE(done["state"] == "succeeded");
  auto zip =
      api(port, "GET", "/api/v1/objects/" + done["result"]["object_id"].get<std::string>() + "/content", nullptr, who);
  REQUIRE(zip.raw.status == 200);
  return unzip(zip.raw.body);
}

}  // namespace tyto::test
