#include "tyto/http/router.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/json_schema.hpp"

#include <fmt/format.h>

#include <array>
#include <map>
#include <stdexcept>
#include <type_traits>

namespace tyto::http {

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;  // "{name}"
  std::string param_name;
  const Route* rest_routes[8] = {};  // "{name...}" terminal, by method
  std::string rest_name;
  std::array<const Route*, 8> routes{};  // by Method

  bool has_rest() const {
    for (auto* r : rest_routes) {
      if (r) return true;
    }
    return false;
  }
};

namespace {

// Splits "/a/b/" into {"a","b"}; "/" into {}. Returns false for a path not starting with '/' or
// with an empty segment in the middle ("/a//b").
bool split_path(std::string_view path, std::vector<std::string_view>& out) {
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (seg.empty()) return false;
    out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

int method_index(Method m) { return static_cast<int>(m); }

Method lookup_method(Method m) { return m == Method::kHead ? Method::kGet : m; }

}  // namespace

static_assert(!std::is_constructible_v<RouteOptions, bool> && !std::is_constructible_v<RouteOptions, RunOn>,
              "RouteOptions must be built with designated initialisers");

void check_request_body(const Route& route, Request& req) {
  const auto& schema = route.doc.request_schema;
  if (schema.is_null() || !route.handler) return;
  nlohmann::json body = route.doc.request_body_optional && req.body.empty() ? nlohmann::json::object() : req.json();
  nlohmann::json fields = violation_fields(validate_json(schema, body));
  if (route.options.body_check) route.options.body_check(req, body, fields);
  if (!fields.empty()) throw validation_error("the request body is not valid", std::move(fields));
  req.checked_body = std::move(body);
}

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

Route& Router::add(Method method, std::string pattern, Handler handler, RouteDoc doc, RouteOptions options) {
  std::vector<std::string_view> segments;
  if (!split_path(pattern, segments)) throw std::logic_error("malformed route pattern " + pattern);
  auto route = std::make_unique<Route>(
      Route{method, pattern, std::move(handler), nullptr, nullptr, nullptr, options, std::move(doc)});

  Node* node = root_.get();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (!is_param(seg)) {
      auto it = node->literals.find(seg);
      if (it == node->literals.end()) it = node->literals.emplace(std::string(seg), std::make_unique<Node>()).first;
      node = it->second.get();
      continue;
    }
    std::string name(seg.substr(1, seg.size() - 2));
    if (name.ends_with("...")) {
      if (i + 1 != segments.size()) throw std::logic_error("{name...} must be the last segment in " + pattern);
      name.resize(name.size() - 3);
      if (node->rest_routes[method_index(method)]) throw std::logic_error("duplicate route " + pattern);
      if (node->has_rest() && node->rest_name != name) throw std::logic_error("conflicting parameter in " + pattern);
      node->rest_name = name;
      node->rest_routes[method_index(method)] = route.get();
      routes_.push_back(std::move(route));
      return *routes_.back();
    }
    if (!node->param) {
      node->param = std::make_unique<Node>();
      node->param_name = name;
    } else if (node->param_name != name) {
      throw std::logic_error(fmt::format("route {} names parameter {{{}}} where another route has {{{}}}", pattern,
                                         name, node->param_name));
    }
    node = node->param.get();
  }
  if (node->routes[method_index(method)]) {
    throw std::logic_error(fmt::format("duplicate route {} {}", method_name(method), pattern));
  }
  node->routes[method_index(method)] = route.get();
  routes_.push_back(std::move(route));
  return *routes_.back();
}

Route& Router::websocket(std::string pattern, WebSocketHandler handler, RouteDoc doc, RouteOptions options) {
  options.run_on = RunOn::kIoThread;
  options.max_body_bytes = 0;
  Route& r = add(Method::kGet, std::move(pattern), nullptr, std::move(doc), options);
  r.websocket_handler = std::move(handler);
  return r;
}

struct Router::Walk {
  const std::vector<std::string>& segments;
  Method method;
  Method lookup;
  std::vector<std::pair<std::string, std::string>> params;
  Match& result;

  // Records the match at a node that has routes for the path; false if it has none.
  bool finish(const Route* const* by_method) {
    for (int m = 0; m < 8; ++m) {
      if (by_method[m] && !(static_cast<Method>(m) == Method::kHead && by_method[method_index(Method::kGet)])) {
        result.allowed.push_back(static_cast<Method>(m));
        if (static_cast<Method>(m) == Method::kGet) result.allowed.push_back(Method::kHead);
      }
    }
    if (result.allowed.empty()) return false;
    // A route registered for HEAD itself wins over the GET route that otherwise serves HEAD.
    result.route = by_method[method_index(method)] ? by_method[method_index(method)] : by_method[method_index(lookup)];
    result.params = params;
    return true;
  }
};

Route& Router::stream(Method method, std::string pattern, StreamHandler handler, RouteDoc doc, RouteOptions options) {
  options.run_on = RunOn::kIoThread;
  Route& r = add(method, std::move(pattern), nullptr, std::move(doc), options);
  r.stream_handler = std::move(handler);
  return r;
}

Route& Router::upload(Method method, std::string pattern, UploadHandler handler, RouteDoc doc, RouteOptions options) {
  options.run_on = RunOn::kIoThread;
  Route& r = add(method, std::move(pattern), nullptr, std::move(doc), options);
  r.upload_handler = std::move(handler);
  return r;
}

Match Router::match(Method method, std::string_view raw_path) const {
  Match result;
  std::vector<std::string_view> raw;
  if (!split_path(raw_path, raw)) return result;
  std::vector<std::string> segments;
  segments.reserve(raw.size());
  for (auto seg : raw) {
    auto decoded = percent_decode(seg);
    if (!decoded) return result;
    segments.push_back(std::move(*decoded));
  }

  Walk w{segments, method, lookup_method(method), {}, result};
  walk(root_.get(), 0, w);
  return result;
}

// Depth-first: literal before parameter before catch-all; the first node that has any route for the
// path decides (405 rather than a looser match with another method).
bool Router::walk(const Node* node, std::size_t i, Walk& w) {
  const auto& segments = w.segments;
  if (i == segments.size()) {
    if (w.finish(node->routes.data())) return true;
  } else {
    if (auto it = node->literals.find(segments[i]); it != node->literals.end() && walk(it->second.get(), i + 1, w)) {
      return true;
    }
    if (node->param) {
      w.params.emplace_back(node->param_name, segments[i]);
      if (walk(node->param.get(), i + 1, w)) return true;
      w.params.pop_back();
    }
  }
  if (node->has_rest() && i < segments.size()) {
    std::string rest;
    for (std::size_t k = i; k < segments.size(); ++k) {
      if (k > i) rest.push_back('/');
      rest += segments[k];
    }
    w.params.emplace_back(node->rest_name, std::move(rest));
    if (w.finish(node->rest_routes)) return true;
    w.params.pop_back();
  }
  return false;
}

}  // namespace tyto::http
