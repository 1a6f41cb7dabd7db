#include "axe.hpp"

#include "tyto/core/embedded.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <cctype>

namespace tyto {
std::span<const EmbeddedFile> embedded_axe_core();
}  // namespace tyto

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

// Runs axe with runOnly {type: "rule"} (so disabled rules run too), then measures each reported node.
constexpr std::string_view kRunScript = R"JS(
(async (tags, wanted) => {
  const all = axe.getRules();
  const known = new Set(all.map((r) => r.ruleId));
  const everything = tags.length === 0 && wanted.length === 0;
  const ids = all.filter((r) => everything || wanted.includes(r.ruleId) || r.tags.some((t) => tags.includes(t)))
                 .map((r) => r.ruleId);
  const out = {version: axe.version, unknown_rules: wanted.filter((r) => !known.has(r)), rules_run: ids.length,
               violations: [], incomplete: [], passes: [], inapplicable: 0};
  if (ids.length === 0) return out;
  const res = await axe.run(document, {runOnly: {type: 'rule', values: ids},
                                       resultTypes: ['violations', 'incomplete'], xpath: false, ancestry: false});
  const find = (target) => {
    if (!Array.isArray(target) || target.length === 0) return null;
    let part = target[0];
    let root = document;
    if (Array.isArray(part)) {  // inside shadow roots: one selector per root
      let el = null;
      for (const s of part) {
        el = root.querySelector(s);
        if (!el) return null;
        root = el.shadowRoot || el;
      }
      return el;
    }
    return document.querySelector(part);  // in a frame: the frame's own box
  };
  const box = (target) => {
    try {
      const el = find(target);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
    } catch (e) {
      return null;
    }
  };
  const rules = (list) => list.map((r) => ({
    id: r.id, impact: r.impact, tags: r.tags, description: r.description, help: r.help, helpUrl: r.helpUrl,
    nodes: r.nodes.map((n) => ({target: n.target, html: n.html, impact: n.impact,
                                failureSummary: n.failureSummary || '', any: n.any, all: n.all, none: n.none,
                                bbox: box(n.target)}))}));
  out.violations = rules(res.violations);
  out.incomplete = rules(res.incomplete);
  out.passes = res.passes.map((r) => r.id);
  out.inapplicable = res.inapplicable.length;
  return out;
})
)JS";

constexpr std::string_view kSensitiveScript = R"JS(
(() => {
  const selector = ['input[type=password i]', 'input[type=email i]', 'input[type=tel i]',
                    'input[autocomplete^="cc-" i]', 'input[autocomplete$="password" i]',
                    'input[autocomplete="one-time-code" i]', 'input[autocomplete="email" i]',
                    'input[autocomplete="tel" i]', '[data-tyto-sensitive]'].join(',');
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0)
      out.push({x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height});
  }
  return out;
})()
)JS";

std::string truncated(std::string s, std::size_t most) {
  if (s.size() <= most) return s;
  std::size_t cut = most;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "…";
}

// axe's target: one selector per frame; inside shadow roots an array of selectors, one per root.
std::string selector_of(const json& target) {
  std::string out;
  if (!target.is_array()) return out;
  for (const auto& part : target) {
    if (!out.empty()) out += " >>> ";  // into a frame
    if (part.is_string()) {
      out += part.get<std::string>();
    } else if (part.is_array()) {
      std::string inner;
      for (const auto& s : part) {
        if (!inner.empty()) inner += " >> ";  // into a shadow root
        if (s.is_string()) inner += s.get<std::string>();
      }
      out += inner;
    }
  }
  return out;
}

std::string text_of(const json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The data of the checks that decided the node (contrast ratios and colours for color-contrast).
json check_data(const json& node) {
  json out = json::array();
  for (const char* kind : {"any", "all", "none"}) {
    const auto it = node.find(kind);
    if (it == node.end() || !it->is_array()) continue;
    for (const auto& check : *it) {
      if (!check.is_object()) continue;
      const auto data = check.find("data");
      if (data == check.end() || data->is_null()) continue;
      out.push_back({{"check", text_of(check, "id")}, {"data", *data}});
    }
  }
  return out;
}

Issue node_issue(const json& rule, const json& node, const char* status) {
  Issue issue;
  issue.rule = text_of(rule, "id");
  issue.source = "axe";
  issue.impact = text_of(node, "impact");
  if (issue.impact.empty()) issue.impact = text_of(rule, "impact");
  if (issue.impact.empty()) issue.impact = "moderate";
  issue.wcag = wcag_criteria(rule.value("tags", json::array()));
  issue.status = status;
  issue.selector = truncated(selector_of(node.value("target", json::array())), 1000);
  issue.html = truncated(text_of(node, "html"), 300);
  if (const auto b = node.find("bbox"); b != node.end() && b->is_object()) {
    issue.bbox = IssueBox{b->value("x", 0.0), b->value("y", 0.0), b->value("width", 0.0), b->value("height", 0.0)};
  }
  issue.message = text_of(rule, "help");
  if (const std::string summary = text_of(node, "failureSummary"); !summary.empty()) {
    issue.message += ". " + summary;
  }
  issue.message = truncated(issue.message, 2000);
  issue.help_url = text_of(rule, "helpUrl");
  issue.data = {{"description", text_of(rule, "description")}, {"checks", check_data(node)}};
  return issue;
}

}  // namespace

const std::vector<std::string>& known_axe_tags() {
  static const std::vector<std::string> kTags = {
      "wcag2a",        "wcag2aa",    "wcag2aaa", "wcag21a",      "wcag21aa",   "wcag22a", "wcag22aa",
      "best-practice", "section508", "ACT",      "experimental", "EN-301-549", "TTv5",    "RGAAv4"};
  return kTags;
}

std::string_view axe_source() {
  for (const auto& f : embedded_axe_core())
    if (f.path == "axe.min.js") return f.data;
  return {};
}

std::string_view axe_version() { return TYTO_AXE_CORE_VERSION; }

std::string axe_run_script(const AxeSelection& selection) {
  std::string script;
  const auto source = axe_source();
  script.reserve(source.size() + kRunScript.size() + 256);
  script += "if (typeof window.axe === 'undefined') {\n";
  script += source;
  script += "\n}\n";
  script += kRunScript;
  script += fmt::format("({}, {})", json(selection.tags).dump(), json(selection.rules).dump());
  return script;
}

std::string sensitive_boxes_script() { return std::string(kSensitiveScript); }

std::string watch_changes_script() {
  return R"JS((() => {
  const watch = {mutations: 0, resources: 0, loaded: []};
  // The checks' own marks are not the page's changes: data-tyto-* attributes, elements with an id __tyto….
  const ours = (n) => n.nodeType === 1 && String(n.id).startsWith('__tyto');
  watch.counted = (records) => records.filter((r) => !ours(r.target) &&
      !(r.type === 'attributes' && String(r.attributeName).startsWith('data-tyto-')) &&
      !(r.type === 'childList' && [...r.addedNodes, ...r.removedNodes].every(ours))).length;
  watch.observer = new MutationObserver((records) => { watch.mutations += watch.counted(records); });
  watch.observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  // The browser's own fetch of the page's icon changes nothing axe looks at.
  const icons = new Set([...document.querySelectorAll('link[rel~="icon" i]')].map((l) => l.href));
  if (location.protocol === 'http:' || location.protocol === 'https:') icons.add(location.origin + '/favicon.ico');
  const count = (entries) => {
    for (const e of entries) {
      if (icons.has(e.name)) continue;
      watch.resources += 1;
      if (watch.loaded.length < 5) watch.loaded.push(e.name.slice(0, 200));
    }
  };
  watch.loads = new PerformanceObserver((list) => count(list.getEntries()));
  watch.count = count;
  watch.loads.observe({type: 'resource'});
  Object.defineProperty(window, '__tytoWatch', {value: watch, configurable: true});
  return true;
})())JS";
}

std::string changes_since_watch_script() {
  return R"JS((() => {
  const watch = window.__tytoWatch;
  if (!watch) return {mutations: -1, resources: -1};
  watch.mutations += watch.counted(watch.observer.takeRecords());
  watch.observer.disconnect();
  watch.count(watch.loads.takeRecords());
  watch.loads.disconnect();
  delete window.__tytoWatch;
  return {mutations: watch.mutations, resources: watch.resources, loaded: watch.loaded};
})())JS";
}

std::vector<std::string> wcag_criteria(const json& tags) {
  std::vector<std::string> out;
  if (!tags.is_array()) return out;
  for (const auto& t : tags) {
    if (!t.is_string()) continue;
    const std::string tag = t.get<std::string>();
    if (tag.size() < 7 || tag.rfind("wcag", 0) != 0) continue;
    const std::string digits = tag.substr(4);
    bool all_digits = true;
    for (char c : digits) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
    if (!all_digits) continue;  // wcag2aa, wcag21a: levels, not criteria
    out.push_back(fmt::format("{}.{}.{}", digits[0], digits[1], digits.substr(2)));
  }
  return out;
}

AxeIssues issues_from_axe(const json& results) {
  if (!results.is_object()) throw Error(ErrorCode::kValidationFailed, "axe answered no results");
  AxeIssues out;
  for (const auto& [kind, status] : {std::pair{"violations", "violation"}, std::pair{"incomplete", "needs_review"}}) {
    for (const auto& rule : results.value(kind, json::array())) {
      for (const auto& node : rule.value("nodes", json::array())) {
        Issue issue = node_issue(rule, node, status);
        if (issue.rule == "color-contrast" && issue.status == "needs_review") {
          out.contrast_incomplete.push_back(std::move(issue));
        } else {
          out.issues.push_back(std::move(issue));
        }
      }
    }
  }
  for (const auto& id : results.value("passes", json::array()))
    if (id.is_string()) out.passed_rules.push_back(id.get<std::string>());
  return out;
}

}  // namespace tyto::products::accessibility
