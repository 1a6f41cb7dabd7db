// The entries of a ZIP archive by name (libarchive), for tests that read data exports.
#pragma once

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

}  // namespace tyto::test
