// What the captures pages share: their style sheet, the caller's role, addresses, labelled form fields,
// pictures that need the token (blob URLs), signed links of exports, and the formatting of measurements.

import { api, apiBlob } from '/console/api.js';
import { h } from '/console/dom.js';
import { roleAllows } from '/console/roles.js';
import { current } from '/console/session.js';

export const BASE = '/console/products/captures';
export const CAPTURE_PAGE = '#/captures.capture';
export const LIST_PAGE = '#/captures.list';
export const LABEL_PAGE = '#/captures.label';
// Statuses after which a capture has results (docs/products/captures.md, "Capturing").
export const MEASURED = new Set(['completed', 'edited', 'approved']);
export const TERMINAL = new Set(['completed', 'failed', 'edited', 'approved']);
export const STATUSES = ['queued', 'processing', 'completed', 'failed', 'edited', 'approved'];
// The Monk Skin Tone scale, swatches 1 (lightest) to 10 (darkest), as modules/body/skin.hpp has them.
export const MONK = ['f6ede4', 'f3e7db', 'f7ead0', 'eadaba', 'd7bd96', 'a07e56', '825c43', '604134', '3a312a', '292420'];
// An ID-1 card (ISO/IEC 7810: bank, loyalty and ID cards), in mm.
export const CARD_MM = { width: 85.6, height: 53.98 };

// The product's style sheet, added to the page once (the platform's style.css stays underneath).
export function useStyles() {
  if (document.querySelector('link[data-captures-styles]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: `${BASE}/style.css`, 'data-captures-styles': true }));
}

const role = () => current()?.role ?? 'viewer';
export const myId = () => current()?.user?.id ?? null;
// Capturing and editing one's own captures: the API's role user.
export const canCapture = () => roleAllows(role(), 'user');
// Deciding edits, exporting other users' sheets, batches: partner (tailors); admins include it.
export const isPartner = () => roleAllows(role(), 'partner');
export const isAdmin = () => roleAllows(role(), 'admin');
// Who sees every user's captures (GET /api/v1/captures without ?user_id= lists them all): partners, labelers, admins.
export const isStaff = () => roleAllows(role(), 'partner') || roleAllows(role(), 'labeler');

export const capturePath = (id) => `/api/v1/capture/${encodeURIComponent(id)}`;
export const captureHash = (id) => `${CAPTURE_PAGE}?${new URLSearchParams({ id })}`;
export const resultsHash = (id) => `${LIST_PAGE}?${new URLSearchParams({ id })}`;
export const labelHash = (id) => `${LABEL_PAGE}?${new URLSearchParams({ id })}`;

// A message line for an error (ApiError or a network failure).
export const errorText = (err) => (err?.status ? err.message : `the server did not answer (${err?.message ?? err})`);

// Marks the inputs named in an ApiError's details.fields (name attribute = the member's path) as invalid.
export function markFields(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const name of Object.keys(err?.fields ?? {})) {
    for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) el.setAttribute('aria-invalid', 'true');
  }
}

// A form field: a label tied to its control by id, and an optional hint the control is described by.
let nextId = 0;
export function field(label, control, hint) {
  control.id ||= `cap-f${++nextId}`;
  const hintEl = hint ? h('p', { class: 'muted small', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

// A table that scrolls sideways on a narrow screen: a named region the keyboard can reach and scroll.
export const scrollBox = (label, table) => h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label }, table);

// A checkbox with its label beside it.
export function checkbox(label, attrs = {}) {
  const box = h('input', { type: 'checkbox', ...attrs });
  return [box, h('label', { class: 'cap-check' }, box, ` ${label}`)];
}

// Numbers as the measurement pages show them.
export const fixed = (n, digits = 1) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : Number(n).toFixed(digits));
export const cm = (n) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : `${Math.round(Number(n) * 10) / 10} cm`);
export const percent = (n) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : `${Math.round(Number(n) * 100)} %`);

// "75 cm (±4 cm)": the figure and its uncertainty, rounded as a tape measure would be read.
export function withUncertainty(m) {
  const u = Number(m?.uncertainty_cm);
  return Number.isFinite(u) && u > 0 ? `${cm(m.value_cm)} (±${Math.round(u * 10) / 10} cm)` : cm(m?.value_cm);
}

// "waist_to_hip" → "Waist to hip".
export const labelOf = (name) => {
  const s = String(name).replaceAll('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

// A badge for a capture's status.
export function statusBadge(status, attrs = {}) {
  return h('span', { class: `badge cap-status-${status}`, 'data-status': status, ...attrs }, status);
}

// A small confidence bar (a <meter>) with the percentage beside it.
export function confidenceMeter(value, name) {
  // A measurement without a confidence (a client metric sent without one) shows a dash, not "0 %".
  const known = value !== null && value !== undefined && value !== '' && Number.isFinite(Number(value));
  const v = known ? Math.max(0, Math.min(1, Number(value))) : null;
  if (v === null) return h('span', { class: 'muted' }, '–');
  return h('span', { class: 'cap-confidence', 'data-testid': 'cap-confidence' },
    h('meter', { min: 0, max: 1, low: 0.5, high: 0.75, optimum: 1, value: v, 'aria-label': `Confidence of ${name}` }),
    ` ${percent(v)}`);
}

// The text colour (near black or white) that reads best on a background hex colour.
export function textOn(hex) {
  const c = String(hex).replace('#', '');
  const lin = (i) => {
    const v = Number.parseInt(c.slice(i, i + 2), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(0) + 0.7152 * lin(2) + 0.0722 * lin(4);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#111111' : '#ffffff';
}

// Pictures the API serves only with a bearer token (annotated photos): fetched with the console's session and
// shown through blob URLs (an <img src> cannot carry the token). One cache per view; release() revokes them.
export function pictures() {
  const urls = new Map();  // path → Promise<blob URL>
  let released = false;
  const url = (path) => {
    if (!urls.has(path)) urls.set(path, apiBlob(path).then((blob) => URL.createObjectURL(blob)));
    return urls.get(path);
  };
  return {
    // Points img at the picture behind `path`; resolves once it shows, rejects when it cannot be read.
    async show(img, path) {
      img.dataset.src = path;
      const u = await url(path);
      if (released || img.dataset.src !== path) return;
      img.src = u;
      await img.decode().catch(() => {});
    },
    release() {
      released = true;
      for (const p of urls.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
      urls.clear();
    },
  };
}

// Makes a measurement sheet (pdf or csv) of capture `id` and opens its signed link in a new tab. Resolves to
// the export ({url, expires_at, …}); the caller shows the link too, for a browser that blocks the tab.
export async function exportSheet(id, format) {
  const made = await api(`${capturePath(id)}/exports`, { method: 'POST', body: { format } });
  window.open(made.url, '_blank', 'noopener');
  return made;
}

// A link to an export's signed URL, with when it stops working.
export function exportLink(e, text) {
  return h('span', { class: 'cap-export' },
    h('a', { href: e.url, target: '_blank', rel: 'noopener', 'data-testid': 'cap-export-link', 'data-kind': e.kind }, text),
    h('span', { class: 'muted small' }, ` (link valid until ${new Date(e.expires_at).toLocaleString()})`));
}
