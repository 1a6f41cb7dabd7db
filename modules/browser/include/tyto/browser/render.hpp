// What a render asks for and what it returns: the page's URL and settings, the actions before the
// capture, and the capture itself (screenshot, DOM snapshot with layout and computed styles,
// accessibility tree, the requests the outbound guard refused).
//
// Plain data, no Chromium or Boost in it; the JSON forms are those of the browser.render stage.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tyto::browser {

struct Viewport {
  int width = 1280;                // CSS pixels, 1..8192
  int height = 800;                // CSS pixels, 1..8192
  double device_scale_factor = 1;  // 0.5..4
  bool mobile = false;
};

struct Cookie {
  std::string name;
  std::string value;
  std::string url;     // the cookie belongs to this URL's host and path; empty: the page's URL
  std::string domain;  // optional instead of url
  std::string path = "/";
  bool secure = false;
  bool http_only = false;
};

// A step before the capture, in the order given (as pa11y's actions).
struct Action {
  enum class Kind {
    kClick,    // a mouse click at the centre of the first element matching selector
    kType,     // focus the element matching selector, then type text
    kWaitFor,  // wait until an element matches selector and is visible (fails after timeout)
    kWait,     // wait `timeout`
    kPress,    // press a key ("Tab", "Enter", "Escape", "ArrowDown", a character…)
  };
  Kind kind = Kind::kWait;
  std::string selector;
  std::string text;                           // kType: the text; kPress: the key
  std::chrono::milliseconds timeout{10'000};  // kWaitFor: the limit; kWait: the time
};

struct RenderRequest {
  std::string url;  // http:// or https://, or a data:text/html URL (a document given inline)
  Viewport viewport;
  std::string user_agent;                                    // empty: Chromium's own
  std::vector<Cookie> cookies;                               // set before the page loads
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers on every request of the page
  std::vector<Action> actions;                               // after the load, before the capture
  std::chrono::milliseconds wait{0};                         // extra wait right before the capture

  std::chrono::milliseconds navigation_timeout{30'000};   // until the load event
  std::chrono::milliseconds network_idle{500};            // no request in flight for this long…
  std::chrono::milliseconds network_idle_timeout{5'000};  // …waited for at most this long (then captured anyway)
  std::chrono::milliseconds timeout{90'000};              // the whole render, actions and capture included

  bool screenshot = true;
  bool dom = true;
  bool accessibility = true;
  int max_screenshot_height = 16'384;        // CSS pixels; longer pages are cut there
  std::vector<std::string> computed_styles;  // empty: default_computed_styles()
};

// The computed styles a DOM snapshot includes unless the request names others.
const std::vector<std::string>& default_computed_styles();

// A request of the page that the outbound guard refused (the page saw it fail with ERR_BLOCKED_BY_CLIENT,
// or its connection refused by the proxy).
struct RefusedRequest {
  std::string url;            // the URL, or "host:port" for a connection the proxy refused
  std::string reason;         // "loopback", "private", "link-local", "scheme ftp is not allowed"…
  std::string resource_type;  // "Document", "Image", "Script", "WebSocket", "Connection"…
};

struct Box {
  double x = 0, y = 0, width = 0, height = 0;  // CSS pixels, page coordinates
};

struct RenderResult {
  std::string url;        // as requested
  std::string final_url;  // after redirects and actions
  std::string title;
  int status = 0;             // HTTP status of the main document (0 when unknown)
  bool network_idle = false;  // false: captured after network_idle_timeout with requests still in flight
  double content_width = 0, content_height = 0;     // CSS pixels of the whole page
  std::string screenshot_png;                       // full page (cut at max_screenshot_height), empty if not asked
  int screenshot_width = 0, screenshot_height = 0;  // device pixels
  double device_scale_factor = 1;
  nlohmann::json dom_snapshot;  // DOMSnapshot.captureSnapshot's answer: documents + strings
  nlohmann::json ax_tree;       // Accessibility.getFullAXTree's nodes
  std::vector<RefusedRequest> refused;
  std::chrono::milliseconds elapsed{0};
};

// One element of a DOM snapshot with its layout box and computed styles (elements without a layout box,
// such as display:none ones, have box nullopt and no styles).
struct DomElement {
  int node_index = 0;
  int parent_index = -1;
  std::string tag;  // lowercase: "div"
  std::map<std::string, std::string> attributes;
  std::optional<Box> box;
  std::map<std::string, std::string> styles;  // the requested computed styles
  std::string text;                           // the element's own text nodes, concatenated
};

// The elements of the main document of a snapshot, in document order. style_names: the computed styles
// the snapshot was asked for, in that order.
std::vector<DomElement> dom_elements(const nlohmann::json& snapshot,
                                     const std::vector<std::string>& style_names = default_computed_styles());

// An accessibility tree node: role and name as Chromium computed them.
struct AxNode {
  std::string node_id;
  std::string role;
  std::string name;
  bool ignored = false;
  int backend_dom_node_id = 0;
};
std::vector<AxNode> ax_nodes(const nlohmann::json& ax_tree);

// The stage's input {url, viewport?, user_agent?, cookies?, headers?, actions?, wait_ms?, timeout_ms?,
// navigation_timeout_ms?, network_idle_ms?, screenshot?, dom?, accessibility?} as a request, and its JSON schema.
// Throws Error(kValidationFailed) naming the field on a bad value.
RenderRequest render_request_from_json(const nlohmann::json& input);
nlohmann::json render_request_schema();

nlohmann::json to_json(const RefusedRequest& refused);

}  // namespace tyto::browser
