// Files compiled into the binary at build time (see cmake/TytoHelpers.cmake, tyto_embed).
#pragma once

#include <span>
#include <string_view>

namespace tyto {

struct EmbeddedFile {
  std::string_view path;    // relative to the bundle's base directory, '/'-separated
  std::string_view data;    // the file's bytes; valid for the life of the process
  std::string_view sha256;  // lowercase hex digest of data, computed at build time
};

// migrations/: "sqlite/0001_init.sql", "postgres/0001_init.sql", …
std::span<const EmbeddedFile> embedded_migrations();

// assets/console/: "index.html", "app.js", …
std::span<const EmbeddedFile> embedded_console();

// config/pipelines/: "builtin.noop.json", …
std::span<const EmbeddedFile> embedded_pipelines();

}  // namespace tyto
