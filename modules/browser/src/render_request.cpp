#include "tyto/browser/render.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tyto::browser {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return text;
}

json selector_schema() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 1000}}; }

json action_schema() {
  return {{"type", "object"},
          {"required", {"action"}},
          {"properties",
           {{"action", {{"type", "string"}, {"enum", {"click", "type", "wait_for", "wait", "press"}}}},
            {"selector", selector_schema()},
            {"text", {{"type", "string"}, {"maxLength", 10000}}},
            {"key", {{"type", "string"}, {"minLength", 1}, {"maxLength", 40}}},
            {"timeout_ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 120000}}}}}};
}

Action parse_action(const json& a, std::size_t i) {
  const std::string field = fmt::format("actions[{}]", i);
  auto need = [&](const char* key) -> std::string {
    if (!a.contains(key) || !a[key].is_string() || a[key].get<std::string>().empty())
      throw validation_error("bad action", {{field, fmt::format("needs a {}", key)}});
    return a[key].get<std::string>();
  };
  Action out;
  const std::string kind = a.value("action", "");
  out.timeout = milliseconds(a.value("timeout_ms", 10'000));
  if (kind == "click") {
    out.kind = Action::Kind::kClick;
    out.selector = need("selector");
  } else if (kind == "type") {
    out.kind = Action::Kind::kType;
    out.selector = need("selector");
    out.text = a.value("text", "");
  } else if (kind == "wait_for") {
    out.kind = Action::Kind::kWaitFor;
    out.selector = need("selector");
  } else if (kind == "wait") {
    out.kind = Action::Kind::kWait;
    out.timeout = milliseconds(a.value("timeout_ms", 0));
  } else if (kind == "press") {
    out.kind = Action::Kind::kPress;
    out.text = need("key");
  } else {
    throw validation_error("bad action", {{field, "action must be click, type, wait_for, wait or press"}});
  }
  return out;
}

int as_index(const json& v) { return v.is_number_integer() ? v.get<int>() : -1; }

const std::string& string_at(const json& strings, int index) {
  static const std::string kEmpty;
  if (index < 0 || index >= static_cast<int>(strings.size()) || !strings[index].is_string()) return kEmpty;
  return strings[index].get_ref<const std::string&>();
}

const json& member(const json& object, const char* key) {
  static const json kEmpty = json::array();
  return object.is_object() && object.contains(key) ? object[key] : kEmpty;
}

}  // namespace

const std::vector<std::string>& default_computed_styles() {
  static const std::vector<std::string> kStyles = {"color",
                                                   "background-color",
                                                   "background-image",
                                                   "font-size",
                                                   "font-weight",
                                                   "font-family",
                                                   "font-style",
                                                   "line-height",
                                                   "display",
                                                   "visibility",
                                                   "opacity",
                                                   "position",
                                                   "overflow-x",
                                                   "overflow-y",
                                                   "outline-style",
                                                   "outline-width",
                                                   "outline-color",
                                                   "outline-offset",
                                                   "box-shadow",
                                                   "border-top-style",
                                                   "border-top-color",
                                                   "text-decoration-line",
                                                   "text-shadow",
                                                   "z-index",
                                                   "clip",
                                                   "clip-path",
                                                   "white-space",
                                                   "text-overflow",
                                                   "content",
                                                   "pointer-events"};
  return kStyles;
}

json render_request_schema() {
  return {{"type", "object"},
          {"required", {"url"}},
          {"properties",
           {{"url", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}}},
            {"viewport",
             {{"type", "object"},
              {"properties",
               {{"width", {{"type", "integer"}, {"minimum", 1}, {"maximum", 8192}}},
                {"height", {{"type", "integer"}, {"minimum", 1}, {"maximum", 8192}}},
                {"device_scale_factor", {{"type", "number"}, {"minimum", 0.5}, {"maximum", 4}}},
                {"mobile", {{"type", "boolean"}}}}}}},
            {"user_agent", {{"type", "string"}, {"maxLength", 1000}}},
            {"cookies",
             {{"type", "array"},
              {"maxItems", 100},
              {"items",
               {{"type", "object"},
                {"required", {"name", "value"}},
                {"properties",
                 {{"name", {{"type", "string"}, {"minLength", 1}}},
                  {"value", {{"type", "string"}}},
                  {"url", {{"type", "string"}}},
                  {"domain", {{"type", "string"}}},
                  {"path", {{"type", "string"}}},
                  {"secure", {{"type", "boolean"}}},
                  {"http_only", {{"type", "boolean"}}}}}}}}},
            {"headers", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
            {"actions", {{"type", "array"}, {"maxItems", 100}, {"items", action_schema()}}},
            {"wait_ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 60000}}},
            {"timeout_ms", {{"type", "integer"}, {"minimum", 1000}, {"maximum", 600000}}},
            {"navigation_timeout_ms", {{"type", "integer"}, {"minimum", 100}, {"maximum", 600000}}},
            {"network_idle_ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10000}}},
            {"screenshot", {{"type", "boolean"}}},
            {"dom", {{"type", "boolean"}}},
            {"accessibility", {{"type", "boolean"}}}}}};
}

RenderRequest render_request_from_json(const json& input) {
  if (!input.is_object() || !input.contains("url") || !input["url"].is_string())
    throw validation_error("bad render request", {{"url", "is required"}});
  RenderRequest r;
  r.url = input["url"].get<std::string>();
  try {
    if (input.contains("viewport")) {
      const json& v = input["viewport"];
      r.viewport.width = v.value("width", r.viewport.width);
      r.viewport.height = v.value("height", r.viewport.height);
      r.viewport.device_scale_factor = v.value("device_scale_factor", r.viewport.device_scale_factor);
      r.viewport.mobile = v.value("mobile", false);
    }
    r.user_agent = input.value("user_agent", "");
    for (const json& c : member(input, "cookies"))
      r.cookies.push_back({c.at("name").get<std::string>(), c.at("value").get<std::string>(), c.value("url", ""),
                           c.value("domain", ""), c.value("path", "/"), c.value("secure", false),
                           c.value("http_only", false)});
    if (input.contains("headers"))
      for (const auto& [name, value] : input["headers"].items()) r.headers.emplace_back(name, value.get<std::string>());
    const json& actions = member(input, "actions");
    for (std::size_t i = 0; i < actions.size(); ++i) r.actions.push_back(parse_action(actions[i], i));
    r.wait = milliseconds(input.value("wait_ms", 0));
    r.timeout = milliseconds(input.value("timeout_ms", static_cast<int>(r.timeout.count())));
    r.navigation_timeout =
        milliseconds(input.value("navigation_timeout_ms", static_cast<int>(r.navigation_timeout.count())));
    r.network_idle = milliseconds(input.value("network_idle_ms", static_cast<int>(r.network_idle.count())));
    r.screenshot = input.value("screenshot", true);
    r.dom = input.value("dom", true);
    r.accessibility = input.value("accessibility", true);
  } catch (const json::exception& e) {
    throw validation_error("bad render request", {{"input", e.what()}});
  }
  return r;
}

json to_json(const RefusedRequest& refused) {
  return {{"url", refused.url}, {"reason", refused.reason}, {"resource_type", refused.resource_type}};
}

std::vector<DomElement> dom_elements(const json& snapshot, const std::vector<std::string>& style_names) {
  std::vector<DomElement> out;
  const json& documents = member(snapshot, "documents");
  const json& strings = member(snapshot, "strings");
  if (documents.empty()) return out;
  const json& nodes = documents[0]["nodes"];
  const json& layout = documents[0]["layout"];
  const json& names = member(nodes, "nodeName");
  const json& types = member(nodes, "nodeType");
  const json& parents = member(nodes, "parentIndex");
  const json& values = member(nodes, "nodeValue");
  const json& attributes = member(nodes, "attributes");
  std::vector<int> element_of(names.size(), -1);  // node index → index in out
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int parent = i < parents.size() ? as_index(parents[i]) : -1;
    const int type = i < types.size() ? as_index(types[i]) : 0;
    if (type == 3 && parent >= 0 && element_of[parent] >= 0 && i < values.size()) {
      out[element_of[parent]].text += string_at(strings, as_index(values[i]));
      continue;
    }
    if (type != 1) continue;
    DomElement e;
    e.node_index = static_cast<int>(i);
    e.parent_index = parent;
    e.tag = lowercase(string_at(strings, as_index(names[i])));
    if (i < attributes.size())
      for (std::size_t a = 0; a + 1 < attributes[i].size(); a += 2)
        e.attributes[string_at(strings, as_index(attributes[i][a]))] =
            string_at(strings, as_index(attributes[i][a + 1]));
    element_of[i] = static_cast<int>(out.size());
    out.push_back(std::move(e));
  }
  const json& layout_nodes = member(layout, "nodeIndex");
  const json& bounds = member(layout, "bounds");
  const json& styles = member(layout, "styles");
  for (std::size_t l = 0; l < layout_nodes.size(); ++l) {
    const int node = as_index(layout_nodes[l]);
    if (node < 0 || node >= static_cast<int>(element_of.size()) || element_of[node] < 0) continue;
    DomElement& e = out[element_of[node]];
    if (e.box) continue;  // the first box of an element split over lines
    if (l < bounds.size() && bounds[l].size() == 4)
      e.box = Box{bounds[l][0].get<double>(), bounds[l][1].get<double>(), bounds[l][2].get<double>(),
                  bounds[l][3].get<double>()};
    if (l < styles.size())
      for (std::size_t k = 0; k < styles[l].size() && k < style_names.size(); ++k)
        e.styles[style_names[k]] = string_at(strings, as_index(styles[l][k]));
  }
  return out;
}

std::vector<AxNode> ax_nodes(const json& ax_tree) {
  std::vector<AxNode> out;
  if (!ax_tree.is_array()) return out;
  for (const json& n : ax_tree) {
    AxNode node;
    node.node_id = n.value("nodeId", "");
    node.ignored = n.value("ignored", false);
    node.backend_dom_node_id = n.value("backendDOMNodeId", 0);
    if (n.contains("role") && n["role"].contains("value")) node.role = n["role"]["value"].dump();
    if (n.contains("role") && n["role"]["value"].is_string()) node.role = n["role"]["value"].get<std::string>();
    if (n.contains("name") && n["name"].contains("value") && n["name"]["value"].is_string())
      node.name = n["name"]["value"].get<std::string>();
    out.push_back(std::move(node));
  }
  return out;
}

}  // namespace tyto::browser
