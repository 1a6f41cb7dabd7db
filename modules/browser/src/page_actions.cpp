// What a page does on a caller's behalf: actions before the capture, keys, scripts, and Page's
// public methods.
#include "detail/page_impl.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <thread>

namespace tyto::browser {
namespace {

using detail::Clock;
using nlohmann::json;
using std::chrono::milliseconds;

struct Key {
  std::string_view name;
  std::string_view code;
  int key_code;
  std::string_view text;
};

constexpr Key kKeys[] = {
    {"Tab", "Tab", 9, ""},
    {"Enter", "Enter", 13, "\r"},
    {"Escape", "Escape", 27, ""},
    {"Backspace", "Backspace", 8, ""},
    {" ", "Space", 32, " "},
    {"Space", "Space", 32, " "},
    {"ArrowLeft", "ArrowLeft", 37, ""},
    {"ArrowUp", "ArrowUp", 38, ""},
    {"ArrowRight", "ArrowRight", 39, ""},
    {"ArrowDown", "ArrowDown", 40, ""},
    {"Home", "Home", 36, ""},
    {"End", "End", 35, ""},
    {"PageUp", "PageUp", 33, ""},
    {"PageDown", "PageDown", 34, ""},
    {"Delete", "Delete", 46, ""},
};

// Modifier bits of Input.dispatchKeyEvent: Alt 1, Ctrl 2, Meta 4, Shift 8.
int modifier_bit(std::string_view name) {
  if (name == "Alt") return 1;
  if (name == "Control" || name == "Ctrl") return 2;
  if (name == "Meta") return 4;
  if (name == "Shift") return 8;
  return 0;
}

std::string quoted(std::string_view text) { return json(std::string(text)).dump(); }

}  // namespace

void Page::Impl::run(const Action& action) {
  switch (action.kind) {
    case Action::Kind::kClick:
      click(action.selector);
      break;
    case Action::Kind::kType:
      type(action.selector, action.text);
      break;
    case Action::Kind::kWaitFor:
      wait_for(action.selector, action.timeout);
      break;
    case Action::Kind::kWait:
      std::this_thread::sleep_for(std::min(action.timeout, remaining()));
      check_alive();
      break;
    case Action::Kind::kPress:
      press(action.text);
      break;
  }
}

void Page::Impl::click(std::string_view selector) {
  const json centre = evaluate(fmt::format(R"JS((() => {{
  const e = document.querySelector({});
  if (!e) return null;
  e.scrollIntoView({{block: 'center', inline: 'center'}});
  const r = e.getBoundingClientRect();
  return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
}})())JS",
                                           quoted(selector)),
                               command_timeout);
  if (centre.is_null())
    throw Error(ErrorCode::kValidationFailed, fmt::format("no element matches {} to click", selector),
                {{"selector", selector}});
  const double x = centre.value("x", 0.0), y = centre.value("y", 0.0);
  call("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  for (const char* type : {"mousePressed", "mouseReleased"})
    call("Input.dispatchMouseEvent", {{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}});
}

void Page::Impl::type(std::string_view selector, std::string_view text) {
  const json found = evaluate(fmt::format(R"JS((() => {{
  const e = document.querySelector({});
  if (!e) return false;
  e.focus();
  if (typeof e.select === 'function') e.select();
  return true;
}})())JS",
                                          quoted(selector)),
                              command_timeout);
  if (!found.is_boolean() || !found.get<bool>())
    throw Error(ErrorCode::kValidationFailed, fmt::format("no element matches {} to type into", selector),
                {{"selector", selector}});
  call("Input.insertText", {{"text", text}});
}

void Page::Impl::wait_for(std::string_view selector, milliseconds timeout) {
  const auto until = Clock::now() + std::min(timeout, remaining());
  const std::string probe = fmt::format(R"JS((() => {{
  const e = document.querySelector({});
  if (!e) return false;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  return s.display !== 'none' && s.visibility !== 'hidden' && (r.width > 0 || r.height > 0);
}})())JS",
                                        quoted(selector));
  for (;;) {
    try {
      if (evaluate(probe, command_timeout) == json(true)) return;
    } catch (const detail::CdpError&) {
      // The page is between two documents (a form was submitted): ask again.
    }
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  check_alive();
  throw Error(ErrorCode::kTimeout, fmt::format("no visible element matched {} within {} ms", selector, timeout.count()),
              {{"selector", selector}});
}

void Page::Impl::press(std::string_view chord) {
  int modifiers = 0;
  std::string_view key = chord;
  while (key.size() > 1) {
    const auto plus = key.find('+', 1);
    if (plus == std::string_view::npos) break;
    const int bit = modifier_bit(key.substr(0, plus));
    if (bit == 0) break;
    modifiers |= bit;
    key.remove_prefix(plus + 1);
  }
  json down = {{"type", "keyDown"}, {"modifiers", modifiers}, {"key", key}};
  const Key* known = nullptr;
  for (const Key& k : kKeys)
    if (k.name == key) known = &k;
  if (known) {
    down["code"] = known->code;
    down["windowsVirtualKeyCode"] = known->key_code;
    if (!known->text.empty() && modifiers == 0)
      down["text"] = known->text;
    else
      down["type"] = "rawKeyDown";
  } else if (key.size() == 1 || (key.size() <= 4 && static_cast<unsigned char>(key[0]) >= 0x80)) {
    down["text"] = key;  // a character
  } else {
    throw Error(ErrorCode::kValidationFailed, fmt::format("unknown key {}", key), {{"key", key}});
  }
  call("Input.dispatchKeyEvent", down);
  json up = down;
  up["type"] = "keyUp";
  up.erase("text");
  call("Input.dispatchKeyEvent", up);
}

int Page::Impl::force_state(std::string_view selector, const std::vector<std::string>& pseudo_classes) {
  for (const int node : forced_nodes) {
    try {
      call("CSS.forcePseudoState", {{"nodeId", node}, {"forcedPseudoClasses", json::array()}});
    } catch (const detail::CdpError&) {
      // The node left the document: nothing is forced on it any more.
    }
  }
  forced_nodes.clear();
  if (pseudo_classes.empty() || selector.empty()) {
    if (css_domain) {
      css_domain = false;
      call("CSS.disable");
      call("DOM.disable");
    }
    return 0;
  }
  if (!css_domain) {
    call("DOM.enable");
    call("CSS.enable");
    css_domain = true;
  }
  // Node ids last until the next DOM.getDocument, which would discard those forced above: they were cleared.
  const int root = call("DOM.getDocument", {{"depth", 0}})["root"].value("nodeId", 0);
  json nodes;
  try {
    nodes = call("DOM.querySelectorAll", {{"nodeId", root}, {"selector", selector}})["nodeIds"];
  } catch (const detail::CdpError& e) {
    throw Error(ErrorCode::kValidationFailed, fmt::format("cannot force a state on {}: {}", selector, e.what()),
                {{"selector", selector}});
  }
  for (const json& node : nodes) {
    call("CSS.forcePseudoState", {{"nodeId", node}, {"forcedPseudoClasses", pseudo_classes}});
    forced_nodes.push_back(node.get<int>());
  }
  return static_cast<int>(forced_nodes.size());
}

Page::Page(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Page::~Page() = default;

RenderResult Page::capture() { return impl_->capture(); }
RenderResult Page::capture_now() { return impl_->capture_now(); }
bool Page::wait_for_network_idle() { return impl_->wait_for_network_idle(); }
json Page::evaluate(std::string_view expression, milliseconds timeout) { return impl_->evaluate(expression, timeout); }
void Page::press(std::string_view key) { impl_->press(key); }
void Page::click(std::string_view selector) { impl_->click(selector); }
void Page::type(std::string_view selector, std::string_view text) { impl_->type(selector, text); }
void Page::wait_for(std::string_view selector, milliseconds timeout) { impl_->wait_for(selector, timeout); }
void Page::run(const Action& action) { impl_->run(action); }
int Page::force_state(std::string_view selector, const std::vector<std::string>& pseudo_classes) {
  return impl_->force_state(selector, pseudo_classes);
}
std::string Page::screenshot(const Box& clip) { return impl_->screenshot(clip); }
void Page::set_viewport(const Viewport& viewport) { impl_->set_viewport(viewport); }

std::vector<RefusedRequest> Page::refused() const {
  std::lock_guard lock(impl_->state->mutex);
  return impl_->state->refused;
}

}  // namespace tyto::browser
