// `tyto render URL --out DIR [--width N] [--height N] [--scale F] [--allow CIDR]… [--wait-ms N]`: renders
// one page behind the outbound guard and writes screenshot.png, dom-snapshot.json,
// accessibility-tree.json and result.json (title, final URL, refused requests) into DIR.
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/modules/browser.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <unistd.h>

namespace tyto::modules {
namespace {

using nlohmann::json;

constexpr std::string_view kUsage =
    "usage: tyto render URL --out DIR [--width N] [--height N] [--scale F] [--wait-ms N] [--allow CIDR]…\n";

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(ErrorCode::kInternal, "cannot write " + path.string());
}

int render_command(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  browser::RenderRequest request;
  std::filesystem::path dir;
  std::vector<std::string> allow;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "--out")
        dir = value();
      else if (a == "--width")
        request.viewport.width = std::stoi(value());
      else if (a == "--height")
        request.viewport.height = std::stoi(value());
      else if (a == "--scale")
        request.viewport.device_scale_factor = std::stod(value());
      else if (a == "--wait-ms")
        request.wait = std::chrono::milliseconds(std::stoi(value()));
      else if (a == "--allow")
        allow.push_back(value());
      else if (a.starts_with("--"))
        throw std::invalid_argument("unknown option " + a);
      else if (request.url.empty())
        request.url = a;
      else
        throw std::invalid_argument("more than one URL");
    }
    if (request.url.empty() || dir.empty()) throw std::invalid_argument("a URL and --out DIR are required");
  } catch (const std::exception& e) {
    err << "tyto render: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    const http::OutboundPolicy policy(allow);
    browser::RendererOptions options{.pool_size = 1};
    // The command reads no configuration file; the sandbox setting comes from the environment, as the image sets it.
    if (const char* sandbox = std::getenv("TYTO_MODULES_BROWSER_SANDBOX");
        sandbox && (std::string_view(sandbox) == "false" || std::string_view(sandbox) == "0") && ::geteuid() != 0) {
      options.extra_args.push_back("--no-sandbox");
    }
    browser::Renderer renderer(options, policy);
    const browser::RenderResult r = renderer.render(request);
    std::filesystem::create_directories(dir);
    write_file(dir / "screenshot.png", r.screenshot_png);
    write_file(dir / "dom-snapshot.json", r.dom_snapshot.dump());
    write_file(dir / "accessibility-tree.json", r.ax_tree.dump());
    json summary = {{"url", r.url},
                    {"final_url", r.final_url},
                    {"title", r.title},
                    {"status", r.status},
                    {"width", r.screenshot_width},
                    {"height", r.screenshot_height},
                    {"elapsed_ms", r.elapsed.count()},
                    {"refused", json::array()}};
    for (const auto& refused : r.refused) summary["refused"].push_back(browser::to_json(refused));
    write_file(dir / "result.json", summary.dump(2));
    out << summary.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "tyto render: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

std::vector<CliCommand> BrowserModule::commands() {
  return {{"render", "render URL --out DIR [--width N] [--height N] [--scale F] [--wait-ms N] [--allow CIDR]…",
           "Render a web page in headless Chromium: screenshot, DOM snapshot, accessibility tree", render_command}};
}

}  // namespace tyto::modules
