#include "tyto/api/system_routes.hpp"
#include "tyto/auth/roles.hpp"

#include "api/detail/static_file.hpp"
#include "tyto/core/embedded.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tyto::api {
namespace {

using http::Method;
using http::Request;
using http::Response;

// Rejects anything that could leave the console directory: "..", absolute paths, backslashes.
bool safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) return false;
  std::string_view rest = path;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return true;
}

struct File {
  std::string data;
  std::string etag;
};

std::optional<File> load(const ConsoleConfig& config, std::string_view path) {
  if (!safe_relative_path(path)) return std::nullopt;
  if (config.assets_dir.empty()) {
    for (const auto& f : embedded_console()) {
      if (f.path == path) return File{std::string(f.data), detail::etag_of_sha256(f.sha256)};
    }
    return std::nullopt;
  }
  const auto full = std::filesystem::path(config.assets_dir) / std::string(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(full, ec)) return std::nullopt;
  std::ifstream in(full, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  std::string etag = detail::etag_of_sha256(sha256_hex(data));
  return File{std::move(data), std::move(etag)};
}

std::optional<File> load_product_file(const std::vector<ConsoleFiles>& bundles, std::string_view product,
                                      std::string_view path) {
  if (!safe_relative_path(path)) return std::nullopt;
  for (const auto& b : bundles) {
    if (b.product != product) continue;
    for (const auto& f : b.files) {
      if (f.path == path) return File{std::string(f.data), "\"" + std::string(f.sha256.substr(0, 32)) + "\""};
    }
  }
  return std::nullopt;
}

Response serve(const Request& req, std::string_view path, std::optional<File> file) {
  if (!file) throw Error(ErrorCode::kNotFound, "no such console file", {{"path", std::string(path)}});
  Response res = detail::static_file(req, std::move(file->data), std::move(file->etag), detail::content_type_for(path));
  if (path.ends_with(".html")) {
    res.headers.set("Content-Security-Policy",
                    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
                    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.headers.set("X-Frame-Options", "DENY");
    res.headers.set("Referrer-Policy", "no-referrer");
  }
  return res;
}

}  // namespace

std::vector<ConsolePage> platform_console_pages() {
  using auth::Role;
  return {{"overview", "Overview", "Tyto", Role::kViewer, "/console/overview.js"},
          {"jobs", "Jobs", "Tyto", Role::kViewer, "/console/jobs.js"},
          {"api-keys", "API keys", "Tyto", Role::kUser, "/console/api_keys.js"},
          {"users", "Users", "Tyto", Role::kAdmin, "/console/users.js"},
          {"audit", "Audit", "Tyto", Role::kAdmin, "/console/audit.js"}};
}

void add_console_routes(http::Router& router, const ConsoleConfig& config, std::vector<ConsolePage> pages,
                        std::vector<ConsoleFiles> files) {
  router.add(Method::kGet, "/", [config](Request& req) { return serve(req, "index.html", load(config, "index.html")); },
             {"The browser console", "console", nullptr, nullptr, 200, "text/html"}, {.public_route = true});
  router.add(Method::kGet, "/console/{path...}",
             [config](Request& req) { return serve(req, req.param("path"), load(config, req.param("path"))); },
             {"Files of the browser console (scripts, styles, images)", "console", nullptr, nullptr, 200,
              "application/octet-stream"},
             {.public_route = true});
  router.add(Method::kGet, "/console/products/{product}/{path...}",
             [files](Request& req) {
               return serve(req, req.param("path"), load_product_file(files, req.param("product"), req.param("path")));
             },
             {"Console files of a product (its pages' scripts, styles, images)", "console", nullptr, nullptr, 200,
              "application/octet-stream"},
             {.public_route = true});
  router.add(Method::kGet, "/api/v1/console/pages",
             [pages = std::move(pages)](Request& req) {
               nlohmann::json items = nlohmann::json::array();
               for (const auto& p : pages) {
                 if (!req.who().allows(p.role)) continue;
                 items.push_back({{"id", p.id},
                                  {"title", p.title},
                                  {"nav", p.nav},
                                  {"role", auth::role_name(p.role)},
                                  {"module", p.module}});
               }
               return Response::json({{"items", items}});
             },
             {"The console pages the caller's role may open, in navigation order",
              "console",
              nullptr,
              {{"type", "object"},
               {"properties",
                {{"items",
                  {{"type", "array"},
                   {"items",
                    {{"type", "object"},
                     {"properties",
                      {{"id", {{"type", "string"}}},
                       {"title", {{"type", "string"}}},
                       {"nav", {{"type", "string"}}},
                       {"role", {{"type", "string"}}},
                       {"module", {{"type", "string"}}}}}}}}}}}}});
}

}  // namespace tyto::api
