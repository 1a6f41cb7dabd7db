#include "a11y_checks/checks_support.hpp"

#include "tyto/http/outbound_policy.hpp"

#include <filesystem>
#include <stdexcept>

namespace tyto::test {

browser::Renderer& a11y_renderer() {
  static const http::OutboundPolicy policy({"127.0.0.1/32"});
  static browser::Renderer renderer({.pool_size = 1}, policy);
  return renderer;
}

OpenedPage open_page(const std::string& url, double device_scale_factor) {
  browser::RenderRequest request{.url = url};
  request.viewport.device_scale_factor = device_scale_factor;
  request.network_idle = std::chrono::milliseconds(100);
  OpenedPage out;
  out.page = a11y_renderer().open(request);
  out.render = out.page->capture();
  return out;
}

void serve_bytes(PageServer& server, const std::string& path, std::string bytes, const std::string& type) {
  server.route(path, [bytes = std::move(bytes), type](const PageRequest&) {
    return PageResponse{.content_type = type, .body = bytes};
  });
}

std::string sample_photo(const std::string& name) {
  const auto path = std::filesystem::path("/usr/share/doc/opencv-doc/examples/data") / name;
  if (!std::filesystem::exists(path))
    throw std::runtime_error(path.string() + " is missing: install opencv-doc (scripts/packages/test.txt)");
  return path.string();
}

nlohmann::json axe_incomplete_contrast(const std::vector<std::string>& selectors) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& s : selectors) nodes.push_back({{"target", {s}}, {"html", ""}, {"any", nlohmann::json::array()}});
  return {{"violations", nlohmann::json::array()},
          {"passes", nlohmann::json::array()},
          {"incomplete", {{{"id", "color-contrast"}, {"impact", "serious"}, {"nodes", nodes}}}}};
}

const products::accessibility::Issue* issue_for(const products::accessibility::CheckOutcome& outcome,
                                                const std::string& selector) {
  for (const auto& issue : outcome.issues)
    if (issue.selector == selector) return &issue;
  return nullptr;
}

}  // namespace tyto::test
