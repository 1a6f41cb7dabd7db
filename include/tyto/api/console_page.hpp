// A page of the browser console, as GET /api/v1/console/pages lists it to callers whose role reaches
// `role`. `module` is the URL of an ES module exporting `mount(container, ...params)` (returning an
// optional unmount function); the console imports it the first time the page opens.
#pragma once

#include "tyto/auth/roles.hpp"
#include "tyto/core/embedded.hpp"

#include <span>
#include <string>
#include <vector>

namespace tyto::api {

struct ConsolePage {
  std::string id;     // "music.songs"; the page's address is #/<id>; unique across the build
  std::string title;  // "Songs"
  std::string nav;    // the navigation group it appears under: "Music catalog" ("Tyto" for the platform's)
  auth::Role role = auth::Role::kViewer;
  std::string module;  // "/console/products/music/songs.js"
};

// The console files of one product, served under /console/products/<product>/<path>.
struct ConsoleFiles {
  std::string product;
  std::span<const EmbeddedFile> files;
};

// The platform's own pages (overview, jobs, API keys, users, audit).
std::vector<ConsolePage> platform_console_pages();

}  // namespace tyto::api
