#include "detail/page_scripts.hpp"

#include <fmt/format.h>

namespace tyto::products::accessibility::detail {
namespace {

// __tyto: selector(el) (the id when unique, else a path of nth-of-type steps up to an element with a unique
// id or <html>), html(el) (opening tag and a little text, at most 300 characters), box(el) (page CSS px),
// visible(el), textOf(ids), settled(fn) (fn() after running animations).
constexpr const char* kPrelude = R"JS(
const __tyto = (() => {
  const uniqueId = (el) => el.id && document.querySelectorAll('#' + CSS.escape(el.id)).length === 1;
  const selector = (el) => {
    if (uniqueId(el)) return '#' + CSS.escape(el.id);
    const steps = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (e !== el && uniqueId(e)) { steps.unshift('#' + CSS.escape(e.id)); break; }
      const tag = e.localName;
      if (tag === 'html') { steps.unshift('html'); break; }
      const same = e.parentElement ? [...e.parentElement.children].filter((c) => c.localName === tag) : [e];
      steps.unshift(same.length > 1 ? `${CSS.escape(tag)}:nth-of-type(${same.indexOf(e) + 1})` : CSS.escape(tag));
    }
    return steps.join(' > ');
  };
  const html = (el) => {
    let open = '<' + el.localName;
    for (const a of el.attributes) open += ` ${a.name}="${a.value.replace(/"/g, '&quot;')}"`;
    open += '>';
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim();
    let out = open + text.slice(0, 80);
    if (out.length > 300) out = out.slice(0, 299) + '…';
    return out;
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
  };
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const textOf = (ids) => ids.split(/\s+/).map((id) => document.getElementById(id))
      .filter((e) => e).map((e) => e.textContent).join(' ');
  // fn() once the page's running animations and transitions (a focus style fading in) have finished, at most
  // 300 ms, and a frame has been drawn; at once when none runs. getAnimations() brings the styles up to date,
  // so a transition just started is in it; without one, the style is already what the next screenshot's frame
  // paints: no frame to wait for.
  const settled = (fn) => {
    const running = document.getAnimations();
    if (running.length === 0) return fn();
    const settle = Promise.all(running.map((a) => a.finished.catch(() => null)));
    return Promise.race([settle, new Promise((r) => setTimeout(r, 300))])
        .then(() => new Promise((r) => requestAnimationFrame(() => r())))
        .then(fn);
  };
  return {selector, html, box, visible, textOf, settled};
})();
)JS";

std::string wrap(const std::string& body) { return std::string("(() => {") + kPrelude + body + "})()"; }

}  // namespace

std::string text_rects_script(const std::string& selectors_json) {
  return wrap(fmt::format(R"JS(
const out = [];
for (const sel of {}) {{
  let el = null;
  try {{ el = document.querySelector(sel); }} catch (e) {{}}
  if (!el) {{ out.push({{found: false, target: sel}}); continue; }}
  const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
  const nodes = own.length ? own : (() => {{
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), all = [];
    for (let n = w.nextNode(); n; n = w.nextNode()) if (n.textContent.trim()) all.push(n);
    return all;
  }})();
  const rects = [];
  for (const n of nodes) {{
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects())
      if (r.width >= 1 && r.height >= 1) rects.push({{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}});
  }}
  const s = getComputedStyle(own.length ? el : (nodes[0] ? nodes[0].parentElement : el));
  out.push({{found: true, target: sel, selector: __tyto.selector(el), html: __tyto.html(el), box: __tyto.box(el),
            visible: __tyto.visible(el), rects, font_size: parseFloat(s.fontSize), font_weight: parseInt(s.fontWeight, 10),
            color: s.color, opacity: (() => {{
              let o = 1;
              for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
              return o;
            }})()}});
}}
return out;
)JS",
                          selectors_json));
}

std::string hide_text_script(const std::string& selectors_json, bool hide) {
  return wrap(fmt::format(R"JS(
let style = document.getElementById('__tyto_hide_text');
if (!style) {{
  style = document.createElement('style');
  style.id = '__tyto_hide_text';
  style.textContent = '[data-tyto-hide-text], [data-tyto-hide-text] * {{ color: transparent !important; ' +
      '-webkit-text-fill-color: transparent !important; text-decoration-color: transparent !important; ' +
      'caret-color: transparent !important; transition: none !important; }}';
  document.head.appendChild(style);
}}
if (!{}) {{
  // Back without the page's own transitions, which would fade the text in from transparent while the next
  // check photographs it: applied now, with transitions off, before the rule that turns them off goes.
  style.textContent = '[data-tyto-hide-text], [data-tyto-hide-text] * {{ transition: none !important; }}';
  void document.documentElement.offsetWidth;
}}
for (const sel of {}) {{
  const el = document.querySelector(sel);
  if (el && {}) el.setAttribute('data-tyto-hide-text', ''); else if (el) el.removeAttribute('data-tyto-hide-text');
}}
if (!{}) style.remove();
return true;
)JS",
                          hide ? "true" : "false", selectors_json, hide ? "true" : "false", hide ? "true" : "false"));
}

std::string image_elements_script(int min_side) {
  return wrap(fmt::format(R"JS(
const minSide = {};
const out = [];
const nameOf = (el) => {{
  if (el.getAttribute('aria-hidden') === 'true') return {{name: '', decorative: true}};
  const by = el.getAttribute('aria-labelledby');
  if (by && __tyto.textOf(by).trim()) return {{name: __tyto.textOf(by), decorative: false}};
  const label = el.getAttribute('aria-label');
  if (label && label.trim()) return {{name: label, decorative: false}};
  return null;
}};
for (const el of document.querySelectorAll('body *')) {{
  if (!__tyto.visible(el)) continue;
  const b = __tyto.box(el);
  if (b.width < minSide || b.height < minSide) continue;
  const tag = el.localName;
  let kind = null, named = nameOf(el);
  if (tag === 'img') {{
    if (!el.complete || !el.naturalWidth) continue;
    kind = 'img';
    if (!named) {{
      const alt = el.getAttribute('alt');
      const role = el.getAttribute('role');
      if (alt === '' || role === 'presentation' || role === 'none') named = {{name: '', decorative: true}};
      else named = {{name: alt || el.getAttribute('title') || '', decorative: false}};
    }}
  }} else if (tag === 'canvas') {{
    kind = 'canvas';
    if (!named) named = {{name: (el.textContent || '').trim(), decorative: false}};
  }} else if (/url\(/.test(getComputedStyle(el).backgroundImage)) {{
    kind = 'background';
    if (!named) named = {{name: el.innerText || '', decorative: false}};
  }}
  if (!kind) continue;
  out.push({{kind, selector: __tyto.selector(el), html: __tyto.html(el), box: b, name: named.name.replace(/\s+/g, ' ').trim(),
            decorative: named.decorative}});
}}
return out;
)JS",
                          min_side));
}

std::string focusables_script(int cap) {
  return wrap(fmt::format(R"JS(
const candidates = document.querySelectorAll(
    'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]');
const list = [...candidates].filter((el) => el.tabIndex >= 0 && !el.disabled && __tyto.visible(el) &&
                                           !(el.localName === 'input' && el.type === 'hidden'));
const ordered = list.map((el, i) => [el, i]).sort((a, b) => {{
  const ta = a[0].tabIndex, tb = b[0].tabIndex;
  if ((ta > 0) !== (tb > 0)) return ta > 0 ? -1 : 1;
  if (ta > 0 && ta !== tb) return ta - tb;
  return a[1] - b[1];
}}).map((p) => p[0]).slice(0, {});
window.__tytoFocusables = ordered;
return ordered.map((el) => ({{selector: __tyto.selector(el), html: __tyto.html(el), box: __tyto.box(el)}}));
)JS",
                          cap));
}

std::string focus_start_script() {
  return wrap(R"JS(
if (document.activeElement) document.activeElement.blur();
let start = document.getElementById('__tyto_focus_start');
if (!start) {
  start = document.createElement('span');
  start.id = '__tyto_focus_start';
  start.tabIndex = -1;
  start.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;overflow:hidden;outline:none';
  document.documentElement.insertBefore(start, document.documentElement.firstChild);
}
start.focus({preventScroll: true});
return true;
)JS");
}

std::string focused_index_script() {
  return wrap(R"JS(
const index = () => {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return -2;
  return (window.__tytoFocusables || []).indexOf(a);
};
return __tyto.settled(index);
)JS");
}

std::string focus_groups_script(const std::string& groups_json) {
  return wrap(fmt::format(R"JS(
const groups = {};
(window.__tytoFocusables || []).forEach((el, i) => {{
  if (i < groups.length && groups[i] >= 0) el.setAttribute('data-tyto-focus-group', String(groups[i]));
  else el.removeAttribute('data-tyto-focus-group');
}});
return true;
)JS",
                          groups_json));
}

std::string focusable_boxes_script(const std::string& indexes_json) {
  return wrap(fmt::format(R"JS(
const boxes = () => {0}.map((i) => {{
  const el = (window.__tytoFocusables || [])[i];
  return el && el.isConnected ? __tyto.box(el) : null;
}});
return __tyto.settled(boxes);
)JS",
                          indexes_json));
}

std::string focus_cleanup_script() {
  return wrap(R"JS(
const start = document.getElementById('__tyto_focus_start');
if (start) start.remove();
for (const el of document.querySelectorAll('[data-tyto-focus-group]')) el.removeAttribute('data-tyto-focus-group');
if (document.activeElement) document.activeElement.blur();
return true;
)JS");
}

std::string next_frames_script() {
  return "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))";
}

std::string reflow_script(int limit) {
  return wrap(fmt::format(R"JS(
const limit = {};
const vw = document.documentElement.clientWidth;
const scrollWidth = Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0);
// Content allowed to scroll on its own (WCAG 1.4.10's exceptions: data tables, code, maps…).
const mayScroll = (el) => {{
  for (let e = el; e && e !== document.body; e = e.parentElement) {{
    if (['table', 'pre', 'code', 'svg', 'video', 'canvas', 'iframe', 'math'].includes(e.localName)) return true;
    const s = getComputedStyle(e);
    if (['auto', 'scroll'].includes(s.overflowX) && e.getBoundingClientRect().right <= vw + 1) return true;
  }}
  return false;
}};
const entry = (el, overflow) => ({{selector: __tyto.selector(el), html: __tyto.html(el), box: __tyto.box(el),
                                   overflow: Math.round(overflow * 10) / 10}});
// How far right an element reaches: its box, or the text it lets spill out (an unbreakable line, a <pre>).
const reach = (el) => {{
  const r = el.getBoundingClientRect();
  const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const spills = ownText && getComputedStyle(el).overflowX === 'visible';
  return Math.max(r.right, spills ? r.left + el.scrollWidth : 0) + scrollX;
}};
const overflowing = [];
let excepted = 0;
for (const el of document.querySelectorAll('body *')) {{
  if (!__tyto.visible(el)) continue;
  const right = reach(el);
  if (right <= vw + 1) continue;
  if (mayScroll(el)) {{ ++excepted; continue; }}
  const p = el.parentElement;
  const parentRight = p && p !== document.body ? reach(p) : vw;
  if (p && p !== document.body && parentRight >= right - 1 && !mayScroll(p) && __tyto.visible(p)) continue;
  overflowing.push(entry(el, right - vw));
}}
overflowing.sort((a, b) => b.overflow - a.overflow);
const clipped = [];
for (const el of [document.documentElement, document.body, ...document.querySelectorAll('body *')]) {{
  if (!el || !__tyto.visible(el)) continue;
  const s = getComputedStyle(el);
  if (!['hidden', 'clip'].includes(s.overflowX)) continue;
  if (el.scrollWidth <= el.clientWidth + 1 || !(el.innerText || '').trim()) continue;
  if (el.localName !== 'html' && el.localName !== 'body' && el.getBoundingClientRect().width < 1) continue;
  clipped.push(entry(el, el.scrollWidth - el.clientWidth));
}}
clipped.sort((a, b) => b.overflow - a.overflow);
return {{viewport_width: vw, scroll_width: scrollWidth, overflowing: overflowing.slice(0, limit),
        overflowing_count: overflowing.length, excepted, clipped: clipped.slice(0, limit)}};
)JS",
                          limit));
}

}  // namespace tyto::products::accessibility::detail
